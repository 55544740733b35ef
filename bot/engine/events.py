"""What a channel hands the engine (an `Event`) and what it gets back (`Reply`s to render)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from bot.content.catalog import ContactCard

MAX_TEXT = 4096  # Telegram's limit for one message; longer input is cut for matching only


class Kind(StrEnum):
    TEXT = "text"
    BUTTON = "button"
    COMMAND = "command"
    ATTACHMENT = "attachment"
    LOCATION = "location"
    UNSUPPORTED = "unsupported"  # a sticker, poll, game...: answered calmly, never stored


@dataclass(frozen=True)
class Attachment:
    """A file the user sent. `content` is filled by the channel once fetched."""

    kind: str  # photo | document | voice | video | audio | video_note
    file_name: str
    mime_type: str = "application/octet-stream"
    size: int | None = None
    file_ref: str = ""  # the channel's handle to fetch it (e.g. Telegram file_id)
    content: bytes | None = None
    forwarded_from: str | None = None  # as the channel reports the original sender
    forwarded_date: dt.datetime | None = None


@dataclass(frozen=True)
class Event:
    kind: Kind
    text: str = ""
    data: str = ""  # button data
    command: str = ""  # without the slash, lower case
    args: str = ""
    attachment: Attachment | None = None
    location: tuple[float, float] | None = None
    forwarded_from: str | None = None
    forwarded_date: dt.datetime | None = None
    # The channel's own id for this event (e.g. Telegram chat + message id), when it has one.
    # A channel may deliver the same event twice (after a crash, before it confirmed it); the
    # engine handles a key it has already handled only once, and features use it to make saves
    # idempotent. Empty: no key, every event is new.
    key: str = ""

    @classmethod
    def from_text(cls, text: str, key: str = "") -> Event:
        """Plain typed text, recognising `/command args` the way chat apps do."""
        stripped = text.strip()
        if stripped.startswith("/") and len(stripped) > 1 and not stripped[1].isspace():
            head, _, rest = stripped[1:].partition(" ")
            command = head.split("@", 1)[0].lower()
            return cls(Kind.COMMAND, text=text, command=command, args=rest.strip(), key=key)
        return cls(Kind.TEXT, text=text, key=key)

    @classmethod
    def button(cls, data: str, key: str = "") -> Event:
        return cls(Kind.BUTTON, data=data, key=key)


@dataclass(frozen=True)
class Button:
    label: str
    data: str


@dataclass(frozen=True)
class Document:
    file_name: str
    content: bytes
    mime_type: str


@dataclass
class Reply:
    """One message for the channel to show: text, then buttons, contact cards, or a document."""

    text: str = ""
    buttons: list[Button] = field(default_factory=list)
    contacts: list[ContactCard] = field(default_factory=list)
    document: Document | None = None
    screen: bool = False  # a screen the user navigates (channels may edit it in place)
    # the user's message this event came in held a secret (a PIN): the channel deletes it from
    # the chat at once if it can (Telegram can; a terminal cannot)
    delete_message: bool = False
