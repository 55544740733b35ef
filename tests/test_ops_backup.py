"""`safety-bot backup PATH`: a consistent copy while the bot writes, that restores into a bot that
finds every user's place again; the key is never in it."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import stat
from pathlib import Path

import pytest

from bot.app import App, build_registry, open_app, sealed_data
from bot.cli import main
from bot.ops.backup import BackupError, BackupResult, backup_database
from bot.settings import Settings
from bot.store.crypto import KEY_FILE_NAME, Cipher, KeyProblem, decode_key
from bot.store.db import DB_FILE_NAME
from bot.store.incidents import IncidentStore, file_context
from tests.chat_client import ChatClient
from tests.conftest import mini_registry

# What `safety-bot backup` is handed: every folder of sealed files the features declared.
SEALED = sealed_data(build_registry())
BATCH = 10  # the writer commits rows ten at a time: a consistent copy holds a multiple of ten


class Abandon(Exception):
    pass


def count(path: Path, table: str = "conversations") -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def check_copy(result: BackupResult) -> None:
    """One self-contained, private, intact file holding only whole transactions."""
    assert result.path.exists() and result.size > 0
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    assert not Path(str(result.path) + "-wal").exists()
    conn = sqlite3.connect(result.path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    rows = count(result.path)
    assert result.tables["conversations"] == rows
    assert (rows - 1) % BATCH == 0, "a copy with part of a transaction"  # alice + whole batches


async def write_batch(app: App, n: int) -> None:
    rows = []
    for i in range(BATCH):
        ref = app.conversations.user_ref(f"writer:{n}:{i}")
        sealed = app.cipher.seal_text(
            '{"flow":"menu","step":"choose"}', f"conversation:{ref}".encode()
        )
        rows.append((ref, sealed, n))
    async with app.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO conversations (user_ref, state, updated_at) VALUES (?, ?, ?)", rows
        )


async def test_backup_while_writing_is_consistent_and_restores(
    mini_settings: Settings, tmp_path: Path
) -> None:
    app = await open_app(mini_settings, mini_registry([]))
    chat = ChatClient(app.engine, user_id="test:alice")
    await chat.send("/start")
    await chat.press("t.go_menu")
    alice_place = await app.conversations.load_place(app.conversations.user_ref("test:alice"))
    stop, started = asyncio.Event(), asyncio.Event()
    written = {"batches": 0}

    async def writer() -> None:
        while not stop.is_set():
            await write_batch(app, written["batches"])
            written["batches"] += 1
            if written["batches"] == 3:
                started.set()
            await asyncio.sleep(0)

    db_path = mini_settings.data_dir / DB_FILE_NAME
    try:
        task = asyncio.create_task(writer())
        await started.wait()
        # 1. a write transaction is open and uncommitted while the backup runs: the backup
        #    neither waits for it nor copies half of it
        with pytest.raises(Abandon):
            async with app.db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO conversations (user_ref, state, updated_at) "
                    "VALUES ('uncommitted', x'00', 0)"
                )
                first = await asyncio.to_thread(
                    backup_database, mini_settings, tmp_path / "b1.db", SEALED
                )
                raise Abandon  # ...and then rolled back
        # 2. while the writer keeps committing batches
        low = 1 + BATCH * written["batches"]  # alice + what was committed before
        second = await asyncio.to_thread(backup_database, mini_settings, tmp_path / "b2.db", SEALED)
        stop.set()
        await task
        high = count(db_path)
    finally:
        await app.close()

    for result in (first, second):
        check_copy(result)
    conn = sqlite3.connect(first.path)
    assert (
        conn.execute("SELECT 1 FROM conversations WHERE user_ref = 'uncommitted'").fetchone()
        is None
    )
    conn.close()
    assert low <= count(second.path) <= high
    # the key at hand opens the copy, and says which key that is
    assert first.key_id == second.key_id == app.cipher.fingerprint

    # restore: the copy as the database, the key (kept separately) beside it
    restored = Settings(
        data_dir=tmp_path / "restored",
        flows_dir=mini_settings.flows_dir,
        content_dir=mini_settings.content_dir,
    )
    restored.data_dir.mkdir(mode=0o700)
    (restored.data_dir / DB_FILE_NAME).write_bytes(second.path.read_bytes())
    (restored.data_dir / KEY_FILE_NAME).write_bytes(
        (mini_settings.data_dir / KEY_FILE_NAME).read_bytes()
    )
    app = await open_app(restored, mini_registry([]))
    try:
        ref = app.conversations.user_ref("test:alice")
        assert await app.conversations.load_place(ref) == alice_place
        again = ChatClient(app.engine, user_id="test:alice")
        await again.send("/back")
        assert again.replies  # the restored bot answers where alice was
    finally:
        await app.close()


async def test_key_is_not_in_the_backup(mini_settings: Settings, tmp_path: Path) -> None:
    app = await open_app(mini_settings, mini_registry([]))
    await app.close()
    key_text = (mini_settings.data_dir / KEY_FILE_NAME).read_text().strip()
    result = backup_database(mini_settings, tmp_path, SEALED)  # a folder: a dated file inside it
    assert result.path.parent == tmp_path and result.path.name.startswith("safety-bot-")
    data = result.path.read_bytes()
    assert key_text.encode() not in data
    # without the key the copy is unreadable: restoring it alone is refused, never re-keyed
    alone = Settings(
        data_dir=tmp_path / "alone",
        flows_dir=mini_settings.flows_dir,
        content_dir=mini_settings.content_dir,
    )
    alone.data_dir.mkdir(mode=0o700)
    (alone.data_dir / DB_FILE_NAME).write_bytes(data)
    with pytest.raises(KeyProblem, match="cannot be read without it"):
        await open_app(alone, mini_registry([]))


async def test_cli_backup_says_where_the_key_is_and_refuses_to_overwrite(
    mini_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = await open_app(mini_settings, mini_registry([]))
    await app.close()
    target = tmp_path / "copy.db"
    args = ["backup", str(target), "--data-dir", str(mini_settings.data_dir)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "NOT in the backup" in out and str(mini_settings.data_dir / KEY_FILE_NAME) in out
    assert "integrity_check" in out
    assert main(args) == 2
    assert "exists" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0
    assert main(["backup", str(tmp_path / "x.db"), "--data-dir", str(tmp_path / "nothing")]) == 2
    assert "no database" in capsys.readouterr().err


def test_backup_refuses_the_live_database(mini_settings: Settings) -> None:
    mini_settings.data_dir.mkdir()
    sqlite3.connect(mini_settings.data_dir / DB_FILE_NAME).close()
    with pytest.raises(BackupError, match="live database"):
        backup_database(mini_settings, mini_settings.data_dir / DB_FILE_NAME, SEALED, force=True)


async def test_journal_attachments_are_copied_beside_the_backup(
    mini_settings: Settings, tmp_path: Path
) -> None:
    app = await open_app(mini_settings, mini_registry([]))
    try:
        ref = app.conversations.user_ref("test:alice")
        stored = await IncidentStore(app.db, app.cipher, mini_settings.data_dir).add_file(
            ref,
            b"a photo of the car",
            now=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
            kind="photo",
            file_name="car.jpg",
            mime_type="image/jpeg",
        )
    finally:
        await app.close()
    result = backup_database(mini_settings, tmp_path / "with-files.db", SEALED)
    assert result.files == 1 and result.files_dir == tmp_path / "with-files.db.files"
    rel = f"{ref}/{stored.id}.bin"
    copy = result.files_dir / "attachments" / rel
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    key = (mini_settings.data_dir / KEY_FILE_NAME).read_text()
    opened = Cipher(decode_key(key, "key")).open(copy.read_bytes(), file_context(rel))
    assert opened == b"a photo of the car"
