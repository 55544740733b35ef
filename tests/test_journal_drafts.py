"""Drafts and files: an unfinished record is offered again, never dropped silently; files of a
draft that is discarded or replaced are deleted at once, and those of an interrupted one a day
later; limits say so clearly; a restarted console is back on the journal screen it showed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.app import App
from bot.journal.limits import JournalLimits
from tests.chat_client import ChatClient
from tests.journal_support import (
    incidents_of,
    journal_app_fixture,  # noqa: F401 - the `app` fixture
    photo_event,
    skip_to_evidence,
)
from tests.test_console import run_chat

NOW = dt.datetime(2026, 11, 29, 20, 0, tzinfo=dt.UTC)


class Clock:
    """The engine's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


def sealed_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "attachments").rglob("*.bin"))


async def waiting_rows(app: object) -> int:
    row = await app.db.fetchone(  # type: ignore[attr-defined]
        "SELECT COUNT(*) FROM incident_files WHERE incident_id IS NULL"
    )
    return int(row[0])


async def start_a_record_with_a_photo(chat: ChatClient) -> None:
    await chat.send("/record")
    await chat.click("Phone call")
    await chat.click("Skip")  # who it was
    await chat.send("yesterday 9pm")
    await chat.event(photo_event(b"\xff\xd8 the car " * 20, "car.jpg"))
    assert "Added to this record: car.jpg" in chat.text


async def test_an_unfinished_record_is_offered_and_carried_on(app: App) -> None:
    app.engine.clock = Clock()
    chat = ChatClient(app.engine)
    await start_a_record_with_a_photo(chat)
    await chat.send("/menu")
    await chat.click("My diary")
    await chat.click("Record what happened")
    assert "You have a record you did not finish." in chat.text
    assert "It has 3 answers so far" in chat.text  # kind, when, the photo
    await chat.click("Carry on with it")
    assert "When it happened: Sat 28 Nov 2026, 21:00" in chat.text
    assert "Evidence: car.jpg" in chat.text
    await chat.click("Save")
    [incident] = await incidents_of(app).all(app.engine.store.user_ref(chat.user_id))
    assert [f.file_name for f in incident.files] == ["car.jpg"]
    await chat.send("/record")
    assert "did not finish" not in chat.text  # saved: nothing left to offer


async def test_starting_again_deletes_the_old_drafts_files_at_once(
    app: App, tmp_path: Path
) -> None:
    app.engine.clock = Clock()
    chat = ChatClient(app.engine)
    await start_a_record_with_a_photo(chat)
    assert len(sealed_files(tmp_path)) == 1
    await chat.send("/menu")
    await chat.send("/record")
    await chat.click("Start again")
    assert "Nothing from it was saved" in chat.text
    assert "What kind of incident was it?" in chat.text
    assert sealed_files(tmp_path) == [] and await waiting_rows(app) == 0


async def test_discarding_deletes_the_drafts_files_at_once(app: App, tmp_path: Path) -> None:
    app.engine.clock = Clock()
    chat = ChatClient(app.engine)
    await start_a_record_with_a_photo(chat)
    await skip_to_evidence(chat)
    await chat.click("Done")
    await chat.click("Discard")
    await chat.click("Yes")
    assert "Nothing from that record was kept" in chat.text
    assert sealed_files(tmp_path) == [] and await waiting_rows(app) == 0


async def test_cancelling_deletes_the_drafts_files_at_once(app: App, tmp_path: Path) -> None:
    app.engine.clock = Clock()
    chat = ChatClient(app.engine)
    await start_a_record_with_a_photo(chat)
    assert len(sealed_files(tmp_path)) == 1 and await waiting_rows(app) == 1
    await chat.send("/cancel")
    assert "Nothing from that was saved" in chat.text
    assert sealed_files(tmp_path) == [] and await waiting_rows(app) == 0
    await chat.send("/record")  # and no half-made draft is offered back
    assert "Carry on with it" not in chat.buttons


async def test_an_interrupted_drafts_files_are_swept_after_a_day(app: App, tmp_path: Path) -> None:
    clock = Clock()
    app.engine.clock = clock
    chat = ChatClient(app.engine)
    await start_a_record_with_a_photo(chat)
    await chat.send("/menu")  # interrupted: the draft and its file wait
    clock.now = NOW + dt.timedelta(hours=23)
    await chat.send("/record")
    assert len(sealed_files(tmp_path)) == 1  # not yet a day
    await chat.send("/menu")
    clock.now = NOW + dt.timedelta(hours=25)
    await chat.send("/record")
    assert sealed_files(tmp_path) == [] and await waiting_rows(app) == 0


async def test_limits_set_by_the_operator_are_said_clearly(app: App) -> None:
    app.engine.clock = Clock()
    app.engine.registry.services["journal_limits"] = JournalLimits(incidents=2, files=1)
    chat = ChatClient(app.engine)
    ref = app.engine.store.user_ref(chat.user_id)
    await chat.send("/log one")
    await chat.send("/log two")
    await chat.send("/log three")
    assert "Your diary is full: it holds 2 incidents" in chat.text
    assert "Saved as" not in chat.text
    assert await incidents_of(app).count(ref) == 2
    await chat.send("/menu")
    await chat.event(photo_event(b"first photo", "a.jpg"))
    await chat.click("Don't keep it")
    await chat.event(photo_event(b"second photo", "b.jpg"))
    assert "I can keep this photo" in chat.text
    await chat.event(photo_event(b"third photo", "c.jpg"))
    assert "I can't keep this file: your diary already holds 1 files" in chat.text


def test_limits_come_from_the_environment_with_clear_errors() -> None:
    limits = JournalLimits.from_env({"SAFETY_BOT_JOURNAL_MAX_INCIDENTS": "50"})
    assert limits.incidents == 50 and limits.files == JournalLimits().files
    try:
        JournalLimits.from_env({"SAFETY_BOT_JOURNAL_MAX_FILES": "lots"})
    except ValueError as problem:
        assert "SAFETY_BOT_JOURNAL_MAX_FILES" in str(problem)
    else:
        raise AssertionError("a bad limit was accepted")


def test_a_restarted_console_never_shows_numbers_of_an_older_screen(tmp_path: Path) -> None:
    first = run_chat(
        tmp_path, ["/log he rang at 21:15", "/log a car outside", "/incidents", "/quit"]
    )
    assert "2. Open 2" in first.stdout
    # Restarted, the console opens on the menu (whoever opens it next may not be the person),
    # so "2" is the menu's first choice (1 is "I'm in danger now"): never "Open 2" of a list
    # no longer on screen.
    second = run_chat(tmp_path, ["2", "/quit"], "chat")
    assert second.returncode == 0, second.stderr
    assert "Which of these is closest to what is happening?" in second.stdout
    assert "Incident 2" not in second.stdout


async def test_help_on_a_journal_screen_shows_that_screen_made_afresh(app: App) -> None:
    app.engine.clock = Clock()
    chat = ChatClient(app.engine)
    await chat.send("/log he rang at 21:15")
    await chat.send("/incidents")
    await chat.send("/log a car outside")  # the list on screen is now out of date
    await chat.send("/incidents")
    await chat.send("/help")
    assert "Your incidents, newest first (1–2 of 2)" in chat.text
    assert chat.buttons[1:3] == ["Open 2", "Open 1"]
