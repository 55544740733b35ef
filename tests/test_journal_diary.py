"""The exported diary as an officer reads it: in the order things happened, with the pattern
first, and built without making anyone else wait. On a clock the test sets."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import threading
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.app import App
from bot.journal import export as journal_export
from bot.journal.limits import JournalLimits
from tests.chat_client import ChatClient
from tests.journal_support import (
    incidents_of,
    journal_app_fixture,  # noqa: F401 - the `app` fixture
    start_app,
)

NOW = dt.datetime(2026, 11, 29, 23, 10, tzinfo=dt.UTC)  # Sunday night, GMT


def pages(content: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(content)).pages]


def documents(chat: ChatClient) -> tuple[bytes, list[dict[str, str]]]:
    pdf, csv_doc = [r.document for r in chat.replies if r.document]
    rows = list(csv.DictReader(io.StringIO(csv_doc.content.decode("utf-8-sig"))))
    return pdf.content, rows


async def test_the_diary_is_in_the_order_things_happened(app: App) -> None:
    app.engine.clock = lambda: NOW
    chat = ChatClient(app.engine)
    await chat.send("/log he rang again and again")  # 1: no time given
    await chat.send("/log three silent calls between 7 and 8 this morning")  # 2
    await chat.send("/log a car waited outside the house last week")  # 3
    await chat.send("/log he followed me home last night about 10")  # 4
    await chat.send("/log a letter came, no idea when")  # 5: no time given
    await chat.send("/incidents 3")
    await chat.click("Correct something")
    await chat.click("Change something")
    await chat.click("Where")
    await chat.send("outside the Co-op")
    await chat.click("Save")
    await chat.send("/export")
    pdf, rows = documents(chat)
    first, *rest = pages(pdf)

    # CSV: the same rows, happened-order, not given last in the order recorded
    assert [(r["entry"], r["incident number"]) for r in rows] == [
        ("1", "3"),
        ("2", "4"),
        ("3", "2"),
        ("4", "1"),
        ("5", "5"),
    ]
    night = rows[1]
    assert night["When it happened"] == "Sat 28 Nov 2026, about 22:00"
    assert night["precision"] == "approximate"
    assert night["when, in their words"] == "last night about 10"
    assert night["happened from (UTC)"] == "2026-11-28T22:00+00:00"
    assert night["happened from (UK time)"] == "2026-11-28T22:00+00:00"
    assert rows[2]["precision"] == "range"
    assert rows[2]["happened until (UTC)"] == "2026-11-29T08:00+00:00"
    assert rows[0]["When it happened"] == "week of 16 Nov 2026"
    assert rows[3]["When it happened"] == "time not given"
    assert rows[3]["recorded (UTC)"] == "2026-11-29T23:10+00:00"

    # first page: integrity, fingerprint, the chart and the table of every incident
    assert "Integrity check: passed" in first and "Chain fingerprint:" in first
    assert "Incidents per week, by kind" in first
    assert "Every incident" in first
    table = first[first.index("Every incident") :]
    assert table.index("week of 16 Nov 2026") < table.index("Sat 28 Nov 2026, about 22:00")
    assert table.index("between 07:00 and 08:00") < table.index("time not given")
    # then every incident in full, numbered, with a readable history
    body = " ".join(rest)
    assert body.index("Entry 1 · Incident 3") < body.index("Entry 5 · Incident 5")
    assert "Corrected on Sun 29 Nov 2026, 23:10: Where added: “outside the Co-op”" in body
    assert "written as: last night about 10" in body


async def test_one_export_builds_at_most_the_operators_cap(app: App) -> None:
    app.engine.clock = lambda: NOW
    app.engine.registry.services["journal_limits"] = JournalLimits(export_incidents=3)
    chat = ChatClient(app.engine)
    for n in range(5):
        await chat.send(f"/log entry {n} yesterday")
    await chat.send("/export")
    assert "holds the first 3 incidents in the order they happened, of 5" in chat.text
    _, rows = documents(chat)
    assert len(rows) == 3


async def test_another_person_is_answered_while_a_long_diary_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = await start_app(tmp_path)
    app.engine.clock = lambda: NOW
    store = incidents_of(app)
    building, built = threading.Event(), threading.Event()
    real_build = journal_export.build_export

    def observed_build(*args: object) -> object:
        building.set()
        try:
            return real_build(*args)  # type: ignore[arg-type]
        finally:
            built.set()

    monkeypatch.setattr(journal_export, "build_export", observed_build)
    try:
        exporter, other = ChatClient(app.engine, "tg:1"), ChatClient(app.engine, "tg:2")
        ref = app.engine.store.user_ref(exporter.user_id)
        for n in range(1000):
            fields = {"kind": "call", "description": f"call {n}", "occurred_at": None}
            await store.create(ref, fields, now=NOW - dt.timedelta(hours=n))
        export = asyncio.create_task(exporter.send("/export"))
        assert await asyncio.to_thread(building.wait, 60)  # the build has begun in its thread
        await other.send("/start")
        answered_while_building = not built.is_set()
        assert other.text  # the other person got their answer...
        assert answered_while_building  # ...while the diary was still being built
        await export
        _, rows = documents(exporter)
        assert len(rows) == 1000
    finally:
        await app.close()
