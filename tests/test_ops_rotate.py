"""`safety-bot rotate-key`: every sealed value and file moves to a new key, and an interrupted
rotation (a crash between batches, inside a batch, or after the key switch) finishes on re-run.

The data is real: conversation places written by the engine, journal incidents with revisions
and sealed attachment files written by `IncidentStore`, and Telegram message ids.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import sqlite3
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

import bot.ops.rotate as rotate_mod
from bot.app import build_registry, open_app, sealed_data
from bot.cli import main
from bot.ops.doctor import run_doctor
from bot.ops.rotate import PENDING_FILE_NAME, RotationError, rotate_key
from bot.settings import PROJECT_ROOT, Settings
from bot.store.checklists import Answer, ChecklistStore
from bot.store.crypto import KEY_FILE_NAME, Cipher, KeyProblem, decode_key
from bot.store.db import DB_FILE_NAME
from bot.store.inbox import Inbox
from bot.store.incidents import IncidentStore, revision_context
from bot.store.keys import CHECK_PLAINTEXT
from bot.store.locks import LockRecord, LockStore
from bot.store.sealed import SealedTable
from bot.store.tidy import TidySchedule
from tests.chat_client import ChatClient
from tests.conftest import mini_registry

NOW = dt.datetime(2026, 11, 20, 21, 30, tzinfo=dt.UTC)
USERS = [f"test:{i}" for i in range(7)]


# What `safety-bot rotate-key` is handed: the store's sealed tables and what every feature
# declared on the registry (no module list filled by importing the features).
SEALED = sealed_data(build_registry())


async def populate(settings: Settings) -> None:
    app = await open_app(settings, mini_registry([]))
    try:
        store = IncidentStore(app.db, app.cipher, settings.data_dir)
        for i, user in enumerate(USERS):
            chat = ChatClient(app.engine, user_id=user)
            await chat.send("/start")
            if i % 2:
                await chat.press("t.go_menu")
            ref = app.conversations.user_ref(user)
            photo = await store.add_file(
                ref,
                f"photo bytes of user {i} ".encode() * 40,
                now=NOW,
                kind="photo",
                file_name=f"p{i}.jpg",
                mime_type="image/jpeg",
            )
            saved = await store.create(
                ref, {"description": f"he was outside again ({i})"}, now=NOW, file_ids=[photo.id]
            )
            await store.add_revision(ref, saved.id, "note", {"text": f"note {i}"}, now=NOW)
            if i % 3 == 0:  # a journal lock (PIN) for some
                pin = await LockRecord.for_pin(f"{4000 + i}")
                await LockStore(app.db, app.cipher).put(ref, pin)
            await ChecklistStore(app.db, app.cipher).add(
                ref, "sdash", [Answer(f"question {i}", "Yes")], NOW
            )
            async with app.db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO chat_messages (chat_ref, message_id, sent_at) VALUES (?, ?, ?)",
                    (ref, 100 + i, 1_700_000_000),
                )
        tidy = TidySchedule(app.db, app.cipher, app.conversations.user_ref)
        for chat in (4201, 4202):  # auto-tidy schedules: the chat id sealed
            await tidy.choose(chat, 600)
        inbox = Inbox(app.db, app.cipher)  # updates a killed bot had not finished
        for i in range(3):
            await inbox.add(500 + i, f'{{"update_id": {500 + i}, "text": "left {i}"}}'.encode())
        await inbox.close()
    finally:
        await app.close()


async def snapshot(settings: Settings) -> dict[str, Any]:
    """Everything a user could see again, read through the bot's own stores."""
    app = await open_app(settings, mini_registry([]))
    try:
        store = IncidentStore(app.db, app.cipher, settings.data_dir)
        seen: dict[str, Any] = {}
        for user in USERS:
            ref = app.conversations.user_ref(user)
            incidents = await store.all(ref)
            lock = await LockStore(app.db, app.cipher).get(ref)
            checklists = await ChecklistStore(app.db, app.cipher).all(ref)
            seen[user] = {
                "ref": ref,
                "checklists": [(c.answered_at, c.answers) for c in checklists],
                "place": await app.conversations.load_place(ref),
                "lock": lock.to_json() if lock else None,
                "incidents": [
                    (
                        inc.number,
                        inc.fields,
                        [r.body for r in inc.revisions],
                        [await store.read_file(ref, f.id) for f in inc.files],
                    )
                    for inc in incidents
                ],
            }
        tidy = TidySchedule(app.db, app.cipher, app.conversations.user_ref, lambda: 4e9)
        seen["tidy"] = sorted(d.chat_id for d in await tidy.due())
        left = await Inbox(app.db, app.cipher).unfinished()
        seen["inbox"] = [(p.update_id, p.body) for p in left]
        return seen
    finally:
        await app.close()


