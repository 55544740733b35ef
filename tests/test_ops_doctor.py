"""`safety-bot doctor`: a good deployment passes; each way of getting it wrong is named, with the
right exit code, without changing anything and without ever printing the token or the key."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from bot.app import open_app
from bot.cli import main
from bot.ops import check_data_dir_private
from bot.ops.doctor import FAIL, OK, WARN, Report, run_doctor
from bot.settings import Settings
from bot.store.crypto import KEY_FILE_NAME, encode_key
from bot.store.db import DB_FILE_NAME
from tests.conftest import mini_registry

# a made-up token of the right shape, assembled here so no token-shaped line is committed
TOKEN = ":".join(["123456789", "AAH3xq_9vB-kZ7pQ2rT5uW8yA1cE4gJ6mN0"])


async def deployed(settings: Settings) -> None:
    app = await open_app(settings, mini_registry([]))
    await app.close()


def statuses(report: Report, area: str) -> list[str]:
    return [f.status for f in report.findings if f.area == area]


def text(report: Report) -> str:
    return report.render()


async def test_good_setup_passes(mini_settings: Settings) -> None:
    await deployed(mini_settings)
    report = run_doctor(
        mini_settings, env={"TELEGRAM_BOT_TOKEN": TOKEN}, registry=mini_registry([])
    )
    assert not report.failed and not report.warned, text(report)
    assert report.exit_code(strict=True) == 0
    assert "PRAGMA integrity_check ok" in text(report)
    assert "the key opens this database" in text(report)
    assert "flows" in {f.area for f in report.findings}
    assert TOKEN not in text(report) and TOKEN.split(":")[1] not in text(report)
    assert "All checks passed." in text(report)


async def test_doctor_changes_nothing(mini_settings: Settings) -> None:
    run_doctor(mini_settings, env={}, registry=mini_registry([]))
    assert not mini_settings.data_dir.exists()  # no dir, no key, no database created
    await deployed(mini_settings)
    before = {p.name: p.stat().st_mtime_ns for p in mini_settings.data_dir.iterdir()}
    conn = sqlite3.connect(mini_settings.data_dir / DB_FILE_NAME)
    conn.execute("PRAGMA user_version = 0")  # an old schema: doctor must not migrate it
    conn.close()
    report = run_doctor(mini_settings, env={}, registry=mini_registry([]))
    assert "start-up migrates it" in text(report)
    conn = sqlite3.connect(mini_settings.data_dir / DB_FILE_NAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    conn.close()
    assert set(before) <= {p.name for p in mini_settings.data_dir.iterdir()}


async def test_bad_token_fails_without_printing_it(mini_settings: Settings) -> None:
    await deployed(mini_settings)
    bad = "123456789-AAH3xq_9vB-kZ7pQ2rT5uW8yA1cE4gJ6mN0"
    report = run_doctor(mini_settings, env={"TELEGRAM_BOT_TOKEN": bad}, registry=mini_registry([]))
    assert statuses(report, "telegram") == [FAIL]
    assert "does not look like a Bot API token" in text(report)
    assert bad not in text(report) and "AAH3xq" not in text(report)
    assert report.exit_code() == 1
    report = run_doctor(mini_settings, env={}, registry=mini_registry([]))
    assert statuses(report, "telegram") == [WARN]  # not set: warn (console-only use is possible)
    report = run_doctor(
        mini_settings,
        env={"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_URL": "http://bot.example.org/hook"},
        registry=mini_registry([]),
    )
    assert "must use https" in text(report) and report.failed
    report = run_doctor(
        mini_settings,
        env={"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": "not ok: spaces!"},
        registry=mini_registry([]),
    )
    assert "TELEGRAM_WEBHOOK_SECRET must be" in text(report) and "spaces!" not in text(report)


async def test_open_data_dir_warns_and_loose_key_fails(mini_settings: Settings) -> None:
    await deployed(mini_settings)
    data = mini_settings.data_dir
    os.chmod(data, 0o755)
    os.chmod(data / KEY_FILE_NAME, 0o644)
    report = run_doctor(
        mini_settings, env={"TELEGRAM_BOT_TOKEN": TOKEN}, registry=mini_registry([])
    )
    assert WARN in statuses(report, "data dir")
    assert f"chmod 700 {data}" in text(report)
    assert f"chmod 600 {data / KEY_FILE_NAME}" in text(report)
    assert report.exit_code() == 1
    key_text = (data / KEY_FILE_NAME).read_text().strip()
    assert key_text not in text(report)

    os.chmod(data / KEY_FILE_NAME, 0o600)
    report = run_doctor(
        mini_settings, env={"TELEGRAM_BOT_TOKEN": TOKEN}, registry=mini_registry([])
    )
    assert not report.failed and report.warned  # the open dir alone is a warning
    assert report.exit_code() == 0 and report.exit_code(strict=True) == 1


async def test_missing_key_with_database_fails(mini_settings: Settings) -> None:
    await deployed(mini_settings)
    (mini_settings.data_dir / KEY_FILE_NAME).unlink()
    report = run_doctor(mini_settings, env={}, registry=mini_registry([]))
    assert FAIL in statuses(report, "key")
    assert "the data cannot be read without it" in text(report)
    assert not (mini_settings.data_dir / KEY_FILE_NAME).exists()


async def test_wrong_key_fails(mini_settings: Settings) -> None:
    await deployed(mini_settings)
    mini_settings.key = encode_key(b"\x07" * 32)  # SAFETY_BOT_KEY from another deployment
    report = run_doctor(mini_settings, env={}, registry=mini_registry([]))
    assert "the key does not open this database" in text(report)
    assert "is ignored because SAFETY_BOT_KEY is set" in text(report)
    assert report.failed


async def test_corrupt_database_fails_integrity_check(mini_settings: Settings) -> None:
    await deployed(mini_settings)
    db = mini_settings.data_dir / DB_FILE_NAME
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("CREATE TABLE filler (x)")
    conn.executemany("INSERT INTO filler VALUES (?)", [(os.urandom(200),) for _ in range(200)])
    conn.commit()
    conn.close()
    raw = bytearray(db.read_bytes())
    page = 4096
    for start in range(len(raw) - 3 * page, len(raw), page):  # scribble over the filler's pages
        raw[start : start + 64] = b"\xff" * 64
    db.write_bytes(bytes(raw))
    report = run_doctor(mini_settings, env={}, registry=mini_registry([]))
    assert FAIL in statuses(report, "database"), text(report)


async def test_broken_flows_fail_with_file_and_line(mini_settings: Settings) -> None:
    await deployed(mini_settings)
    menu = mini_settings.flows_dir / "menu.yaml"
    menu.write_text(menu.read_text().replace("flow: survey", "flow: no_such_flow"))
    report = run_doctor(mini_settings, env={}, registry=mini_registry([]))
    assert statuses(report, "flows") == [FAIL]
    assert f"{menu}:" in text(report) and "no_such_flow" in text(report)


async def test_cli_quick_healthcheck_and_exit_codes(
    mini_settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    await deployed(mini_settings)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    args = [
        "doctor",
        "--quick",
        "--data-dir",
        str(mini_settings.data_dir),
        "--flows-dir",
        str(mini_settings.flows_dir),
        "--content-dir",
        str(mini_settings.content_dir),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "opens (" in out and "integrity_check" not in out and TOKEN not in out
    (mini_settings.data_dir / KEY_FILE_NAME).unlink()
    assert main(args) == 1
    assert "cannot be read without it" in capsys.readouterr().out


def test_check_data_dir_private(tmp_path: Path) -> None:
    assert check_data_dir_private(tmp_path / "missing") is None
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    os.chmod(private, 0o700)
    assert check_data_dir_private(private) is None
    for mode, who in (
        (0o750, "its group"),
        (0o705, "every user"),
        (0o777, "its group and every user"),
    ):
        os.chmod(private, mode)
        assert check_data_dir_private(private) == (
            f"the data dir {private} (mode {mode:04o}) is open to {who}; it holds the "
            f"encrypted journal and usually the key. Fix: chmod 700 {private}"
        )
    afile = tmp_path / "file"
    afile.write_text("x")
    assert check_data_dir_private(afile) == f"the data dir {afile} is not a directory"


def test_report_rendering() -> None:
    report = Report([])
    report.add(OK, "a", "fine")
    assert report.exit_code() == 0 and "All checks passed." in report.render()
    report.add(WARN, "b", "hmm")
    assert report.exit_code() == 0 and "1 warning" in report.render()
    report.add(FAIL, "c", "broken")
    assert report.exit_code() == 1 and "1 problem(s) to fix" in report.render()


async def test_data_dir_before_or_after_the_command(
    mini_settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`safety-bot --data-dir X doctor` and `safety-bot doctor --data-dir X` mean the same."""
    await deployed(mini_settings)
    monkeypatch.delenv("SAFETY_BOT_DATA_DIR", raising=False)
    data = str(mini_settings.data_dir)
    for args in (
        ["--data-dir", data, "doctor", "--quick"],
        ["doctor", "--quick", "--data-dir", data],
    ):
        main(args)
        assert capsys.readouterr().out.startswith(f"safety-bot doctor: {data}\n")


