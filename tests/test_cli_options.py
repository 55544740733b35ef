"""--flows-dir and --content-dir work before or after any command, and name the set checked."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.cli import _CommandParser, main
from bot.ops.init import write_editable_copy


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    write_editable_copy(tmp_path / "ours")
    return tmp_path / "ours"


@pytest.mark.parametrize("where", ["before", "after", "env"])
def test_validate_names_the_set_it_checked(
    copy: Path, where: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dirs = ["--flows-dir", str(copy / "flows"), "--content-dir", str(copy / "content")]
    if where == "env":
        monkeypatch.setenv("SAFETY_BOT_FLOWS_DIR", str(copy / "flows"))
        monkeypatch.setenv("SAFETY_BOT_CONTENT_DIR", str(copy / "content"))
        argv = ["validate"]
    else:
        argv = [*dirs, "validate"] if where == "before" else ["validate", *dirs]
    assert main(argv) == 0
    checked = capsys.readouterr().out.splitlines()[1]
    origin = "SAFETY_BOT_FLOWS_DIR" if where == "env" else "--flows-dir"
    assert checked.startswith(f"Checked: flows {copy / 'flows'} ({origin})")


def test_a_missing_folder_is_one_clear_line(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    assert main(["validate", "--flows-dir", str(tmp_path / "nowhere")]) == 2
    assert "--flows-dir / SAFETY_BOT_FLOWS_DIR: " in capsys.readouterr().err


def test_a_command_that_adds_a_common_option_again_does_not_break_the_cli() -> None:
    parser = _CommandParser(prog="x")
    parser.add_argument("--content-dir", default=argparse.SUPPRESS)
    parser.add_argument("--content-dir", help="its own")  # as a feature's command might
    assert parser.parse_args(["--content-dir", "c"]).content_dir == "c"


@pytest.mark.parametrize(
    ("env", "read", "connect"),
    [({}, 5.0, 5.0), ({"TELEGRAM_READ_TIMEOUT": "2", "TELEGRAM_CONNECT_TIMEOUT": "0.5"}, 2.0, 0.5)],
)
def test_telegram_timeouts_reach_both_requests(
    env: dict[str, str],
    read: float,
    connect: float,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.channels.telegram.application import build_application
    from bot.settings import Settings
    from tests.telegram_harness import fake_token

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env(data_dir=str(tmp_path / "data"))
    application, _ = build_application(settings, fake_token(), "http://127.0.0.1:9")
    updates, calls = application.bot._request  # PTB: (getUpdates, every other call)
    for request in (updates, calls):
        assert (request.read_timeout, request._client_kwargs["timeout"].connect) == (read, connect)


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "7200"])
def test_a_wrong_telegram_timeout_is_one_clear_line(
    value: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_READ_TIMEOUT", value)
    assert main(["validate"]) == 2
    assert f"TELEGRAM_READ_TIMEOUT: '{value}' is not a number of seconds" in capsys.readouterr().err
