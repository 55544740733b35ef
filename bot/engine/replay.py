"""Replay bookkeeping: a turn's answer as plain data, so an event the channel delivers again
(after a crash, before it confirmed it) gets the same answer without being handled twice."""

from __future__ import annotations

from typing import Any

from bot.content.catalog import Catalog
from bot.engine.events import Button, Reply


def pack(replies: list[Reply]) -> list[list[Any]]:
    """Replies as plain data (documents left out: they are made again on request)."""
    return [
        [
            r.text,
            [[b.label, b.data] for b in r.buttons],
            [c.key for c in r.contacts],
            r.screen,
            r.delete_message,
        ]
        for r in replies
        if r.document is None
    ]


def unpack(packed: list[list[Any]], catalog: Catalog) -> list[Reply]:
    return [
        Reply(
            text=text,
            buttons=[Button(label, data) for label, data in buttons],
            contacts=[catalog.contacts[k] for k in contacts if k in catalog.contacts],
            screen=screen,
            delete_message=bool(rest and rest[0]),
        )
        for text, buttons, contacts, screen, *rest in packed
    ]