async def test_updates_waiting_in_the_inbox_are_reported(mini_settings: Settings) -> None:
    from bot.store.inbox import Inbox

    await deployed(mini_settings)
    report = run_doctor(mini_settings, env={}, registry=mini_registry([]))
    assert "no updates waiting" in text(report)

    app = await open_app(mini_settings, mini_registry([]))
    try:
        inbox = Inbox(app.db, app.cipher)  # what a killed bot left
        await inbox.add(7, b'{"update_id": 7}')
        await inbox.add(8, b'{"update_id": 8}')
        await inbox.close()
    finally:
        await app.close()
    report = run_doctor(mini_settings, env={}, registry=mini_registry([]))
    assert statuses(report, "inbox") == [OK]
    assert "2 update(s) accepted but not handled" in text(report)

    app = await open_app(mini_settings, mini_registry([]))
    try:
        await Inbox(app.db, app.cipher).take_for_replay()  # a start that crashed again
    finally:
        await app.close()
    report = run_doctor(mini_settings, env={}, registry=mini_registry([]))
    assert statuses(report, "inbox") == [WARN]
    assert "retried 1 time(s)" in text(report)


@pytest.mark.parametrize(
    ("secret", "status"),
    [("short_secret_of_31_characters__", FAIL), ("a" * 32, OK)],
)
async def test_webhook_secret_must_be_at_least_32_characters(
    mini_settings: Settings, secret: str, status: str
) -> None:
    await deployed(mini_settings)
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": secret}
    report = run_doctor(mini_settings, env=env, registry=mini_registry([]))
    found = [f for f in report.findings if "TELEGRAM_WEBHOOK_SECRET" in f.message]
    assert [f.status for f in found] == [status]
    assert secret not in text(report)


async def test_webhook_without_a_secret_warns(mini_settings: Settings) -> None:
    await deployed(mini_settings)
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_URL": "https://example.org/hook"}
    report = run_doctor(mini_settings, env=env, registry=mini_registry([]))
    assert "TELEGRAM_WEBHOOK_SECRET is not set" in text(report) and report.warned
