"""Tamper evidence: a diary changed in the database file behind the bot's back says so.

Each test records a small diary through the bot, closes it, changes the SQLite file directly
(as someone with the file but not the key could), opens it again, and looks at what the person
sees (/incidents), what the officer gets (/export) and what the operator sees (doctor).
"""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.app import App
from bot.ops.doctor import FAIL, OK, run_doctor
from bot.settings import Settings
from bot.store import db as db_module
from bot.store.migrations import MIGRATIONS
from tests.chat_client import ChatClient
from tests.journal_support import (
    incidents_of,
    journal_app_fixture,  # noqa: F401 - the `app` fixture
    start_app,
)

USER = "tg:4242"


def pdf_text(content: bytes) -> str:
    return " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split()
    )


async def record_three(data_dir: Path) -> None:
    """Three incidents; the second gets a note and a correction (revisions 2 and 3)."""
    app = await start_app(data_dir)
    try:
        chat = ChatClient(app.engine, USER)
        await chat.send("/log he rang at 21:15 last night")
        await chat.send("/log a car waited outside this morning")
        await chat.send("/incidents 2")
        await chat.click("Add a note")
        await chat.send("my neighbour saw it too")
        await chat.send("/log a letter came yesterday")
    finally:
        await app.close()


async def export_and_list(data_dir: Path) -> tuple[str, str, str]:
    """(the PDF's text, /incidents, /incidents 2) after the change."""
    app = await start_app(data_dir)
    try:
        chat = ChatClient(app.engine, USER)
        await chat.send("/export")
        pdf = next(r.document for r in chat.replies if r.document).content
        await chat.send("/incidents")
        listing = chat.text
        await chat.send("/incidents 2")
        return pdf_text(pdf), listing, chat.text
    finally:
        await app.close()


def doctor(data_dir: Path) -> list[tuple[str, str]]:
    report = run_doctor(Settings(data_dir=data_dir), env={})
    return [(c.status, c.message) for c in report.findings if c.area == "journal"]


def change(data_dir: Path, *statements: str) -> None:
    conn = sqlite3.connect(data_dir / "safety-bot.db")
    try:
        conn.execute("DROP TRIGGER IF EXISTS incident_revisions_append_only")
        conn.execute("DROP TRIGGER IF EXISTS incidents_append_only")
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


NOTE = "(SELECT id FROM incident_revisions WHERE kind = 'note')"
TAMPERING: dict[str, tuple[str, ...]] = {
    "a revision back-dated": (
        f"UPDATE incident_revisions SET recorded_at = '2025-01-01T09:00:00+00:00' WHERE id = {NOTE}",
    ),
    "an incident back-dated": (
        "UPDATE incidents SET recorded_at = '2025-01-01T09:00:00+00:00' WHERE number = 2",
    ),
    "a revision's kind changed": (
        f"UPDATE incident_revisions SET kind = 'police' WHERE id = {NOTE}",
    ),
    "incident numbers swapped": (
        "UPDATE incidents SET number = 99 WHERE number = 1",
        "UPDATE incidents SET number = 1 WHERE number = 2",
        "UPDATE incidents SET number = 2 WHERE number = 99",
    ),
    "entries reordered": (
        "UPDATE incident_revisions SET seq = 99 WHERE seq = 1",
        "UPDATE incident_revisions SET seq = 1 WHERE seq = 2",
        "UPDATE incident_revisions SET seq = 2 WHERE seq = 99",
    ),
    "a revision deleted from the middle": (f"DELETE FROM incident_revisions WHERE id = {NOTE}",),
    "the newest entry deleted": (
        "DELETE FROM incident_revisions WHERE seq = (SELECT MAX(seq) FROM incident_revisions)",
        "DELETE FROM incidents WHERE number = 3",
    ),
    "a whole incident deleted": (
        "DELETE FROM incident_revisions WHERE incident_id = "
        "(SELECT id FROM incidents WHERE number = 1)",
        "DELETE FROM incidents WHERE number = 1",
    ),
    "a row added without the bot": (
        "INSERT INTO incident_revisions (incident_id, user_ref, revision, recorded_at, kind, body) "
        "SELECT incident_id, user_ref, 9, recorded_at, 'note', body FROM incident_revisions "
        f"WHERE id = {NOTE}",
    ),
}


