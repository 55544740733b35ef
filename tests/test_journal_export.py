"""/incidents and /export: the list pages newest first, and the PDF and CSV hold every incident."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

from pypdf import PdfReader

from bot.app import App
from bot.channels.console import render
from tests.chat_client import ChatClient
from tests.journal_support import (
    incidents_of,
    journal_app_fixture,  # noqa: F401 - the `app` fixture
    photo_event,
    record_guided,
)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def flat(text: str) -> str:
    return " ".join(text.split())


async def test_list_is_newest_first_and_paginated(app: App) -> None:
    chat = ChatClient(app.engine)
    await chat.send("/incidents")
    assert "Your diary is empty" in chat.text
    for n in range(1, 8):
        await chat.send(f"/log entry number {n}")
    await chat.send("/incidents")
    assert "(1–5 of 7)" in chat.text
    assert chat.buttons[1:6] == [f"Open {n}" for n in (7, 6, 5, 4, 3)]
    await chat.click("Older")
    assert "(6–7 of 7)" in chat.text
    assert chat.buttons[1:3] == ["Open 2", "Open 1"]
    await chat.click("Open 1")
    assert "entry number 1" in chat.text
    assert "When it was recorded" in chat.text


async def test_export_pdf_and_csv_hold_every_incident(app: App, tmp_path: Path) -> None:
    chat = ChatClient(app.engine)
    ref = app.engine.store.user_ref(chat.user_id)
    photo = b"\xff\xd8 the car outside " * 40
    await record_guided(chat, "Zoë Łukasiewicz shouted 'I'm watching you' at me")
    await chat.click("Add a note or police reference")
    await chat.click("Add a police reference")
    await chat.send("CC/2026/123456")
    await chat.send("PC Jane Doe 4321")
    for n in range(2, 13):
        await chat.send(f"/log quick entry {n}: he drove past the house")
    await chat.send("/menu")
    await chat.event(photo_event(photo, "car-outside.jpg"))
    await chat.click("Incident 12")
    await chat.send("/incidents 1")
    await chat.click("Correct something")
    await chat.click("Change something")
    await chat.click("Where")
    await chat.send("Hospital Street car park")
    await chat.click("Save")

    await chat.send("/export")
    documents = [r.document for r in chat.replies if r.document]
    assert [d.mime_type for d in documents] == ["application/pdf", "text/csv"]
    pdf, csv_doc = documents
    assert pdf.file_name.endswith(".pdf") and pdf.content.startswith(b"%PDF")
    text = flat(pdf_text(pdf.content))
    for n in range(1, 13):
        assert f"· Incident {n} " in text
    for n in range(2, 13):
        assert f"quick entry {n}: he drove past the house" in text
    assert "Zoë Łukasiewicz shouted 'I'm watching you' at me" in text
    assert "silver Vauxhall AB12 CDE" in text and "my neighbour Sam" in text
    assert "CC/2026/123456 (PC Jane Doe 4321)" in text
    assert "car-outside.jpg" in text
    assert hashlib.sha256(photo).hexdigest() in text.replace(" ", "")
    # the correction and the original are both there, each with when it was written
    assert "Where was “the bus stop”, now “Hospital Street car park”" in text
    assert "First recorded on" in text and "Corrected on" in text
    assert "When it happened" in text and "When it was recorded" in text

    rows = list(csv.reader(io.StringIO(csv_doc.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert len(body) == 12
    first = dict(zip(header, body[0], strict=True))
    assert (first["entry"], first["incident number"]) == ("1", "1")
    assert first["What happened"] == "Zoë Łukasiewicz shouted 'I'm watching you' at me"
    assert first["Where"] == "Hospital Street car park"
    assert "CC/2026/123456" in first["Police reference"]
    last = dict(zip(header, body[-1], strict=True))
    assert hashlib.sha256(photo).hexdigest() in last["Evidence"]

    # the console writes the documents to files and prints where
    lines = [render(r, tmp_path / "exports") for r in chat.replies if r.document]
    assert all("Saved to" in line for line in lines)
    assert (tmp_path / "exports" / pdf.file_name).read_bytes() == pdf.content
    assert await incidents_of(app).count(ref) == 12


async def test_csv_cells_cannot_run_as_spreadsheet_formulas(app: App) -> None:
    chat = ChatClient(app.engine)
    await chat.send('/log =HYPERLINK("http://example.invalid","click")')
    await chat.send("/export")
    csv_doc = [r.document for r in chat.replies if r.document][1]
    rows = list(csv.reader(io.StringIO(csv_doc.content.decode("utf-8-sig"))))
    assert rows[1][rows[0].index("What happened")].startswith("'=HYPERLINK")