def key_of(settings: Settings) -> bytes:
    return decode_key((settings.data_dir / KEY_FILE_NAME).read_text(), "key")


def marker(settings: Settings) -> str | None:
    conn = sqlite3.connect(settings.data_dir / DB_FILE_NAME)
    try:
        row = conn.execute("SELECT value FROM meta WHERE name = 'key_rotation'").fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def assert_all_under(settings: Settings, key: bytes) -> None:
    """Every registered sealed value and file opens with `key` (and so not with another)."""
    cipher = Cipher(key)
    conn = sqlite3.connect(settings.data_dir / DB_FILE_NAME)
    try:
        for spec in SEALED.tables:
            cols = ", ".join([*spec.key_columns, *spec.sealed_columns])
            sql = f"SELECT {cols} FROM {spec.table}" + (
                f" WHERE {spec.where}" if spec.where else ""
            )
            rows = conn.execute(sql).fetchall()
            assert rows, f"test data should cover {spec.table}"
            for row in rows:
                keyvals = dict(zip(spec.key_columns, row, strict=False))
                for col, value in zip(
                    spec.sealed_columns, row[len(spec.key_columns) :], strict=True
                ):
                    cipher.open(value, spec.context(keyvals, col))
    finally:
        conn.close()
    files = list((settings.data_dir / "attachments").glob("*/*.bin"))
    assert len(files) == len(USERS)
    for path in files:
        rel = path.relative_to(settings.data_dir / "attachments").as_posix()
        cipher.open(path.read_bytes(), f"attachment:{rel}".encode())


async def test_rotation_reseals_everything_and_switches_the_key_file(
    mini_settings: Settings,
) -> None:
    await populate(mini_settings)
    before = await snapshot(mini_settings)
    old = key_of(mini_settings)

    result = rotate_key(mini_settings, SEALED, batch_size=3)

    new = key_of(mini_settings)
    assert new != old and result.switched
    assert result.resealed["conversations"] == len(USERS)
    assert result.resealed["incident_revisions"] == 2 * len(USERS)
    assert result.files == len(USERS)
    assert stat.S_IMODE((mini_settings.data_dir / KEY_FILE_NAME).stat().st_mode) == 0o600
    assert not (mini_settings.data_dir / PENDING_FILE_NAME).exists()
    assert marker(mini_settings) is None
    assert_all_under(mini_settings, new)
    with pytest.raises(KeyProblem):  # the old key opens nothing any more
        conn = sqlite3.connect(mini_settings.data_dir / DB_FILE_NAME)
        check = conn.execute("SELECT value FROM meta WHERE name = 'key_check'").fetchone()[0]
        conn.close()
        Cipher(old).open(check, b"meta:key_check")
    # every user finds their place, incidents and files, under the same pseudonym
    assert await snapshot(mini_settings) == before
    # triggers guarding the journal survive the rotation
    conn = sqlite3.connect(mini_settings.data_dir / DB_FILE_NAME)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE incident_revisions SET kind = 'note'")
    conn.close()


