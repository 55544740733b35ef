"""Pin what we deploy: deploy/requirements.lock, every package with its hashes, by `uv pip compile`.

    python deploy/lock.py            # write the lock after changing pyproject.toml's dependencies
    python deploy/lock.py --upgrade  # also move every pin to the newest allowed release
    python deploy/lock.py --check    # CI: fail if the lock no longer matches pyproject.toml

pyproject.toml keeps library-style ranges; the lock is what deploy/Dockerfile and the systemd
instructions install (`pip install --require-hashes`). It is universal (markers, not one
platform) for Python 3.11, and pins setuptools too so the bot itself builds without fetching an
unpinned build backend.

--check recompiles into a copy of the lock with uv preferring the pins already there, so only a
change to pyproject.toml (or deploy/build-requires.in) makes it differ; a release upstream does
not. It needs only the package indexes pip already uses: uv does not read pip's configuration,
so the indexes from `pip config list` are passed on. pip's main index (index-url; PyPI unless
set) comes first, so every pin carries the hashes of every file the registry has for it, for
any platform; pip's extra indexes and find-links follow, for what only they hold. (Searched the
other way round, a local mirror holding one x86_64 wheel of cryptography gave a lock with that
one hash, which an arm64 host could not install.)
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "deploy" / "requirements.lock"
INPUTS = ("pyproject.toml", "deploy/build-requires.in")
COMMAND = "python deploy/lock.py"


def pip_index_options() -> list[str]:
    """uv options equal to pip's configured indexes (pip.conf files and PIP_* variables)."""
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    settings: dict[str, str] = {}
    for line in listed.splitlines():  # e.g. global.extra-index-url='file:///a file:///b'
        key, _, value = line.partition("=")
        settings[key.rsplit(".", 1)[-1]] = value.strip().strip("'\"")  # env beats file: later
    # uv searches --index entries in the order given, first match wins (uv's default strategy)
    options = ["--index", settings.get("index-url") or "https://pypi.org/simple"]
    for url in settings.get("extra-index-url", "").split():
        options += ["--index", url]
    for place in settings.get("find-links", "").split():
        if Path(place).is_dir() or "://" in place:
            options += ["--find-links", place]
    return options


def uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if found is None:
        sys.exit('lock: uv is not installed (pip install -e ".[test]" installs it)')
    return found


def compile_lock(output: Path, upgrade: bool = False) -> None:
    argv = [
        uv(),
        "pip",
        "compile",
        *INPUTS,
        "--universal",
        "--python-version",
        "3.11",
        "--generate-hashes",
        "--native-tls",
        *pip_index_options(),
        "--custom-compile-command",
        COMMAND,
        "--quiet",
        "-o",
        str(output),
    ]
    if upgrade:
        argv.append("--upgrade")
    if subprocess.run(argv, cwd=ROOT, check=False).returncode != 0:
        sys.exit("lock: uv could not resolve pyproject.toml's dependencies (its message is above)")


def check() -> int:
    if not LOCK.is_file():
        print(f"lock: {LOCK.relative_to(ROOT)} is missing; run `{COMMAND}`", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / LOCK.name
        shutil.copyfile(LOCK, fresh)  # uv keeps the pins it finds in the output file
        compile_lock(fresh)
        before = LOCK.read_text().splitlines()
        after = fresh.read_text().splitlines()
    if before == after:
        print(f"lock: {LOCK.relative_to(ROOT)} matches pyproject.toml")
        return 0
    sys.stderr.writelines(
        line + "\n"
        for line in difflib.unified_diff(before, after, "requirements.lock", "from pyproject.toml")
    )
    print(
        f"lock: {LOCK.relative_to(ROOT)} no longer matches pyproject.toml; run `{COMMAND}`",
        file=sys.stderr,
    )
    return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the lock is out of date")
    parser.add_argument("--upgrade", action="store_true", help="move every pin to the newest")
    args = parser.parse_args()
    if args.check:
        return check()
    compile_lock(LOCK, upgrade=args.upgrade)
    print(f"lock: wrote {LOCK.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
