"""Who a forwarded message came from is kept in the person's record: Telegram's name for the
sender when it gives one, else words from content (never English written in the code)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from telegram import (
    Chat,
    Message,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
    User,
)

from bot.channels.telegram.updates import forwarded_from
from bot.content.catalog import load_catalog
from bot.settings import Settings

WHEN = dt.datetime(2026, 11, 20, 21, 15, tzinfo=dt.UTC)
ORIGINS = {
    "a person": (
        MessageOriginUser(WHEN, User(7, "Sam", False, "Lee", "samlee")),
        "Sam Lee (@samlee)",
    ),
    "a hidden person": (MessageOriginHiddenUser(WHEN, "Sam"), "Sam"),
    "a named group": (MessageOriginChat(WHEN, Chat(-5, "group", title="Neighbours")), "Neighbours"),
    "a group with no name": (
        MessageOriginChat(WHEN, Chat(-5, "group")),
        "<telegram.forwarded.a_chat>",
    ),
    "a channel with no name": (
        MessageOriginChannel(WHEN, Chat(-100, "channel"), 3),
        "<telegram.forwarded.a_channel>",
    ),
}


@pytest.mark.parametrize("origin, expected", ORIGINS.values(), ids=ORIGINS.keys())
def test_the_sender_is_telegrams_name_or_words_from_content(origin: object, expected: str) -> None:
    message = Message(1, WHEN, Chat(1, "private"), text="he was there", forward_origin=origin)  # type: ignore[arg-type]
    assert forwarded_from(message, lambda key: f"<{key}>") == (expected, WHEN)


def test_the_words_for_a_sender_with_no_name_are_in_content() -> None:
    settings = Settings(data_dir=Path("unused"))
    problems: list = []
    catalog = load_catalog(settings.content_dir, settings.region, problems)
    assert not problems
    for key in (
        "telegram.forwarded.a_chat",
        "telegram.forwarded.a_channel",
        "telegram.forwarded.unknown",
    ):
        assert catalog.has(key) and catalog.text(key)
