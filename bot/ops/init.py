"""`safety-bot init DIR`: an editable copy of the default flows and content for a force to adapt.

The copy comes from the set the bot would use with no settings (the one installed with the
package, or a checkout's own folders), so a `pip install`ed bot can be adapted without the
repository. It never writes over an existing flows/ or content/: those may hold a force's edits.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from bot.defaults import default_dir


class InitError(Exception):
    """DIR cannot take the copy; the message says why."""


@dataclass(slots=True)
class Written:
    flows: Path
    content: Path
    region_pack: Path | None
    region: str


def write_editable_copy(dest: Path, region: str = "cheshire") -> Written:
    dest = dest.expanduser().resolve()
    if dest.exists() and not dest.is_dir():
        raise InitError(f"{dest} exists and is not a folder")
    targets = {name: dest / name for name in ("flows", "content")}
    for target in targets.values():
        if target.exists():
            raise InitError(f"{target} already exists; not writing over it (choose another DIR)")
    dest.mkdir(parents=True, exist_ok=True)
    for name, target in targets.items():
        source, _ = default_dir(name)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.py[co]"))
    pack = targets["content"] / "regions" / f"{region}.yaml"
    return Written(targets["flows"], targets["content"], pack if pack.is_file() else None, region)


def describe(written: Written) -> str:
    pack = (
        f"  region pack: {written.region_pack}"
        if written.region_pack
        else f"  no region pack named '{written.region}': copy content/regions/cheshire.yaml to start one"
    )
    return "\n".join(
        [
            "Wrote an editable copy of the flows and content:",
            f"  flows:       {written.flows}",
            f"  content:     {written.content}",
            pack,
            "Point the bot at it with the flags (before or after the command):",
            f"  safety-bot --flows-dir {written.flows} --content-dir {written.content} validate",
            "or the environment variables:",
            f"  SAFETY_BOT_FLOWS_DIR={written.flows}",
            f"  SAFETY_BOT_CONTENT_DIR={written.content}",
            "Run `safety-bot validate` after every edit: it names the file, line and step of any defect.",
        ]
    )
