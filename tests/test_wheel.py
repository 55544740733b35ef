"""Installed as a new user would: the built wheel, in a fresh venv outside the repository.

The wheel must carry the default flows and content (bot/defaults/, copied from the repository's
flows/ and content/ at build time), so `safety-bot` starts from any working directory with no
settings. Tests reach nothing beyond this machine, so the wheel is built without build isolation
(setuptools comes with the test extras) and installed with --no-index; the new venv borrows the
dependencies already installed for the tests through a .pth line (a directory added that way is
only put on sys.path, its own .pth files are not run, so this checkout's editable install stays
out). One venv for the whole module.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT


def _run(argv: list[str], cwd: Path, env: dict[str, str], stdin: str = "", timeout: int = 120):
    return subprocess.run(
        argv, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=timeout
    )


class Installed:
    __slots__ = ("wheel", "venv", "elsewhere", "env")

    def __init__(self, wheel: Path, venv: Path, elsewhere: Path, env: dict[str, str]) -> None:
        self.wheel, self.venv, self.elsewhere, self.env = wheel, venv, elsewhere, env

    def bot(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return _run([str(self.venv / "bin" / "safety-bot"), *args], self.elsewhere, self.env, stdin)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    root = tmp_path_factory.mktemp("wheel")
    # nothing from this checkout or this test run may leak into the installed bot
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SAFETY_BOT_", "TELEGRAM_", "PYTHON", "VIRTUAL_ENV"))
    }
    env["HOME"] = str(root / "home")
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "-w",
            str(root / "dist"),
            ".",
        ],
        PROJECT_ROOT,
        {**env, "HOME": os.environ.get("HOME", "/root")},  # pip's config and cache
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (root / "dist").glob("safety_bot-*.whl")
    venv = root / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)], root, env)
    assert made.returncode == 0, made.stderr
    # the dependencies: the ones installed for these tests, appended to the new venv's path
    (site,) = (venv / "lib").glob("python3*/site-packages")
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = _run(
        [str(venv / "bin" / "pip"), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        root,
        env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    yield Installed(wheel, venv, elsewhere, env)


def test_the_wheel_carries_the_repository_flows_and_content_unchanged(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        packaged = {
            name.removeprefix("bot/defaults/"): wheel.read(name)
            for name in wheel.namelist()
            if name.startswith("bot/defaults/") and not name.endswith(".py")
        }
    repository = {
        str(path.relative_to(PROJECT_ROOT)): path.read_bytes()
        for folder in ("flows", "content")
        for path in (PROJECT_ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert packaged == repository


def test_validate_checks_the_packaged_set_from_another_directory(installed: Installed) -> None:
    result = installed.bot("validate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: ")
    checked = result.stdout.splitlines()[1]
    assert "the defaults installed with the package" in checked
    assert str(installed.venv) in checked and str(PROJECT_ROOT) not in checked


def test_console_walks_to_the_999_screen(installed: Installed) -> None:
    data = installed.elsewhere / "data"
    result = installed.bot("--data-dir", str(data), "chat", stdin="Yes, I'm in danger\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "Are you in danger right now?" in result.stdout
    assert "Call 999 now." in result.stdout
    assert (data / "safety-bot.db").is_file()


def test_init_writes_an_editable_copy_the_bot_then_uses(installed: Installed) -> None:
    made = installed.bot("init", "force-pack")
    assert made.returncode == 0, made.stderr
    pack = installed.elsewhere / "force-pack"
    assert (pack / "flows" / "start.yaml").is_file()
    assert (pack / "content" / "regions" / "cheshire.yaml").is_file()
    assert "SAFETY_BOT_FLOWS_DIR=" in made.stdout

    # an edit to the copy is what the bot now shows
    welcome = pack / "content" / "welcome.yaml"
    text = welcome.read_text(encoding="utf-8")
    assert "Are you in danger right now?" in text
    welcome.write_text(text.replace("Are you in danger right now?", "Are you in danger now?"))
    dirs = ["--flows-dir", str(pack / "flows"), "--content-dir", str(pack / "content")]
    checked = installed.bot(*dirs, "validate")
    assert checked.returncode == 0, checked.stderr
    assert f"flows {pack / 'flows'} (--flows-dir)" in checked.stdout
    chat = installed.bot(
        *dirs, "--data-dir", str(installed.elsewhere / "d2"), "chat", stdin="/quit\n"
    )
    assert "Are you in danger now?" in chat.stdout

    again = installed.bot("init", "force-pack")
    assert again.returncode == 2 and "already exists" in again.stderr


def test_the_installed_bot_reads_the_shipped_ask_index(installed: Installed) -> None:
    # without bot/ask/index.json in the wheel the bot refits at start-up, without the seen
    # corpora's examples (tests/ is not installed): slower and a different topic model
    with zipfile.ZipFile(installed.wheel) as wheel:
        assert "bot/ask/index.json" in wheel.namelist()
    asked = installed.bot("ask", "how do i block his number")
    assert asked.returncode == 0, asked.stderr
    assert "was not built from this content" not in asked.stderr + asked.stdout


def test_review_pack_from_the_installed_wheel(installed: Installed) -> None:
    # its templates are package data: a wheel without them fails here, not in a force's hands
    made = installed.bot("--data-dir", str(installed.elsewhere / "d3"), "review-pack", "pack")
    assert made.returncode == 0, made.stderr
    assert (installed.elsewhere / "pack" / "index.html").is_file()
    assert (installed.elsewhere / "pack" / "signoff.html").is_file()
