"""Helpers for the journal tests: the real app on a real data dir, and raw-byte searches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, open_app
from bot.engine.events import Attachment, Event, Kind
from bot.settings import Settings
from bot.store.incidents import IncidentStore
from tests.chat_client import ChatClient
from tests.clock import Clock


async def start_app(data_dir: Path, clock: Clock | None = None) -> App:
    """The real app; its engine reads `clock` (tests/clock.py) when one is given."""
    app = await open_app(Settings(data_dir=data_dir))
    if clock is not None:
        app.engine.clock = clock
    return app


def incidents_of(app: App) -> IncidentStore:
    return IncidentStore(app.db, app.cipher, app.settings.data_dir)


# The start-up every journal test shares, as fixtures. A test module imports the fixture
# function (journal_app_fixture, with a noqa for F401: pytest uses it, not the module) and asks
# for `app`: pytest finds a fixture by its `name`, so no argument shadows the imported name.


@pytest.fixture(name="app")
async def journal_app_fixture(tmp_path: Path) -> AsyncIterator[App]:
    """The real app on a fresh data dir under tmp_path, closed after the test."""
    app = await start_app(tmp_path)
    yield app
    await app.close()


def raw_files(data_dir: Path) -> dict[Path, bytes]:
    """Every file under the data dir except the key: the database, its WAL, attachments."""
    found = {}
    for path in sorted(data_dir.rglob("*")):
        if path.is_file() and path.name != "secret.key":
            found[path] = path.read_bytes()
    return found


def occurrences(data_dir: Path, needle: bytes) -> list[Path]:
    return [path for path, content in raw_files(data_dir).items() if needle in content]


async def skip_to_evidence(chat: ChatClient) -> None:
    """Skip the questions left (they follow the kind of incident) up to the evidence."""
    for _ in range(15):
        if "Do you have photos" in chat.text:
            return
        await chat.click("Skip")
    raise AssertionError(f"never reached the evidence question: {chat.text}")


async def record_guided(chat: ChatClient, what: str, where: str = "the bus stop") -> None:
    """Walk the whole guided record with answers (every question: kind "Something else"), and
    save it."""
    await chat.send("/record")
    await chat.click("Something else")
    await chat.send("my ex-partner")
    await chat.send("yesterday 9pm")
    await chat.send(where)
    await chat.send(what)
    await chat.send("tall, grey hoodie, deep voice")
    await chat.send("silver Vauxhall AB12 CDE")
    await chat.send("07700 900123")
    await chat.click("Skip")  # the account or email address
    await chat.send("my neighbour Sam")
    await chat.send("I could not sleep")
    await chat.click("Done")
    assert "Nothing is saved until you press Save" in chat.text
    await chat.click("Save")
    assert "Saved in your diary as incident" in chat.text


def photo_event(content: bytes, name: str = "photo.jpg", **forwarded: object) -> Event:
    return Event(
        Kind.ATTACHMENT,
        attachment=Attachment(
            kind="photo",
            file_name=name,
            mime_type="image/jpeg",
            size=len(content),
            content=content,
            **forwarded,  # type: ignore[arg-type]
        ),
    )
