"""The journal lock, as conversations with the real engine and a real database, on a clock the
test moves: a PIN set twice, nothing of the journal before it, capture that never needs it, the
5-minute close, Lock now, five wrong tries and the doubling pause, and the forgotten PIN's
72-hour erasure that the PIN can stop."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, open_app
from bot.engine.events import Event
from bot.journal.lock import lock_now
from bot.settings import Settings
from bot.store.checklists import ChecklistStore
from bot.store.locks import LockStore
from tests.chat_client import ChatClient
from tests.journal_support import incidents_of, photo_event, raw_files, record_guided
from tests.test_console import run_chat
from tests.test_risk_check import answer_all

PIN = "482916"
SECRET = "the grey hatchback outside my flat"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def started(data_dir: Path, clock: Clock) -> App:
    return await open_app(Settings(data_dir=data_dir), clock=clock)


@pytest.fixture
async def app(tmp_path: Path, clock: Clock) -> AsyncIterator[App]:
    app = await started(tmp_path / "data", clock)
    yield app
    await app.close()


@pytest.fixture
def chat(app: App) -> ChatClient:
    return ChatClient(app.engine, "tg:701")


def deleted(chat: ChatClient) -> bool:
    """Did the last answer ask the channel to delete the message the person typed?"""
    return any(r.delete_message for r in chat.replies)


async def set_pin(chat: ChatClient, pin: str = PIN) -> None:
    await chat.send("/lock")
    assert "Nobody can reset the PIN" in chat.text
    await chat.click("Set a PIN")
    assert "nobody can reset it" in chat.text
    await chat.send(pin)
    assert deleted(chat) and "same PIN again" in chat.text
    await chat.send(pin)
    assert deleted(chat) and "Your PIN is set" in chat.text


async def test_with_a_pin_the_list_asks_for_it_first_and_shows_nothing_before(
    chat: ChatClient,
) -> None:
    await chat.send(f"/log {SECRET}")
    await set_pin(chat)
    await chat.click("Lock now")
    assert "Locked" in chat.text

    for command in ("/incidents", "/incidents 1", "/export", "/delete_my_data"):
        await chat.send(command)
        assert "Type your PIN" in chat.text, command
        assert SECRET not in chat.text and "incident" not in chat.text.lower(), command
        assert not any(r.document for r in chat.replies), command

    await chat.send(PIN)  # the last thing asked for was /delete_my_data: it is carried out
    assert deleted(chat)
    assert "Open" in chat.text and "Delete everything?" in chat.text
    await chat.click("No")
    await chat.send("/incidents 1")
    assert SECRET in chat.text


async def test_recording_something_new_never_needs_the_pin(chat: ChatClient, app: App) -> None:
    await set_pin(chat)
    await chat.click("Lock now")
    await chat.send("/log he was at the station again")
    assert "Saved as incident 1" in chat.text
    await record_guided(chat, "a note on the car windscreen")
    assert "Saved" in chat.text
    assert await incidents_of(app).count(chat.engine.store.user_ref("tg:701")) == 2


async def test_the_journal_closes_after_five_quiet_minutes_and_activity_keeps_it_open(
    chat: ChatClient, clock: Clock
) -> None:
    await chat.send(f"/log {SECRET}")
    await set_pin(chat)
    clock.advance(minutes=4)
    await chat.send("/incidents 1")
    assert SECRET in chat.text
    clock.advance(minutes=4, seconds=59)  # 8m59s after setting, but under 5 minutes quiet
    await chat.send("/incidents 1")
    assert SECRET in chat.text
    clock.advance(minutes=5, seconds=1)
    await chat.send("/incidents 1")
    assert "Type your PIN" in chat.text and SECRET not in chat.text


async def test_clear_closes_the_journal(chat: ChatClient, app: App) -> None:
    await chat.send(f"/log {SECRET}")
    await set_pin(chat)
    lock_now(app.registry, app.conversations.user_ref("tg:701"))  # what Telegram's /clear calls
    await chat.send("/incidents 1")
    assert "Type your PIN" in chat.text and SECRET not in chat.text


async def test_a_note_typed_after_the_journal_closed_waits_for_the_pin_and_is_kept(
    chat: ChatClient, clock: Clock, app: App
) -> None:
    await chat.send(f"/log {SECRET}")
    await set_pin(chat)
    await chat.send("/incidents 1")
    await chat.click("Add a note")
    clock.advance(minutes=6)
    await chat.send("he drove past twice more")
    assert "Type your PIN" in chat.text
    await chat.send(PIN)
    assert "Open" in chat.text
    await chat.send("/incidents 1")
    assert "he drove past twice more" in chat.text


async def test_changing_the_pin_needs_the_old_one(chat: ChatClient) -> None:
    await set_pin(chat)
    await chat.click("Lock now")
    await chat.send("/lock")
    assert "Type your PIN" in chat.text
    await chat.send(PIN)
    await chat.click("Change my PIN")
    await chat.send("135790")
    await chat.send("135799")
    assert deleted(chat) and "not the same" in chat.text
    await chat.send("135790")
    await chat.send("135790")
    assert "Your PIN is set" in chat.text
    await chat.click("Lock now")
    await chat.send("/incidents")
    await chat.send(PIN)
    assert "not right" in chat.text
    await chat.send("135790")
    assert "Open" in chat.text


async def test_five_wrong_tries_pause_the_pin_for_15_minutes_then_30(
    chat: ChatClient, clock: Clock
) -> None:
    await chat.send(f"/log {SECRET}")
    await set_pin(chat)
    await chat.click("Lock now")
    await chat.send("/incidents 1")
    for left in (4, 3, 2):
        await chat.send("000000")
        assert deleted(chat) and f"{left} more wrong tries" in chat.text
    await chat.send("000000")
    assert "1 more wrong try" in chat.text
    await chat.send("000000")
    assert "try your PIN again in 15 minutes" in chat.text
    await chat.send(PIN)  # right, but paused: not even checked
    assert deleted(chat) and "again in 15 minutes" in chat.text and SECRET not in chat.text
    clock.advance(minutes=14)
    await chat.send(PIN)
    assert "again in 1 minute." in chat.text
    clock.advance(minutes=1, seconds=1)
    for _ in range(5):
        await chat.send("111111")
    assert "again in 30 minutes" in chat.text
    clock.advance(minutes=31)
    await chat.send(PIN)
    assert SECRET in chat.text  # the /incidents 1 asked for before is shown


async def test_wrong_tries_and_pause_survive_a_restart(tmp_path: Path, clock: Clock) -> None:
    app = await started(tmp_path / "data", clock)
    chat = ChatClient(app.engine, "tg:702")
    await set_pin(chat)
    await chat.click("Lock now")
    await chat.send("/incidents")
    for _ in range(5):
        await chat.send("999000")
    await app.close()
    app = await started(tmp_path / "data", clock)
    try:
        chat = ChatClient(app.engine, "tg:702")
        await chat.send("/incidents")
        await chat.send(PIN)
        assert "again in 15 minutes" in chat.text
    finally:
        await app.close()


async def test_a_forgotten_pin_erases_everything_only_after_72_hours(
    chat: ChatClient, clock: Clock, app: App
) -> None:
    await chat.send(f"/log {SECRET}")
    await set_pin(chat)
    await chat.click("Lock now")
    await chat.send("/incidents")
    await chat.click("I forgot my PIN")
    assert "72 hours" in chat.text
    await chat.click("Erase everything in 72 hours")
    assert "will be erased on" in chat.text
    clock.advance(hours=71, minutes=59)
    await chat.send("/log still recording while I wait")
    assert "Saved as incident 2" in chat.text
    ref = app.engine.store.user_ref("tg:701")
    assert await incidents_of(app).count(ref) == 2
    clock.advance(minutes=2)
    await chat.send("/start")
    assert "erased" in chat.text
    assert await incidents_of(app).count(ref) == 0
    assert not await LockStore(app.db, app.cipher).has_lock(ref)
    assert await app.conversations.load_place(ref) is None  # as after /delete_my_data
    await chat.send("/incidents")  # no PIN any more: an empty journal, open
    assert "Type your PIN" not in chat.text


async def test_the_pin_cancels_a_planned_erasure(chat: ChatClient, clock: Clock, app: App) -> None:
    await chat.send(f"/log {SECRET}")
    await set_pin(chat)
    await chat.click("Lock now")
    await chat.send("/incidents")
    await chat.click("I forgot my PIN")
    await chat.click("Erase everything in 72 hours")
    clock.advance(hours=10)
    await chat.send("/incidents 1")
    assert "will be erased on" in chat.text
    await chat.send(PIN)
    assert "cancelled" in chat.text and SECRET in chat.text
    clock.advance(hours=100)
    await chat.send("/start")
    assert "erased" not in chat.text
    assert await incidents_of(app).count(app.engine.store.user_ref("tg:701")) == 1


async def test_a_due_erasure_is_carried_out_at_start_up(tmp_path: Path, clock: Clock) -> None:
    app = await started(tmp_path / "data", clock)
    chat = ChatClient(app.engine, "tg:703")
    await chat.send(f"/log {SECRET}")
    await set_pin(chat)
    await chat.click("Lock now")
    await chat.send("/export")
    await chat.click("I forgot my PIN")
    await chat.click("Erase everything in 72 hours")
    ref = app.engine.store.user_ref("tg:703")
    await app.close()
    clock.advance(hours=73)
    app = await started(tmp_path / "data", clock)  # started again, 73 hours later
    try:
        assert await incidents_of(app).count(ref) == 0
        assert not await LockStore(app.db, app.cipher).has_lock(ref)
    finally:
        await app.close()


async def test_the_pin_is_not_on_disk_and_the_lock_is_sealed(
    tmp_path: Path, chat: ChatClient, app: App
) -> None:
    await set_pin(chat)
    await app.conversations.close()
    for path, content in raw_files(tmp_path / "data").items():
        assert PIN.encode() not in content, path
    rows = await app.db.fetchall("SELECT body FROM journal_locks")
    assert len(rows) == 1 and b"salt" not in rows[0][0] and b"digest" not in rows[0][0]


async def test_digits_at_the_prompt_that_are_a_button_number_press_the_button(
    chat: ChatClient,
) -> None:
    await set_pin(chat)
    await chat.click("Lock now")
    await chat.send("/incidents")
    await chat.send("2")  # "I forgot my PIN", typed as its number (the console)
    assert "Nobody can reset your PIN" in chat.text and not deleted(chat)


async def test_text_at_the_prompt_is_not_taken_for_a_pin(chat: ChatClient) -> None:
    await set_pin(chat)
    await chat.click("Lock now")
    await chat.send("/incidents")
    await chat.send("he is outside now")
    assert not deleted(chat)
    assert "999" in chat.text  # danger words still get the emergency advice first


async def test_a_replayed_pin_message_is_deleted_again(chat: ChatClient) -> None:
    await set_pin(chat)
    await chat.click("Lock now")
    await chat.send("/incidents")
    once = await chat.event(Event.from_text(PIN, key="m:701:40"))
    again = await chat.event(Event.from_text(PIN, key="m:701:40"))
    assert any(r.delete_message for r in once) and any(r.delete_message for r in again)


def test_the_console_walks_the_pin_and_says_it_cannot_delete_it(tmp_path: Path) -> None:
    lines = [f"/log {SECRET}", "/lock", "Set a PIN", PIN, PIN, "Lock now", "/incidents 1"]
    result = run_chat(tmp_path, [*lines, "1234567", PIN, "/clear", "/incidents 1", "/quit"], "chat")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("This terminal can't delete what you typed") == 4
    after_clear = out.split("Cleared from this screen", 1)[1]
    assert "Type your PIN" in after_clear  # /clear closed the journal again
    locked, _, opened = out.partition("Open. Your records lock again")
    assert "Type your PIN" in locked and "That PIN is not right" in locked
    assert SECRET not in locked and SECRET in opened


async def test_a_photo_offer_names_saved_incidents_only_while_open(chat: ChatClient) -> None:
    await chat.send(f"/log {SECRET}")
    await set_pin(chat)
    await chat.event(photo_event(b"\xff\xd8 a photo of the van" * 20))
    assert any("Incident 1" in label for label in chat.buttons)
    await chat.send("/lock")
    await chat.click("Lock now")
    await chat.event(photo_event(b"\xff\xd8 another photo" * 20))
    assert not any("Incident 1" in label for label in chat.buttons)
    await chat.click("A new incident")  # keeping it with something new needs no PIN
    assert "Type your PIN" not in chat.text


async def test_deleting_my_data_takes_the_pin_with_it(chat: ChatClient, app: App) -> None:
    await chat.send(f"/log {SECRET}")
    await set_pin(chat)
    await chat.send("/delete_my_data")
    await chat.click("Yes, delete everything")
    assert "Done" in chat.text
    assert not await LockStore(app.db, app.cipher).has_lock(app.engine.store.user_ref("tg:701"))
    await chat.send("/incidents")
    assert "Type your PIN" not in chat.text


async def test_answered_risk_questions_are_behind_the_pin_and_go_with_an_erasure(
    chat: ChatClient, clock: Clock, app: App
) -> None:
    await answer_all(chat, ["Yes"] * 11)
    await set_pin(chat)
    await chat.click("Lock now")
    await chat.send("/checklists")
    assert "Type your PIN" in chat.text and "Answers of" not in " ".join(chat.buttons)
    await chat.send(PIN)
    assert any(label.startswith("Answers of") for label in chat.buttons)
    await chat.send("/lock")
    await chat.click("Lock now")
    await chat.send("/checklists")
    await chat.click("I forgot my PIN")
    await chat.click("Erase everything in 72 hours")
    clock.advance(hours=73)
    await chat.send("/menu")
    assert "erased" in chat.text
    ref = app.engine.store.user_ref("tg:701")
    assert await ChecklistStore(app.db, app.cipher).all(ref) == []


async def test_a_private_screen_offers_lock_now_once_a_pin_is_set(chat: ChatClient) -> None:
    await chat.send(f"/log {SECRET}")
    await chat.send("/incidents")
    assert "Lock now" not in chat.buttons  # no PIN: nothing to lock
    await set_pin(chat)
    await chat.send("/incidents 1")
    assert SECRET in chat.text
    labels = chat.buttons
    assert labels[0] == chat.engine.catalog.text("btn.emergency")  # first, as everywhere
    assert labels.index("Lock now") == len(labels) - 3  # then Back and Menu, last
    await chat.click("Lock now")
    assert "Locked" in chat.text
    await chat.send("/incidents 1")
    assert "Type your PIN" in chat.text and SECRET not in chat.text


async def test_a_correction_left_open_asks_for_the_pin_before_going_on(
    chat: ChatClient, clock: Clock
) -> None:
    await chat.send(f"/log {SECRET}")
    await set_pin(chat)
    await chat.send("/incidents 1")
    await chat.click("Correct something")
    assert "You are correcting incident 1" in chat.text and SECRET in chat.text
    clock.advance(minutes=6)
    await chat.click("Change something")
    assert "Type your PIN" in chat.text and SECRET not in chat.text
    await chat.send(PIN)
    assert "Open" in chat.text and "Type your PIN" not in chat.text


async def test_a_pin_change_left_open_cannot_be_finished_by_someone_else(
    chat: ChatClient, clock: Clock
) -> None:
    await set_pin(chat)
    await chat.send("/lock")
    await chat.click("Change my PIN")
    clock.advance(minutes=6)  # the owner walked away; someone else types a PIN of their own
    await chat.send("111111")
    assert deleted(chat) and "Type your PIN" in chat.text
    await chat.send("111111")
    assert "not right" in chat.text
    await chat.send(PIN)  # the owner: the change starts again
    assert "Type a PIN of 4 to 12 digits" in chat.text
    await chat.send("222222")
    await chat.send("222222")
    assert "Your PIN is set" in chat.text
