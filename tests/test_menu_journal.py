"""The menu's journal buttons run the journal's commands; a file sent first thing is not dropped."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App, open_app
from bot.engine.events import Attachment, Event, Kind
from bot.settings import Settings
from tests.chat_client import ChatClient


@pytest.fixture
async def app(project_settings: Settings) -> AsyncIterator[App]:
    app = await open_app(project_settings)
    yield app
    await app.close()


async def test_my_incidents_and_export_from_the_menu(app: App) -> None:
    chat = ChatClient(app.engine)  # in content ids: rewording a screen changes no test
    await chat.send("/menu")
    await chat.press("menu.diary")
    await chat.press("menu.my_incidents")
    chat.expect("journal.list_empty")
    await chat.send("/log He waited by my car again")
    await chat.send("/menu")
    await chat.press("menu.diary")
    await chat.press("menu.my_incidents")
    chat.expect("journal.list_heading", first=1, last=1, total=1)
    assert chat.words("journal.btn_open", number=1) in chat.buttons
    await chat.send("/menu")
    await chat.press("menu.diary")
    await chat.press("menu.export")
    documents = [r.document for r in chat.replies if r.document]
    assert any(d.file_name.endswith(".pdf") for d in documents)


async def test_a_photo_as_the_very_first_message_is_offered_to_the_journal(app: App) -> None:
    chat = ChatClient(app.engine, "t:first-photo")
    photo = Attachment("photo", "photo.jpg", "image/jpeg", 4, content=b"\xff\xd8\xff\xe0")
    await chat.event(Event(Kind.ATTACHMENT, attachment=photo))
    assert chat.buttons, chat.text
    assert "Welcome" not in chat.text
