"""Back on the journal's screens works as on every other screen; counts read "1 incident"."""

from __future__ import annotations

import io
import re
from pathlib import Path

from pypdf import PdfReader

from bot.app import App
from bot.channels.console import render
from tests.chat_client import ChatClient
from tests.journal_support import (
    incidents_of,
    journal_app_fixture,  # noqa: F401 - the `app` fixture
)

NAV = ["🚨 I'm in danger now", "Back", "Menu"]


def framed(buttons: list[str]) -> bool:
    """Emergency first, Back and Menu last: the frame of every screen."""
    return buttons[:1] == NAV[:1] and buttons[-2:] == NAV[1:]


MENU = "What would help right now?"
DIARY = "Your diary keeps what happened"
ADVICE = "Which of these is closest to what is happening?"
CALLS = 'just say "hello"'  # the first screen of "Unwanted calls"


def console_number(chat: ChatClient, label: str, tmp_path: Path) -> str:
    """The number the console shows in front of a button, as a person would type it."""
    screen = next(r for r in reversed(chat.replies) if r.buttons)
    shown = render(screen, tmp_path / "exports")
    found = re.search(rf"^  (\d+)\. {re.escape(label)}$", shown, re.MULTILINE)
    assert found, shown
    return found.group(1)


def pdf_text(content: bytes) -> str:
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


async def test_back_from_an_incident_to_its_list_page_then_to_where_you_were(app: App) -> None:
    chat = ChatClient(app.engine)
    for n in range(1, 8):
        await chat.send(f"/log entry number {n}")
    await chat.send("/menu")
    await chat.click("Advice for my situation")
    await chat.click("Unwanted calls")
    assert CALLS in chat.text
    await chat.send("/incidents")
    assert "(1–5 of 7)" in chat.text
    assert framed(chat.buttons)
    await chat.click("Older")
    assert "(6–7 of 7)" in chat.text
    await chat.click("Open 1")
    assert "entry number 1" in chat.text
    assert framed(chat.buttons)
    await chat.click("Back")
    assert "(6–7 of 7)" in chat.text  # the page it was opened from
    await chat.click("Back")
    assert "(1–5 of 7)" in chat.text
    await chat.send("/help")  # the help, then the screen the user is on: the list, made again
    assert "(1–5 of 7)" in chat.text and chat.buttons[1] == "Open 7"
    await chat.click("Back")
    assert CALLS in chat.text  # where the user was before opening the journal
    await chat.click("Back")
    assert ADVICE in chat.text  # and on back through the flows, as before
    await chat.click("Back")
    assert MENU in chat.text


async def test_back_typed_as_its_number_or_its_label_in_the_console(
    app: App, tmp_path: Path
) -> None:
    chat = ChatClient(app.engine)
    await chat.send("/menu")
    await chat.click("My diary")
    await chat.click("My incidents")
    assert "Your diary is empty." in chat.text
    assert chat.buttons == NAV
    await chat.send(console_number(chat, "Back", tmp_path))  # "2"
    assert DIARY in chat.text and "Your diary is empty." not in chat.text

    await chat.send("/log He waited by my car again")
    await chat.send("/menu")
    await chat.click("My diary")
    await chat.click("My incidents")
    await chat.send(console_number(chat, "Open 1", tmp_path))
    assert "He waited by my car again" in chat.text
    await chat.send(console_number(chat, "Back", tmp_path))
    assert "newest first (1–1 of 1)" in chat.text
    await chat.send("back")
    assert DIARY in chat.text


async def test_back_from_a_note_returns_to_the_incident_and_saves_nothing(app: App) -> None:
    chat = ChatClient(app.engine)
    ref = app.engine.store.user_ref(chat.user_id)
    await chat.send("/log A car waited outside for an hour")
    await chat.send("/menu")
    await chat.send("/incidents 1")
    await chat.click("Add a note")
    assert "Type your note." in chat.text
    await chat.click("Back")
    assert "A car waited outside for an hour" in chat.text
    assert "Add a note" in chat.buttons and framed(chat.buttons)
    await chat.send("He sent another parcel")  # not taken as the note any more
    assert "Type your note." not in chat.text
    [incident] = await incidents_of(app).all(ref)
    assert len(incident.revisions) == 1
    await chat.click("Back")  # from the offer to save that message: the incident again
    assert "A car waited outside for an hour" in chat.text
    await chat.click("Back")
    assert MENU in chat.text


async def test_back_from_an_offer_or_confirmation_returns_to_the_screen_under_it(app: App) -> None:
    chat = ChatClient(app.engine)
    ref = app.engine.store.user_ref(chat.user_id)
    await chat.send("/menu")
    await chat.click("Advice for my situation")
    await chat.click("Unwanted calls")
    await chat.send("/log He rang 20 times last night")
    assert "Saved as incident 1" in chat.text
    assert framed(chat.buttons)
    await chat.click("Back")
    assert CALLS in chat.text  # not the menu: the screen the user was on
    await chat.send("/delete_my_data")
    assert "Delete everything?" in chat.text and framed(chat.buttons)
    await chat.click("Back")
    assert CALLS in chat.text
    assert await incidents_of(app).count(ref) == 1  # nothing was deleted
    await chat.click("More")
    await chat.click("Menu")  # a flow's Back returns to a journal screen too
    await chat.send("/incidents 1")
    await chat.click("Menu")
    await chat.click("Back")
    assert "He rang 20 times last night" in chat.text


async def test_a_journal_screen_shown_first_has_back_only_once_there_is_a_way_back(
    app: App,
) -> None:
    chat = ChatClient(app.engine, "t:journal-first")
    await chat.send("/log the first thing I ever write here")
    assert "Back" not in chat.buttons  # nothing before it
    await chat.send("/incidents")
    assert chat.buttons[0] == "🚨 I'm in danger now" and chat.buttons[-1] == "Menu"
    assert "Back" not in chat.buttons
    await chat.click("Open 1")
    assert framed(chat.buttons)
    await chat.click("Add a note")
    await chat.click("Back")
    assert "the first thing I ever write here" in chat.text
    await chat.send("not a note")  # the note's question is left behind: no flow under it
    assert "Are you in danger right now?" in chat.text
    [incident] = await incidents_of(app).all(app.engine.store.user_ref(chat.user_id))
    assert len(incident.revisions) == 1
    await chat.click("Back")
    assert "the first thing I ever write here" in chat.text
    await chat.click("Back")
    assert "newest first (1–1 of 1)" in chat.text


async def test_one_incident_is_counted_as_one_in_the_export_and_the_delete_question(
    app: App,
) -> None:
    chat = ChatClient(app.engine)
    await chat.send("/menu")
    await chat.send("/log He was at the school gate")
    await chat.send("/export")
    pdf, _ = (r for r in chat.replies if r.document)
    assert pdf.text.startswith("Your incident diary (1 incident), to print")
    assert "1 incident, exported" in pdf_text(pdf.document.content)
    await chat.send("/delete_my_data")
    assert "kept here: 1 incident with its notes and files," in chat.text
    await chat.click("No, keep it")

    await chat.send("/log He was at the school gate again")
    await chat.send("/export")
    pdf, _ = (r for r in chat.replies if r.document)
    assert pdf.text.startswith("Your incident diary (2 incidents), to print")
    assert "2 incidents, exported" in pdf_text(pdf.document.content)
    await chat.send("/delete_my_data")
    assert "kept here: 2 incidents with their notes and files," in chat.text
