"""Question types: how a free-text answer becomes a slot value, or a calm "please try again".

Each type is a function from the user's event to `Answer` (the value and how to say it back)
or `Invalid` (the content key of the re-ask). More types can be registered by other modules.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.engine.events import Event, Kind

LONDON = ZoneInfo("Europe/London")
YES_WORDS = {"yes", "y", "yeah", "yep", "yup", "ok", "okay", "sure", "true", "1"}
NO_WORDS = {"no", "n", "nope", "nah", "false", "0"}


@dataclass(frozen=True)
class Answer:
    value: Any  # JSON-serialisable
    display: str  # how to say it back to the user


@dataclass(frozen=True)
class Invalid:
    content_key: str


SlotParser = Callable[[Event, "dt.datetime"], Answer | Invalid]
SLOT_TYPES: dict[str, SlotParser] = {}


def slot_type(name: str) -> Callable[[SlotParser], SlotParser]:
    def register(fn: SlotParser) -> SlotParser:
        SLOT_TYPES[name] = fn
        return fn

    return register


_CONTROL = {code: None for code in (*range(32), 127) if chr(code) not in "\n\t"}


def clean_text(text: str) -> str:
    """Drop control characters (keeping newlines and tabs) and surrounding blanks."""
    return text.translate(_CONTROL).strip()


@slot_type("text")
def parse_text(event: Event, now: dt.datetime) -> Answer | Invalid:
    if event.kind == Kind.LOCATION and event.location:
        lat, lon = event.location
        return Answer(
            {"latitude": lat, "longitude": lon}, f"a shared location ({lat:.5f}, {lon:.5f})"
        )
    text = clean_text(event.text)
    if event.kind != Kind.TEXT or not text:
        return Invalid("check.text")
    return Answer(text, text)


def _format_when(moment: dt.datetime) -> str:
    local = moment.astimezone(LONDON)
    return local.strftime("%A %d %B %Y, %H:%M").replace(" 0", " ")


@slot_type("datetime")
def parse_datetime(event: Event, now: dt.datetime) -> Answer | Invalid:
    """UK-style dates and natural phrases ('yesterday 9pm', '12/03'), stored as UTC ISO text."""
    import dateparser  # type: ignore[import-untyped]  # imported lazily: it is slow to import and only questions need it

    text = clean_text(event.text)
    if event.kind != Kind.TEXT or not text:
        return Invalid("check.datetime")
    base = now.astimezone(LONDON).replace(tzinfo=None)
    # Hazard: asked for an aware result, dateparser gives every date the UTC offset in force at
    # `base`, so "yesterday 9pm" said just after the clocks change was an hour out. It returns
    # London wall time here, and zoneinfo gives that date its own offset.
    settings = {
        "DATE_ORDER": "DMY",
        "PREFER_DATES_FROM": "past",
        "TIMEZONE": "Europe/London",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "RELATIVE_BASE": base,
    }
    text = re.sub(r"(\d{1,2})\.(\d{2})\s*(am|pm)", r"\1:\2\3", text, flags=re.I)
    moment = dateparser.parse(text[:200], languages=["en"], settings=settings)
    if moment is None:
        return Invalid("check.datetime")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    moment = moment.astimezone(dt.UTC)
    if moment > now + dt.timedelta(minutes=5):
        return Invalid("check.datetime_future")
    return Answer(moment.isoformat(), _format_when(moment))


@slot_type("phone")
def parse_phone(event: Event, now: dt.datetime) -> Answer | Invalid:
    """A UK or international number, kept as typed digits in E.164 where it can be read."""
    import phonenumbers

    text = clean_text(event.text)
    if event.kind != Kind.TEXT or not text:
        return Invalid("check.phone")
    lowered = text.lower()
    if lowered in {"withheld", "private", "unknown", "no caller id", "hidden"}:
        return Answer("withheld", "withheld")
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        return Invalid("check.phone")
    if not phonenumbers.is_possible_number(number):
        return Invalid("check.phone")
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Answer(formatted, text)


@slot_type("yesno")
def parse_yesno(event: Event, now: dt.datetime) -> Answer | Invalid:
    word = re.sub(r"[^\w]", "", event.text.casefold())
    if word in YES_WORDS:
        return Answer(True, "yes")
    if word in NO_WORDS:
        return Answer(False, "no")
    return Invalid("check.yesno")


@slot_type("choice")
def parse_choice(event: Event, now: dt.datetime) -> Answer | Invalid:
    # Choices are matched by the engine (it knows the labels); typed text that matched none lands here.
    return Invalid("check.choice")