class Crash(Exception):
    pass


async def test_crash_between_batches_then_resume(mini_settings: Settings) -> None:
    await populate(mini_settings)
    before = await snapshot(mini_settings)
    old = key_of(mini_settings)
    batches: list[tuple[str, int]] = []

    def crash_in_conversations(table: str, done: int) -> None:
        batches.append((table, done))
        if table == "conversations":
            raise Crash

    with pytest.raises(Crash):
        rotate_key(mini_settings, SEALED, batch_size=2, on_batch=crash_in_conversations)

    # half done: the key file is still the old one, the new key waits, the marker says so
    assert key_of(mini_settings) == old
    pending = mini_settings.data_dir / PENDING_FILE_NAME
    assert stat.S_IMODE(pending.stat().st_mode) == 0o600
    assert '"table": "conversations"' in marker(mini_settings)
    # the bot refuses to start on a half-rotated database, and says what to do
    with pytest.raises(KeyProblem, match="rotation .* unfinished.*rotate-key"):
        await open_app(mini_settings, mini_registry([]))
    report = run_doctor(mini_settings, env={}, registry=mini_registry([]))
    assert report.failed and "rotation is unfinished" in report.render()

    batches.clear()
    result = rotate_key(
        mini_settings, SEALED, batch_size=2, on_batch=lambda t, n: batches.append((t, n))
    )

    # resumed after the committed batch: meta was finished, conversations picks up at row 3
    assert [t for t, _ in batches].count("meta") == 0
    assert batches[0] == ("conversations", 2)
    assert result.resealed["meta"] == 0
    assert result.resealed["conversations"] == len(USERS) - 2  # rows 1-2 were committed before
    assert result.switched
    assert key_of(mini_settings) != old
    assert marker(mini_settings) is None and not pending.exists()
    assert_all_under(mini_settings, key_of(mini_settings))
    assert await snapshot(mini_settings) == before