async def test_an_untouched_diary_is_intact_and_exports_the_same_fingerprint(
    tmp_path: Path,
) -> None:
    await record_three(tmp_path)
    first, listing, one = await export_and_list(tmp_path)
    second, _, _ = await export_and_list(tmp_path)
    assert "Integrity check: passed" in first
    assert "changed outside the bot" not in listing + one
    fingerprint = first.split("Chain fingerprint: ")[1][:39]
    assert fingerprint in second  # two exports of the same diary: the same fingerprint
    assert doctor(tmp_path) == [(OK, "1 diary: every hash chain intact")]


@pytest.mark.parametrize("how", list(TAMPERING))
async def test_a_change_behind_the_bots_back_is_reported(tmp_path: Path, how: str) -> None:
    await record_three(tmp_path)
    change(tmp_path, *TAMPERING[how])
    diary, listing, _ = await export_and_list(tmp_path)
    assert "Integrity check: FAILED" in diary, how
    assert "changed outside the bot" in listing, how
    [(status, message)] = doctor(tmp_path)
    assert status == FAIL and "changed outside the bot" in message, how


async def test_loading_one_incident_shows_its_own_change(tmp_path: Path) -> None:
    await record_three(tmp_path)
    change(tmp_path, *TAMPERING["a revision back-dated"])
    _, _, incident_two = await export_and_list(tmp_path)
    assert "Warning: this diary was changed outside the bot" in incident_two


async def test_a_diary_from_before_the_chain_is_chained_once_and_keeps_its_ids_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bot as it was (schema 4): /log stored the Telegram chat and message id in draft_key.
    monkeypatch.setattr(db_module, "MIGRATIONS", [m for m in MIGRATIONS if m[0] <= 4])
    from bot.store.crypto import Cipher, load_or_create_key
    from bot.store.incidents import _dumps, revision_context
    from bot.store.keys import unlock

    cipher = Cipher(load_or_create_key(tmp_path, None, False))
    db = await db_module.Database.open(tmp_path / "safety-bot.db")
    try:
        await unlock(db, cipher)
        assert await db.fetchone("PRAGMA user_version") == (4,)
        await db.conn.execute(
            "INSERT INTO incidents (id, user_ref, number, recorded_at, draft_key) "
            "VALUES (7, 'u1', 1, '2026-11-01T10:00:00+00:00', 'event:m:987654321:55')"
        )
        body = cipher.seal(
            _dumps({"fields": {"description": "old entry"}}), revision_context("u1", 7, 1)
        )
        await db.conn.execute(
            "INSERT INTO incident_revisions (incident_id, user_ref, revision, recorded_at, kind, "
            "body) VALUES (7, 'u1', 1, '2026-11-01T10:00:00+00:00', 'original', ?)",
            (body,),
        )
        await db.conn.commit()
    finally:
        await db.close()
    monkeypatch.undo()
    app = await start_app(tmp_path)
    try:
        store = incidents_of(app)
        assert (await store.verify("u1")).intact
        [incident] = await store.all("u1")
        assert incident.fields["description"] == "old entry" and not incident.problems
        row = await app.db.fetchone("SELECT draft_key FROM incidents WHERE id = 7")
        assert row is not None and row[0].startswith("h:") and "987654321" not in row[0]
    finally:
        await app.close()
    raw = (tmp_path / "safety-bot.db").read_bytes()
    assert b"987654321" not in raw
    assert doctor(tmp_path)[0][0] == OK


def test_the_tampering_table_covers_each_way(
    request: pytest.FixtureRequest,
) -> None:
    ways: Callable[[str], bool] = lambda word: any(word in how for how in TAMPERING)  # noqa: E731
    for word in ("back-dated", "kind", "numbers", "reordered", "deleted", "added"):
        assert ways(word), word


async def test_two_stores_on_one_file_keep_one_chain(app: App) -> None:
    first, second = incidents_of(app), incidents_of(app)
    now = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
    for n in range(3):
        saved = await first.create("u", {"description": f"from the first {n}"}, now=now)
        await second.add_revision("u", saved.id, "note", {"text": "from the second"}, now=now)
    assert (await first.verify("u")).intact
    assert len(await second.all("u")) == 3
