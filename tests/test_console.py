"""The console chat, driven as a real subprocess over stdin and stdout."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.chat_client import project_catalog
from tests.chat_client import project_words as words

# typed as the buttons' words: past the welcome, to the advice on unwanted calls
WALK = [words(key) for key in ("start.btn_no_danger", "menu.advice", "menu.unwanted_calls")]


def run_chat(data_dir: Path, lines: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--data-dir", str(data_dir)],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_bare_command_starts_console_and_walks_a_flow(tmp_path: Path) -> None:
    result = run_chat(tmp_path, [*WALK, "/quit"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("No TELEGRAM_BOT_TOKEN set: starting the console chat.")
    assert words("start.welcome") in out
    assert "  1. " in out  # buttons are numbered
    assert words("menu.choose") in out
    assert "hello" in out.lower()  # the first unwanted-calls screen: answer with 'hello'
    assert out.rstrip().endswith("Goodbye.")  # nothing tells an onlooker there is more
    assert result.stderr == ""


def test_numbers_emergency_and_contacts(tmp_path: Path) -> None:
    result = run_chat(tmp_path, ["2", "/emergency", "/quit"], "chat")
    out = result.stdout
    assert f"2. {words('start.btn_no_danger')}" in out  # what "2" picked
    assert words("emergency.call_999") in out
    # the number is shown once: it is in the text, so no contact line repeats it
    police = project_catalog().contacts["emergency"]
    assert f"☎  {police.name}: {police.number}" not in out
    assert out.count(words("emergency.call_999")) == 1


def test_ctrl_d_exits_cleanly_and_place_is_kept(tmp_path: Path) -> None:
    first = run_chat(tmp_path, ["2", *WALK[1:]], "chat")  # stdin ends: Ctrl-D
    assert first.returncode == 0
    assert f"2. {words('start.btn_no_danger')}" in first.stdout  # what "2" picked
    assert "Goodbye" in first.stdout
    second = run_chat(tmp_path, ["/quit"], "chat")
    # a returning user sees the menu, not the welcome and not the screen they left
    assert words("start.welcome") not in second.stdout
    assert words("menu.choose") in second.stdout
    assert "hello" not in second.stdout.lower()


def test_ctrl_c_exits_cleanly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--data-dir", str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    seen = ""
    while "(type a number" not in seen and time.monotonic() < deadline:
        seen += proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Goodbye" in out
    assert "Traceback" not in err


def test_bad_setting_is_one_clear_line(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    result = run_chat(not_a_dir, [], "chat")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "SAFETY_BOT_DATA_DIR" in result.stderr and "Traceback" not in result.stderr