async def test_crash_inside_a_batch_rolls_back_and_resumes(
    mini_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await populate(mini_settings)
    before = await snapshot(mini_settings)
    old = key_of(mini_settings)
    real_seal = Cipher.seal
    calls = {"n": 0}

    def failing_seal(self: Cipher, plaintext: bytes, context: bytes = b"") -> bytes:
        calls["n"] += 1
        if context.startswith(b"incident:") and calls["n"] > 12:
            raise Crash  # mid-batch, after some rows of this batch were updated
        return real_seal(self, plaintext, context)

    monkeypatch.setattr(Cipher, "seal", failing_seal)
    with pytest.raises(Crash):
        rotate_key(mini_settings, SEALED, batch_size=4)
    monkeypatch.setattr(Cipher, "seal", real_seal)

    # the failed batch (the first of incident_revisions) left nothing behind: the marker still
    # points before it, and every revision still opens with the old key only
    progress = json.loads(marker(mini_settings))
    assert progress["done"] == ["meta", "conversations", "inbox", "chat_tidy"]
    assert progress["table"] is None
    conn = sqlite3.connect(mini_settings.data_dir / DB_FILE_NAME)
    revisions = conn.execute(
        "SELECT user_ref, incident_id, revision, body FROM incident_revisions"
    ).fetchall()
    conn.close()
    for user_ref, incident_id, revision, body in revisions:
        Cipher(old).open(body, revision_context(user_ref, incident_id, revision))

    rotate_key(mini_settings, SEALED, batch_size=4)
    assert_all_under(mini_settings, key_of(mini_settings))
    assert await snapshot(mini_settings) == before


async def test_crash_after_the_key_switch_finishes_without_the_old_key(
    mini_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await populate(mini_settings)
    before = await snapshot(mini_settings)
    old = key_of(mini_settings)
    real_fsync_dir = rotate_mod._fsync_dir
    state = {"switched": False}

    def crash_after_rename(path: Path) -> None:
        real_fsync_dir(path)
        if not (path / PENDING_FILE_NAME).exists() and key_of(mini_settings) != old:
            state["switched"] = True
            raise Crash  # power cut right after the key file was switched

    monkeypatch.setattr(rotate_mod, "_fsync_dir", crash_after_rename)
    with pytest.raises(Crash):
        rotate_key(mini_settings, SEALED)
    monkeypatch.setattr(rotate_mod, "_fsync_dir", real_fsync_dir)
    assert state["switched"]
    # the marker stays until the end: every table done, from the old key to the one now in use
    assert json.loads(marker(mini_settings) or "null") == {
        "old": Cipher(old).fingerprint,
        "new": Cipher(key_of(mini_settings)).fingerprint,
        "done": [spec.table for spec in SEALED.tables],
        "table": None,
        "after": None,
    }

    result = rotate_key(mini_settings, SEALED)  # the old key is gone; nothing needs it any more
    assert result.switched and marker(mini_settings) is None
    assert await snapshot(mini_settings) == before


async def test_refuses_while_the_bot_has_the_database_open(mini_settings: Settings) -> None:
    await populate(mini_settings)
    app = await open_app(mini_settings, mini_registry([]))
    try:
        with pytest.raises(RotationError, match="in use: stop the bot"):
            rotate_key(mini_settings, SEALED)
    finally:
        await app.close()
    assert not (mini_settings.data_dir / PENDING_FILE_NAME).exists()


async def test_refuses_when_the_pending_key_is_lost(mini_settings: Settings) -> None:
    await populate(mini_settings)

    def crash(table: str, done: int) -> None:
        raise Crash

    with pytest.raises(Crash):
        rotate_key(mini_settings, SEALED, batch_size=2, on_batch=crash)
    (mini_settings.data_dir / PENDING_FILE_NAME).unlink()
    with pytest.raises(RotationError, match="new key .* is missing"):
        rotate_key(mini_settings, SEALED)


def db_bytes(settings: Settings) -> bytes:
    """The database file as it lies on the disk, with its write-ahead log."""
    files = [settings.data_dir / DB_FILE_NAME, settings.data_dir / (DB_FILE_NAME + "-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


async def test_a_new_features_sealed_table_is_rotated_once_declared_on_the_registry(
    mini_settings: Settings,
) -> None:
    await populate(mini_settings)
    cipher = Cipher(key_of(mini_settings))
    conn = sqlite3.connect(mini_settings.data_dir / DB_FILE_NAME)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, secret BLOB)")
    conn.execute(
        "INSERT INTO notes (id, secret) VALUES (1, ?)",
        (cipher.seal(b"he waited by the car", b"note:1"),),
    )
    conn.commit()
    conn.close()

    with pytest.raises(RotationError, match=r"notes\.secret"):  # nobody declared it
        rotate_key(mini_settings, SEALED)
    assert key_of(mini_settings) == cipher_key(cipher, mini_settings)

    registry = build_registry()  # a new feature declares its table where it registers
    registry.seal(
        tables=(
            SealedTable(
                "notes", ("id",), ("secret",), lambda row, col: f"note:{row['id']}".encode()
            ),
        )
    )
    sealed = sealed_data(registry)
    assert sealed.table("notes") is not None and sealed.table("incident_revisions") is not None
    rotate_key(mini_settings, sealed)
    conn = sqlite3.connect(mini_settings.data_dir / DB_FILE_NAME)
    resealed = conn.execute("SELECT secret FROM notes").fetchone()[0]
    conn.close()
    assert Cipher(key_of(mini_settings)).open(resealed, b"note:1") == b"he waited by the car"
    assert b"he waited by the car" not in db_bytes(mini_settings)  # sealed, not plain text


def cipher_key(cipher: Cipher, settings: Settings) -> bytes:
    key = key_of(settings)
    assert Cipher(key).fingerprint == cipher.fingerprint
    return key


async def test_with_key_in_environment_the_operator_switches(mini_settings: Settings) -> None:
    await populate(mini_settings)
    old_text = (mini_settings.data_dir / KEY_FILE_NAME).read_text().strip()
    (mini_settings.data_dir / KEY_FILE_NAME).unlink()
    mini_settings.key = old_text  # SAFETY_BOT_KEY
    before = await snapshot(mini_settings)

    result = rotate_key(mini_settings, SEALED)
    assert not result.switched
    assert result.pending_path == mini_settings.data_dir / PENDING_FILE_NAME
    assert not (mini_settings.data_dir / KEY_FILE_NAME).exists()
    new_text = result.pending_path.read_text().strip()
    # the old SAFETY_BOT_KEY no longer opens the database: the bot refuses instead of guessing
    with pytest.raises(KeyProblem, match="does not open"):
        await open_app(mini_settings, mini_registry([]))

    mini_settings.key = new_text
    assert await snapshot(mini_settings) == before
    again = rotate_key(mini_settings, SEALED)
    assert again.already_done and not result.pending_path.exists()


async def test_cli_rotate_key(mini_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    await populate(mini_settings)
    old = key_of(mini_settings)
    args = [
        "rotate-key",
        "--data-dir",
        str(mini_settings.data_dir),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "now holds the new key" in out and "Back it up now" in out
    assert key_of(mini_settings) != old
    # no database: a clear refusal, exit 2
    assert main(["rotate-key", "--data-dir", str(mini_settings.data_dir / "empty")]) == 2
    assert "nothing to rotate" in capsys.readouterr().err


FEATURE_TABLES = (
    "incident_revisions",
    "incident_files",
    "journal_chains",
    "journal_locks",
    "checklists",
)


async def test_the_command_alone_knows_every_features_sealed_tables(
    mini_settings: Settings,
) -> None:
    """`safety-bot rotate-key` in a fresh interpreter: nothing was imported or built before it,
    and it still re-seals every table the features declared (they are read off the registry,
    not off a list that building the engine would have filled)."""
    await populate(mini_settings)
    old = key_of(mini_settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFETY_BOT_")}
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot", "rotate-key", "--data-dir", str(mini_settings.data_dir)),
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = (part.decode() for part in await asyncio.wait_for(process.communicate(), 120))
    assert process.returncode == 0, err
    counts = dict(re.findall(r"(\w+) (\d+)", out.partition("rows checked")[2]))
    assert all(int(counts.get(table, 0)) > 0 for table in FEATURE_TABLES), out
    assert key_of(mini_settings) != old
    assert_all_under(mini_settings, key_of(mini_settings))


async def test_missing_key_with_existing_database_refuses_and_creates_nothing(
    mini_settings: Settings,
) -> None:
    await populate(mini_settings)
    key_path = mini_settings.data_dir / KEY_FILE_NAME
    old = key_of(mini_settings)
    key_path.unlink()
    with pytest.raises(KeyProblem, match="cannot be read without it"):
        await open_app(mini_settings, mini_registry([]))
    assert not key_path.exists()  # never a new key over old data
    with pytest.raises(KeyProblem, match="cannot be read without it"):
        rotate_key(mini_settings, SEALED)
    conn = sqlite3.connect(mini_settings.data_dir / DB_FILE_NAME)
    check = conn.execute("SELECT value FROM meta WHERE name = 'key_check'").fetchone()[0]
    conn.close()
    # still the key check sealed under the old key: nothing was re-sealed or replaced
    assert Cipher(old).open(check, b"meta:key_check") == CHECK_PLAINTEXT


def test_a_sealed_table_is_declared_once() -> None:
    registry = build_registry()  # the risk check already declares "checklists"
    registry.seal(tables=(SealedTable("checklists", ("id",), ("body",), lambda row, col: b""),))
    with pytest.raises(ValueError, match="'checklists' declared twice"):
        sealed_data(registry)
