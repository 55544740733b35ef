"""The guided record, quick capture and bad input, through the real engine on a real database."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from bot.app import App
from bot.engine.events import Attachment, Event, Kind
from bot.store.incidents import KIND_CORRECTION
from tests.chat_client import ChatClient
from tests.clock import Clock, at_every_instant, latest_past
from tests.journal_support import (
    incidents_of,
    journal_app_fixture,  # noqa: F401 - the `app` fixture
    photo_event,
    record_guided,
    skip_to_evidence,
    start_app,
)


def last_button(chat: ChatClient, label: str) -> str:
    for reply in reversed(chat.replies):
        for button in reply.buttons:
            if label in button.label:
                return button.data
    raise AssertionError(f"no button {label!r}: {chat.buttons}")


@at_every_instant
async def test_guided_record_saves_only_when_confirmed(tmp_path: Path, clock: Clock) -> None:
    app = await start_app(tmp_path, clock)
    try:
        store = incidents_of(app)
        chat = ChatClient(app.engine, "tg:1")
        ref = app.engine.store.user_ref("tg:1")
        await chat.send("/record")
        assert "one question at a time" in chat.text
        await chat.click("Followed or watched")
        await chat.click("Skip")  # who it was
        await chat.send("12/03 18:00")
        meant = latest_past(clock.now, 3, 12, 18)  # the last 12 March, read day-first
        assert f"I understood: {meant:%a} 12 Mar {meant.year}, 18:00" in chat.text
        await chat.send("outside the gym")
        await chat.send("He waited by my car and said 'I know where you live'")
        await skip_to_evidence(chat)
        await chat.event(photo_event(b"\xff\xd8 fake jpeg bytes", "car.jpg"))
        assert "Added to this record: car.jpg" in chat.text
        await chat.click("Done")
        assert "Where: outside the gym" in chat.text and "Evidence: car.jpg" in chat.text
        assert await store.count(ref) == 0  # nothing saved before Save
        await chat.click("Save")
        assert "incident 1" in chat.text
        [incident] = await store.all(ref)
        fields = incident.fields
        assert fields["kind"] == "followed"
        assert fields["place"] == "outside the gym"
        assert fields["description"] == "He waited by my car and said 'I know where you live'"
        when = fields["occurred_at"]
        assert (when["p"], when["w"]) == ("exact", "12/03 18:00")  # the person's words kept
        happened = dt.datetime.fromisoformat(when["s"])
        assert happened.utcoffset() == dt.timedelta(0)  # stored as UTC
        assert happened == meant  # 12 March is in GMT: 18:00 UTC
        assert [f.file_name for f in incident.files] == ["car.jpg"]
        assert incident.recorded_at == clock.now  # when it was saved, on the test's clock
    finally:
        await app.close()


async def test_unreadable_and_future_dates_are_asked_again(app: App) -> None:
    chat = ChatClient(app.engine)
    await chat.send("/record")
    await chat.click("Phone call")
    await chat.click("Skip")  # who it was
    await chat.send("blurgh the other thing")
    assert "yesterday 9pm" in chat.text and "3 days ago" in chat.text  # examples
    await chat.send("tomorrow 9pm")
    assert "in the future" in chat.text
    await chat.send("3 days ago")
    assert "I understood" in chat.text and "Where did it happen" in chat.text


async def test_change_one_answer_goes_back_to_the_summary(app: App) -> None:
    chat = ChatClient(app.engine)
    await chat.send("/record")
    await chat.click("Email")
    await chat.click("Skip")  # who it was
    await chat.click("Skip")  # when
    await chat.send("at work")
    await chat.send("an email from a new address")
    await skip_to_evidence(chat)
    await chat.click("Done")
    await chat.click("Change something")
    await chat.click("Where")
    await chat.send("at home")
    assert "Where: at home" in chat.text and "Please check" in chat.text
    await chat.click("Save")
    ref = app.engine.store.user_ref(chat.user_id)
    [incident] = await incidents_of(app).all(ref)
    assert incident.fields["place"] == "at home"


async def test_double_tap_on_save_makes_one_incident(app: App) -> None:
    chat = ChatClient(app.engine)
    await chat.send("/record")
    await skip_to_evidence(chat)
    await chat.click("Done")
    save = last_button(chat, "Save")
    first, second = await asyncio.gather(
        app.engine.handle(chat.user_id, Event.button(save)),
        app.engine.handle(chat.user_id, Event.button(save)),
    )
    texts = ["\n".join(r.text for r in replies) for replies in (first, second)]
    assert sum("Saved in your diary as incident 1" in t for t in texts) >= 1
    assert any("earlier screen" in t for t in texts)  # the second tap is told, not saved
    ref = app.engine.store.user_ref(chat.user_id)
    assert await incidents_of(app).count(ref) == 1


async def test_old_summary_button_after_save_or_discard_saves_nothing(app: App) -> None:
    chat = ChatClient(app.engine)
    ref = app.engine.store.user_ref(chat.user_id)
    await chat.send("/record")
    await chat.click("Skip")  # kind
    await chat.click("Skip")  # who
    await chat.click("Skip")  # when
    await chat.send("the park")
    await chat.send("first incident")
    await skip_to_evidence(chat)
    await chat.click("Done")
    old_save = last_button(chat, "Save")
    await chat.click("Save")
    await chat.send("/menu")
    await chat.event(Event.button(old_save))
    assert "earlier screen" in chat.text
    assert await incidents_of(app).count(ref) == 1

    # a discarded draft: its old Save button saves nothing either
    await chat.send("/record")
    await skip_to_evidence(chat)
    await chat.click("Done")
    discarded_save = last_button(chat, "Save")
    await chat.click("Discard")
    await chat.click("Yes")
    assert "Nothing from that record was kept" in chat.text
    await chat.event(Event.button(discarded_save))
    assert "earlier screen" in chat.text
    assert await incidents_of(app).count(ref) == 1


async def test_a_draft_survives_a_restart(tmp_path: Path) -> None:
    app = await start_app(tmp_path)
    chat = ChatClient(app.engine, "tg:77")
    await chat.send("/record")
    await chat.click("Turned up at home or work")
    await chat.click("Skip")  # who it was
    await chat.send("yesterday 9pm")
    await chat.send("my front door")
    await chat.event(photo_event(b"doorbell camera still", "doorbell.jpg"))
    await app.close()  # the process ends mid-record

    app = await start_app(tmp_path)
    try:
        chat = ChatClient(app.engine, "tg:77")
        await chat.send("He knocked for ten minutes")  # the answer to "What happened?"
        await skip_to_evidence(chat)
        await chat.click("Done")
        assert "Where: my front door" in chat.text and "doorbell.jpg" in chat.text
        await chat.click("Save")
        ref = app.engine.store.user_ref("tg:77")
        [incident] = await incidents_of(app).all(ref)
        assert incident.fields["kind"] == "turned_up"
        assert incident.fields["place"] == "my front door"
        assert incident.fields["description"] == "He knocked for ten minutes"
        assert [f.file_name for f in incident.files] == ["doorbell.jpg"]
    finally:
        await app.close()


async def test_quick_log_saves_at_once_with_now_and_keeps_long_text_whole(
    tmp_path: Path, clock: Clock
) -> None:
    app = await start_app(tmp_path, clock)
    try:
        chat = ChatClient(app.engine)
        ref = app.engine.store.user_ref(chat.user_id)
        await chat.send("/log")
        assert "Type /log and then what happened" in chat.text
        long_text = "He sent another message. " * 800  # 20,000 characters
        await chat.send("/log " + long_text)
        assert "Saved as incident 1" in chat.text
        assert "When it happened: time not given" in chat.text  # no time in the text: none made up
        assert "Add a note or police reference" in chat.buttons
        [incident] = await incidents_of(app).all(ref)
        assert incident.fields["description"] == long_text.strip()
        assert incident.fields["occurred_at"]["p"] == "not_given"  # never the clock
    finally:
        await app.close()


async def test_unexpected_text_is_offered_and_forwarded_message_keeps_date_and_sender(
    app: App,
) -> None:
    chat = ChatClient(app.engine)
    ref = app.engine.store.user_ref(chat.user_id)
    await chat.send("/menu")
    await chat.send("he parked outside again last night")
    assert "save that message in your diary" in chat.text
    await chat.click("No, thanks")
    assert await incidents_of(app).count(ref) == 0
    await chat.send("he parked outside again last night")
    await chat.send("2")  # typed number picks the offer's first button (console; 1 is emergency)
    assert "Saved as incident 1" in chat.text

    sent = dt.datetime(2026, 3, 1, 22, 15, tzinfo=dt.UTC)
    await chat.send("/menu")
    await chat.event(
        Event(
            Kind.TEXT,
            text="you can't hide from me",
            forwarded_from="Jay (@jay_9)",
            forwarded_date=sent,
        )
    )
    assert "original date and sender" in chat.text
    await chat.click("Save it as an incident")
    incident = await incidents_of(app).by_number(ref, 2)
    assert incident.fields["forwarded_from"] == "Jay (@jay_9)"
    assert dt.datetime.fromisoformat(incident.fields["forwarded_date"]) == sent
    when = incident.fields["occurred_at"]
    assert when["p"] == "exact" and dt.datetime.fromisoformat(when["s"]) == sent


async def test_files_outside_a_record_are_offered_for_a_new_or_recent_incident(app: App) -> None:
    chat = ChatClient(app.engine)
    ref = app.engine.store.user_ref(chat.user_id)
    await chat.send("/log a letter came through the door")
    await chat.send("/menu")
    sent = dt.datetime(2026, 2, 2, 9, 30, tzinfo=dt.UTC)
    await chat.event(
        photo_event(b"scan of the letter", "letter.jpg", forwarded_from="Jay", forwarded_date=sent)
    )
    assert "Which incident is it for?" in chat.text
    await chat.click("Incident 1")
    assert "Kept with incident 1" in chat.text
    incident = await incidents_of(app).by_number(ref, 1)
    [kept] = incident.files
    assert (kept.file_name, kept.forwarded_from) == ("letter.jpg", "Jay")
    assert dt.datetime.fromisoformat(kept.forwarded_date or "") == sent
    assert await incidents_of(app).read_file(ref, kept.id) == b"scan of the letter"

    await chat.event(photo_event(b"another one", "second.jpg"))
    await chat.click("Don't keep it")
    assert "Not kept" in chat.text
    assert [f.file_name for f in (await incidents_of(app).by_number(ref, 1)).files] == [
        "letter.jpg"
    ]
    await chat.event(photo_event(b"a third", "third.jpg"))
    await chat.click("A new incident")
    await skip_to_evidence(chat)
    await chat.click("Done")
    assert "third.jpg" in chat.text
    await chat.click("Save")
    assert [f.file_name for f in (await incidents_of(app).by_number(ref, 2)).files] == ["third.jpg"]


async def test_too_big_file_sticker_and_poll_get_calm_answers(app: App) -> None:
    chat = ChatClient(app.engine)
    await chat.send("/menu")
    big = Event(
        Kind.ATTACHMENT,
        attachment=Attachment("video", "long.mp4", size=80 * 1024 * 1024, content=None),
    )
    await chat.event(big)
    assert "too big for me to fetch (the limit is 20 MB)" in chat.text
    await chat.event(Event(Kind.UNSUPPORTED))
    assert "send a photo instead, or describe it" in chat.text


async def test_notes_police_reference_and_corrections_are_new_revisions(app: App) -> None:
    chat = ChatClient(app.engine)
    ref = app.engine.store.user_ref(chat.user_id)
    await record_guided(chat, "He followed me from the station", where="Crewe station")
    await chat.click("Add a note or police reference")
    await chat.click("Add a police reference")
    await chat.send("CC-2026-0412")
    await chat.send("PC Patel")
    assert "Added to incident 1" in chat.text
    await chat.click("Add something else")
    await chat.click("Add a note")
    await chat.send("I reported it at the front desk")
    await chat.send("/incidents 1")
    await chat.click("Correct something")
    await chat.click("Change something")
    await chat.click("Where")
    await chat.send("Nantwich station")
    await chat.click("Save")
    incident = await incidents_of(app).by_number(ref, 1)
    assert incident.fields["place"] == "Nantwich station"
    assert incident.original["place"] == "Crewe station"  # the first record stays
    kinds = [r.kind for r in incident.revisions]
    assert kinds == ["original", "police", "note", KIND_CORRECTION]
    await chat.send("/incidents 1")
    view = chat.text
    assert "CC-2026-0412 (PC Patel)" in view
    assert "Corrected on" in view and "Where was “Crewe station”, now “Nantwich station”" in view


async def test_the_database_refuses_to_rewrite_history(app: App) -> None:
    chat = ChatClient(app.engine)
    await chat.send("/log the first version")
    await chat.send("/menu")
    await chat.event(photo_event(b"evidence", "e.jpg"))
    await chat.click("Incident 1")
    for statement in (
        "UPDATE incident_revisions SET kind = 'note'",
        "UPDATE incidents SET number = 9",
        "UPDATE incident_files SET incident_id = NULL",
    ):
        with pytest.raises(sqlite3.IntegrityError):
            async with app.db.transaction() as conn:
                await conn.execute(statement)
    ref = app.engine.store.user_ref(chat.user_id)
    incident = await incidents_of(app).by_number(ref, 1)
    assert incident.fields["description"] == "the first version"
    assert len(incident.files) == 1
