"""`safety-bot run` refuses a data dir other users can read, unless told otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "not-a-token"}
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", "--data-dir", str(data_dir), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_open_data_dir_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    result = run(data)
    assert result.returncode == 2
    assert "chmod 700" in result.stderr and "--allow-open-data-dir" in result.stderr
    assert "Traceback" not in result.stderr


def test_override_goes_on_to_the_next_check(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    result = run(data, "--allow-open-data-dir")
    assert result.returncode == 2
    assert "chmod 700" not in result.stderr
    assert "TELEGRAM_BOT_TOKEN" in result.stderr  # the malformed token is the next problem
    assert "not-a-token" not in result.stderr


def test_files_the_bot_creates_are_private(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--data-dir", str(tmp_path / "d")],
        input="/quit\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )
    for path in (tmp_path / "d").iterdir():
        assert path.stat().st_mode & 0o077 == 0, path
