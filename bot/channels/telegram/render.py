"""The engine's replies as Bot API calls: HTML text, inline keyboards, contact cards, documents.

Callback data is versioned: `v1|<engine data>` for the engine's buttons and `v1c|<contact key>`
for a contact card. A press whose data has another shape (an older version, another bot's, a
forged one) is answered as a stale button, never with an exception.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from functools import lru_cache

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.content.catalog import ContactCard
from bot.engine.events import Button, Reply

VERSION = "v1"
ENGINE_PREFIX = f"{VERSION}|"
CONTACT_PREFIX = f"{VERSION}c|"
MAX_CALLBACK_BYTES = 64
MAX_MESSAGE = 4096
MAX_CAPTION = 1024
CONTACT_ICON = "📞"


@dataclass(frozen=True)
class Press:
    """What a button press asks for: the engine's button, a contact card, or nothing we know."""

    kind: str  # "engine" | "contact" | "stale"
    value: str = ""


def parse_callback(data: str | None) -> Press:
    if not data:
        return Press("stale")
    if data.startswith(ENGINE_PREFIX) and len(data) > len(ENGINE_PREFIX):
        return Press("engine", data[len(ENGINE_PREFIX) :])
    if data.startswith(CONTACT_PREFIX) and len(data) > len(CONTACT_PREFIX):
        return Press("contact", data[len(CONTACT_PREFIX) :])
    return Press("stale")


def engine_data(data: str) -> str:
    packed = ENGINE_PREFIX + data
    if len(packed.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError("button data longer than Telegram's 64 bytes")
    return packed


class Keyboard(InlineKeyboardMarkup):
    """An inline keyboard that serialises itself once: screens repeat, so keyboards do too."""

    __slots__ = ("_as_dict",)

    def to_dict(self, recursive: bool = True) -> dict:
        cached = getattr(self, "_as_dict", None)
        if cached is None or not recursive:
            cached = super().to_dict(recursive)
            if recursive:
                self._as_dict = cached
        return cached


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """One button a row (easy to hit on a phone): contact cards first, then the engine's."""
    if not reply.contacts and not reply.buttons:
        return None
    return _keyboard(tuple(reply.contacts), tuple(reply.buttons))


@lru_cache(maxsize=4096)
def _keyboard(contacts: tuple[ContactCard, ...], buttons: tuple[Button, ...]) -> Keyboard:
    rows: list[list[InlineKeyboardButton]] = []
    for card in contacts:
        rows.append([contact_button(card)])
    for button in buttons:
        rows.append([engine_button(button)])
    return Keyboard(rows)


def keyboard_json(reply: Reply) -> str | None:
    """The same keyboard as `keyboard`, as the JSON text the Bot API takes for `reply_markup`.

    Screens repeat, so each keyboard is serialised once and the text reused: passed as a string,
    python-telegram-bot sends it as it is instead of converting objects on every message.
    """
    if not reply.contacts and not reply.buttons:
        return None
    return _keyboard_json(tuple(reply.contacts), tuple(reply.buttons))


@lru_cache(maxsize=4096)
def _keyboard_json(contacts: tuple[ContactCard, ...], buttons: tuple[Button, ...]) -> str:
    # plain dicts, not the library's button objects: journal keyboards carry per-user ids, so
    # many are built once and sent once, and building objects cost more than sending
    rows = [
        [{"text": _contact_label(card), "callback_data": _contact_data(card)}] for card in contacts
    ]
    rows += [[{"text": b.label, "callback_data": engine_data(b.data)}] for b in buttons]
    return json.dumps({"inline_keyboard": rows}, ensure_ascii=False, separators=(",", ":"))


def _contact_label(card: ContactCard) -> str:
    return f"{CONTACT_ICON} {card.name}: {card.number}"


def _contact_data(card: ContactCard) -> str:
    data = CONTACT_PREFIX + card.key
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError("contact key too long for callback data")
    return data


def contact_button(card: ContactCard) -> InlineKeyboardButton:
    return InlineKeyboardButton(_contact_label(card), callback_data=_contact_data(card))


def engine_button(button: Button) -> InlineKeyboardButton:
    return InlineKeyboardButton(button.label, callback_data=engine_data(button.data))


def chunks(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """`text` HTML-escaped and cut into pieces Telegram accepts, preferring paragraph breaks."""
    escaped = html.escape(text, quote=False)
    if len(escaped) <= limit:
        return [escaped]
    pieces: list[str] = []
    rest = text
    while rest:
        cut = _fit(rest, limit)
        piece = rest[:cut]
        split = max(piece.rfind("\n\n"), piece.rfind("\n"))
        if split > cut // 2 and cut < len(rest):
            piece = rest[: split + 1]
        pieces.append(html.escape(piece.strip("\n"), quote=False) or "…")
        rest = rest[len(piece) :]
    return pieces


def _fit(text: str, limit: int) -> int:
    """How many characters of `text` stay within `limit` once escaped."""
    total = 0
    for i, ch in enumerate(text):
        total += len(html.escape(ch, quote=False))
        if total > limit:
            return max(i, 1)
    return len(text)


def contact_phone(card: ContactCard) -> str:
    """The number as a contact card carries it (digits and a leading +)."""
    return "".join(ch for ch in card.number if ch.isdigit() or ch == "+")
