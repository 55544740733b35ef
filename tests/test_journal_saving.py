"""A save that fails: the person is told it was NOT saved, loses nothing, and the same button
saves it once the store works again. One rule (bot/journal/common.py `saving`) for the guided
record, /log, the offered message and a note.

The fault is the store's write raising what SQLite raises when the disk fails (a real locked
database is tests/test_store_faults.py; here the write must fail alone, after the reads).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from bot.app import App
from bot.engine.events import Event
from bot.store.incidents import IncidentStore
from tests.chat_client import ChatClient
from tests.journal_support import incidents_of, journal_app_fixture  # noqa: F401

NOT_SAVED = "couldn't save that just now"


class BrokenDisk:
    """While `broken`, the store's writes of incidents and revisions fail."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.broken = True
        for name in ("create", "add_revision"):
            real = getattr(IncidentStore, name)
            monkeypatch.setattr(IncidentStore, name, self._failing(real))

    def _failing(self, real):  # noqa: ANN001, ANN202 - wraps a store method
        async def write(store, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            if self.broken:
                raise sqlite3.OperationalError("disk I/O error")
            return await real(store, *args, **kwargs)

        return write


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[BrokenDisk]:
    yield BrokenDisk(monkeypatch)


async def count(app: App, chat: ChatClient) -> int:
    return await incidents_of(app).count(app.engine.store.user_ref(chat.user_id))


async def test_a_guided_record_that_failed_to_save_is_kept_and_saved_on_try_again(
    app: App, disk: BrokenDisk
) -> None:
    chat = ChatClient(app.engine)
    await chat.send("/record")
    await chat.click("Something else")
    await chat.click("Skip")  # who
    await chat.click("Skip")  # when
    await chat.send("the bus stop")
    await chat.send("a parcel I did not order came again")
    while "Do you have photos" not in chat.text:
        await chat.click("Skip")
    await chat.click("Done")
    await chat.click("Save")
    assert NOT_SAVED in chat.text and "Saved in your diary" not in chat.text
    assert "Try again" in chat.buttons
    assert await count(app, chat) == 0
    disk.broken = False
    await chat.click("Try again")
    assert "Saved in your diary as incident 1" in chat.text
    [incident] = await incidents_of(app).all(app.engine.store.user_ref(chat.user_id))
    assert (
        incident.fields["description"] == "a parcel I did not order came again"
    )  # nothing was lost


async def test_log_that_failed_to_save_says_so_and_saves_nothing(
    app: App, disk: BrokenDisk
) -> None:
    chat = ChatClient(app.engine)
    await chat.send("/log a car outside again")
    assert NOT_SAVED in chat.text and "Saved as" not in chat.text
    assert await count(app, chat) == 0
    disk.broken = False
    await chat.send("/log a car outside again")
    assert "Saved as incident 1" in chat.text


async def test_an_offered_message_is_still_offered_after_a_failed_save(
    app: App, disk: BrokenDisk
) -> None:
    chat = ChatClient(app.engine)
    await chat.send("/menu")
    await chat.send("the same grey car was parked across the road")
    # "Save it", or beside advice "Save this in my diary instead": the same kind of button
    save = next(b.data for r in chat.replies for b in r.buttons if b.label.startswith("Save"))
    await chat.event(Event.button(save))
    assert NOT_SAVED in chat.text and await count(app, chat) == 0
    disk.broken = False
    await chat.event(Event.button(save))  # the same button, still on the phone: nothing was lost
    assert "Saved as incident 1" in chat.text
    [incident] = await incidents_of(app).all(app.engine.store.user_ref(chat.user_id))
    assert incident.fields["description"] == "the same grey car was parked across the road"


async def test_a_note_that_failed_to_save_says_so_and_adds_nothing(
    app: App, disk: BrokenDisk
) -> None:
    chat = ChatClient(app.engine)
    disk.broken = False
    await chat.send("/log he rang at 21:15")
    disk.broken = True
    await chat.send("/incidents 1")
    await chat.click("Add a note")
    await chat.send("he rang twice more after that")
    assert NOT_SAVED in chat.text
    [incident] = await incidents_of(app).all(app.engine.store.user_ref(chat.user_id))
    assert incident.notes == []
