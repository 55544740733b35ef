"""The default flows and content: inside an installed wheel, or the repository's own folders.

A wheel carries copies of the repository's `flows/` and `content/` here (setup.py copies them at
build time; the repository keeps one copy). An editable install or a source checkout has none
here, so the repository folders next to `bot/` are used. `safety-bot init DIR` copies whichever
set this finds, for a force to edit.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PACKAGED = "packaged"  # the copy inside the installed package
REPOSITORY = "repository"  # flows/ and content/ of a source checkout (editable install)


def default_dir(name: str) -> tuple[Path, str]:
    """The default `flows` or `content` folder, and which set it is (PACKAGED or REPOSITORY)."""
    packaged = resources.files(__name__) / name
    # A wheel installs as plain files, so this is a real Path; a zipped install is not supported
    # (the loader globs folders) and falls through to the repository check, which names it.
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged, PACKAGED
    return Path(__file__).resolve().parent.parent.parent / name, REPOSITORY
