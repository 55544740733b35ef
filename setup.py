"""Build hook: the wheel carries the repository's flows/ and content/ as bot/defaults/.

The top-level flows/ and content/ stay the only copy in the repository; this copies them into
the build at wheel time, so nothing has to be kept in step by hand. An editable install skips
the copy and bot.defaults falls back to the repository folders themselves. Everything else is
in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DEFAULT_DIRS = ("flows", "content")


class BuildPyWithDefaults(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name in DEFAULT_DIRS:
            target = Path(self.build_lib, "bot", "defaults", name)
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(HERE / name, target, ignore=shutil.ignore_patterns("__pycache__"))


setup(cmdclass={"build_py": BuildPyWithDefaults})
