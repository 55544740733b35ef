"""Taking a time phrase apart: each step takes one kind of piece out of the words (a range, a
clock time, a part of the day, "10ish") into `Pieces`, and leaves the rest for the day to be
read from (bot/journal/when.py puts the pieces together)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.journal.when_words import (
    APPROX,
    HALF,
    ISH,
    NAMED,
    PART_WORDS,
    QUARTER,
    RANGE_NEEDS,
    RANGE_RE,
    TIME_RE,
    WEEK_BEFORE_LAST,
)


@dataclass(slots=True)
class TimeOfDay:
    hour: int
    minute: int
    meridiem: str | None  # "a" / "p" when said; None when not
    twenty_four: bool  # "21:15", "08:30", "0:10": no doubt about morning or evening


@dataclass(slots=True)
class Pieces:
    """What the phrase said, before it is put together into a `When`."""

    text: str
    part: str | None = None
    day_offset: int | None = None  # from "last night", "tonight", "this morning"
    time: TimeOfDay | None = None
    until: TimeOfDay | None = None  # the end of a range
    approximate: bool = False
    exact_word: bool = False  # noon, midday, midnight


def take_week_before_last(pieces: Pieces) -> None:
    pieces.text = WEEK_BEFORE_LAST.sub("2 weeks ago", pieces.text)


def time_of_day(match: re.Match[str], i: int) -> TimeOfDay | None:
    hour = int(match.group(f"h{i}"))
    minute_text = match.group(f"m{i}") or match.group(f"d{i}")
    minute = int(minute_text) if minute_text else 0
    meridiem = match.group(f"ap{i}")
    if hour > 23 or minute > 59 or (meridiem and not 1 <= hour <= 12):
        return None
    twenty_four = match.group(f"m{i}") is not None and (
        hour == 0 or hour > 12 or match.group(f"h{i}").startswith("0")
    )
    return TimeOfDay(hour, minute, meridiem, twenty_four or hour > 12)


def take_range(pieces: Pieces) -> None:
    """'between 7 and 8', 'from 6 till 7', '7-8pm'."""
    for match in RANGE_RE.finditer(pieces.text):
        if not RANGE_NEEDS.search(match.group(0)):
            continue
        first, second = time_of_day(match, 1), time_of_day(match, 2)
        if first is None or second is None:
            continue
        if first.meridiem is None and second.meridiem and first.hour <= second.hour:
            first.meridiem = second.meridiem  # "7-8pm": both in the evening
        pieces.time, pieces.until = first, second
        pieces.text = cut(pieces.text, match)
        return


def take_time(pieces: Pieces) -> None:
    """A time of day: '9pm', '21:15', 'half 9', 'quarter to 7', 'about 10', 'noon'."""
    approx = re.search(rf"\b{APPROX}\b", pieces.text) is not None
    named = NAMED.search(pieces.text)
    if named:
        hour = 0 if named.group("w") == "midnight" else 12
        pieces.time = TimeOfDay(hour, 0, None, True)
        pieces.exact_word = True
        pieces.approximate = approx
        pieces.text = cut(pieces.text, named)
        return
    half = HALF.search(pieces.text)
    quarter = QUARTER.search(pieces.text)
    if half or quarter:
        match = half or quarter
        assert match is not None
        hour = int(match.group("h"))
        if hour > 12:
            return
        if half:
            minute = 30
        elif match.group("rel") == "past":
            minute = 15
        else:
            hour, minute = (hour - 1) or 12, 45
        pieces.time = TimeOfDay(hour, minute, None, False)
        pieces.approximate = approx or bool(ISH.search(pieces.text))
        pieces.text = cut(pieces.text, match)
        return
    for match in TIME_RE.finditer(pieces.text):
        said_clock = (
            match.group("m1")
            or match.group("d1")
            or match.group("ap1")
            or match.group("approx")
            or match.group("ish")
            or re.search(r"\bat\s+\d|o'?clock", match.group(0))
        )
        if not said_clock:
            continue  # a bare number: a date, a count; dateparser may read it
        time = time_of_day(match, 1)
        if time is None:
            continue
        pieces.time = time
        pieces.approximate = bool(match.group("approx") or match.group("ish") or approx)
        pieces.text = cut(pieces.text, match)
        return


def take_part(pieces: Pieces) -> None:
    """The first part of the day said wins; a second one may still give the day ('tonight')."""
    for pattern, part, offset in PART_WORDS:
        match = re.search(rf"\b(?:{pattern})\b", pieces.text)
        if match is None:
            continue
        if pieces.part is None:
            pieces.part, pieces.day_offset = part, offset
            pieces.text = cut(pieces.text, match)
        elif offset is not None and pieces.day_offset is None:
            pieces.day_offset = offset
            pieces.text = cut(pieces.text, match)
            return


def take_ish(pieces: Pieces) -> None:
    """'10ish' with no other time."""
    match = re.search(r"\b(?P<h>\d{1,2})\s*-?ish\b", pieces.text)
    if match and int(match.group("h")) <= 23:
        hour = int(match.group("h"))
        pieces.time = TimeOfDay(hour, 0, None, hour > 12)
        pieces.approximate = True
        pieces.text = cut(pieces.text, match)


def cut(text: str, match: re.Match[str]) -> str:
    return " ".join((text[: match.start()] + " " + text[match.end() :]).split())
