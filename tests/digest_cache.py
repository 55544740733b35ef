"""A long, deterministic measurement kept on disk per digest of everything it reads.

The ask corpus figures (tests/test_ask_corpus.py: each family left out of the topic model, the
thresholds cross-validated over a grid of 960) cost about 75 s of CPU, a fifth of the suite, and
give the same figures for the same inputs every time. Here a measurement is computed for real
the first time, and again whenever any input changes: the key is a SHA-256 of every file under
the folders it names (the whole of bot/, content/, the corpora, the test file), the Python
version and the versions of the libraries that compute it. Between runs on an unchanged tree
(a developer's second run, the second run of .ci/run) the figures are read back instead.

A fresh clone (CI's first run) has no cache and measures. `SAFETY_BOT_TEST_CACHE=off` always
measures; the folder is `.test-cache/` at the project root (git ignores it; delete it freely).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import TypeVar

from bot.settings import PROJECT_ROOT

T = TypeVar("T")
CACHE_DIR = PROJECT_ROOT / ".test-cache"
SKIP = {"__pycache__", ".pytest_cache"}


def digest(inputs: Iterable[Path], libraries: Iterable[str]) -> str:
    """SHA-256 of every file under `inputs` (path and bytes), Python's and the libraries'
    versions."""
    sha = hashlib.sha256(sys.version.encode())
    for library in sorted(libraries):
        sha.update(f"\0{library}={metadata.version(library)}".encode())
    for root in sorted(inputs):
        files = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in files:
            if path.is_file() and not SKIP.intersection(path.parts) and path.suffix != ".pyc":
                sha.update(f"\0{os.path.relpath(path.resolve(), PROJECT_ROOT)}\0".encode())
                sha.update(path.read_bytes())
    return sha.hexdigest()


def measured_once(
    name: str, inputs: Iterable[Path], libraries: Iterable[str], measure: Callable[[], T]
) -> T:
    """`measure()`, or what it returned before for the same inputs (see the module docstring)."""
    if os.environ.get("SAFETY_BOT_TEST_CACHE", "").lower() == "off":
        return measure()
    path = CACHE_DIR / f"{name}-{digest(inputs, libraries)}.pickle"
    if path.exists():
        with path.open("rb") as kept:
            return pickle.load(kept)  # noqa: S301 - written by this module, on this machine
    value = measure()
    CACHE_DIR.mkdir(exist_ok=True)
    # written whole, then renamed: two xdist workers never read half a file
    with tempfile.NamedTemporaryFile("wb", dir=CACHE_DIR, delete=False) as out:
        pickle.dump(value, out)
    os.replace(out.name, path)
    for older in CACHE_DIR.glob(f"{name}-*.pickle"):
        if older != path:
            older.unlink(missing_ok=True)  # measured on inputs that have changed since
    return value
