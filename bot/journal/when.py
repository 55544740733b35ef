"""When something happened, read from the person's own words, with how precise they were.

One public function, `read_when(text, now)`, so other features (a risk check) can reuse it.

Why not `dateparser` alone: asked "last night about 10" it answered the clock time of saving;
"yesterday" and "last week" got the current time of day, "monday" 00:00. A diary that states a
time the person never gave can be used against the whole record. So this module keeps what
`dateparser` does well (dates: "12/03" read day-first, "last tuesday", "the 3rd", "3 days ago",
"14 November", and its `period`, which says whether a time of day was given at all) and adds
what it lacks, each step named below: parts of the day ("this morning", "sat night", "this
arvo", "teatime"), ranges ("between 7 and 8"), "about"/"-ish", "half 9", and the question a
bare "about 10" raises (morning or night?). A missing time of day is never filled in.

Every result is in UTC with the local reading done in Europe/London by `zoneinfo`, on the
`now` the caller passes: nothing here reads the machine's clock or timezone.

Figures: the table in tests/test_journal_when.py (80 phrasings) passes at a winter and a
summer instant and on the day the clocks change.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.journal.when_words import (
    AGO,
    APPROX,
    EARLIER,
    FILLER,
    HALF,
    ISH,
    NAMED,
    NOW_RE,
    NUMBER_WORDS,
    ORDINAL_ALONE,
    PART_WORDS,
    QUARTER,
    RANGE_NEEDS,
    RANGE_RE,
    TIME_RE,
    WEEK_BEFORE_LAST,
    WEEKDAY,
    candidate_spans,
    normalise,
    original_words,
)

LONDON = ZoneInfo("Europe/London")

EXACT = "exact"
APPROXIMATE = "approximate"
PART_OF_DAY = "part_of_day"
RANGE = "range"
DAY = "day"
WEEK = "week"
NOT_GIVEN = "not_given"
PRECISIONS = (EXACT, APPROXIMATE, PART_OF_DAY, RANGE, DAY, WEEK, NOT_GIVEN)
ASK_AM_PM = "am_pm"

# Parts of the day: (first hour, hours long). Night runs past midnight into the next day.
PARTS: dict[str, tuple[int, int]] = {
    "early_hours": (0, 6),
    "morning": (6, 6),
    "lunchtime": (12, 2),
    "afternoon": (12, 6),
    "teatime": (17, 2),
    "evening": (18, 4),
    "night": (18, 12),
}


@dataclass(frozen=True, slots=True)
class When:
    """What was understood. `start`/`end` are UTC; `end` is exclusive (parts, ranges, days)."""

    precision: str
    words: str
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    part: str | None = None
    ask: str | None = None  # ASK_AM_PM: a bare hour with nothing to say morning or night

    def to_dict(self) -> dict[str, Any]:
        return {
            "p": self.precision,
            "w": self.words,
            "s": self.start.isoformat() if self.start else None,
            "e": self.end.isoformat() if self.end else None,
            "part": self.part,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> When:
        def moment(text: Any) -> dt.datetime | None:
            return dt.datetime.fromisoformat(text) if text else None

        return cls(
            precision=str(raw.get("p") or NOT_GIVEN),
            words=str(raw.get("w") or ""),
            start=moment(raw.get("s")),
            end=moment(raw.get("e")),
            part=raw.get("part"),
        )


@dataclass(slots=True)
class _TimeOfDay:
    hour: int
    minute: int
    meridiem: str | None  # "a" / "p" when said; None when not
    twenty_four: bool  # "21:15", "08:30", "0:10": no doubt about morning or evening


@dataclass(slots=True)
class _Pieces:
    """What the phrase said, before it is put together into a `When`."""

    text: str
    part: str | None = None
    day_offset: int | None = None  # from "last night", "tonight", "this morning"
    time: _TimeOfDay | None = None
    until: _TimeOfDay | None = None  # the end of a range
    approximate: bool = False
    exact_word: bool = False  # noon, midday, midnight


def read_when(text: str, now: dt.datetime, *, within: bool = False) -> When | None:
    """Read a time phrase: the whole `text`, or (`within=True`) a phrase inside a longer message.

    Returns None when no time phrase is found, a `When` with `ask=ASK_AM_PM` when an hour needs
    "morning or night?", else a `When` whose start is never after `now` plus five minutes unless
    the person said so (the caller decides what to do with a future time).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    cleaned = normalise(text)
    if not cleaned:
        return None
    if not within:
        return _read(cleaned, text.strip(), now)
    for start, end in candidate_spans(cleaned):
        words = " ".join(cleaned.split(" ")[start:end])
        found = _read(words, original_words(text, words), now)
        if found is not None and found.ask is None:
            return found
    return None


# ---------------------------------------------------------------------- steps


def _read(cleaned: str, words: str, now: dt.datetime) -> When | None:
    relative = _read_relative(cleaned, words, now)
    if relative is not None:
        return relative
    pieces = _Pieces(cleaned)
    _take_week_before_last(pieces)
    _take_range(pieces)
    if pieces.time is None:
        _take_time(pieces)
    _take_part(pieces)
    if pieces.time is None:
        _take_ish(pieces)
    day, period = _read_day(pieces, now)
    if day is None:
        return None
    if period == "week":
        return _week(day, words)
    if pieces.time is None and pieces.part is None and period == "day":
        start = _at(day, 0, 0)
        return When(DAY, words, start, _at(day + dt.timedelta(days=1), 0, 0))
    if pieces.time is None and pieces.part is None:
        return None
    return _compose(pieces, day, words)


def _read_relative(cleaned: str, words: str, now: dt.datetime) -> When | None:
    """'an hour ago', 'just now', 'earlier': counted back from now."""
    utc_now = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
    ago = AGO.fullmatch(re.sub(rf"^{APPROX} ", "", cleaned))
    if ago:
        amount = ago.group("n")
        count = (
            0.5
            if amount == "half an"
            else 2
            if amount == "a couple of"
            else 3
            if amount in ("a few", "few")
            else NUMBER_WORDS.get(amount)
        )
        number = float(count) if count is not None else float(amount)
        unit = (
            dt.timedelta(hours=1) if ago.group("unit").startswith("h") else dt.timedelta(minutes=1)
        )
        return When(APPROXIMATE, words, utc_now - unit * number)
    here = NOW_RE.fullmatch(cleaned)
    if here:
        said = here.group("w")
        if said == "now":
            return When(EXACT, words, utc_now)
        back = dt.timedelta(minutes=5 if "minute" in said else 0)
        return When(APPROXIMATE, words, utc_now - back)
    if EARLIER.fullmatch(cleaned):
        today = now.astimezone(LONDON).date()
        return When(DAY, words, _at(today, 0, 0), _at(today + dt.timedelta(days=1), 0, 0))
    return None


def _take_week_before_last(pieces: _Pieces) -> None:
    pieces.text = WEEK_BEFORE_LAST.sub("2 weeks ago", pieces.text)


def _time_of_day(match: re.Match[str], i: int) -> _TimeOfDay | None:
    hour = int(match.group(f"h{i}"))
    minute_text = match.group(f"m{i}") or match.group(f"d{i}")
    minute = int(minute_text) if minute_text else 0
    meridiem = match.group(f"ap{i}")
    if hour > 23 or minute > 59 or (meridiem and not 1 <= hour <= 12):
        return None
    twenty_four = match.group(f"m{i}") is not None and (
        hour == 0 or hour > 12 or match.group(f"h{i}").startswith("0")
    )
    return _TimeOfDay(hour, minute, meridiem, twenty_four or hour > 12)


def _take_range(pieces: _Pieces) -> None:
    """'between 7 and 8', 'from 6 till 7', '7-8pm'."""
    for match in RANGE_RE.finditer(pieces.text):
        if not RANGE_NEEDS.search(match.group(0)):
            continue
        first, second = _time_of_day(match, 1), _time_of_day(match, 2)
        if first is None or second is None:
            continue
        if first.meridiem is None and second.meridiem and first.hour <= second.hour:
            first.meridiem = second.meridiem  # "7-8pm": both in the evening
        pieces.time, pieces.until = first, second
        pieces.text = _cut(pieces.text, match)
        return


def _take_time(pieces: _Pieces) -> None:
    """A time of day: '9pm', '21:15', 'half 9', 'quarter to 7', 'about 10', 'noon'."""
    approx = re.search(rf"\b{APPROX}\b", pieces.text) is not None
    named = NAMED.search(pieces.text)
    if named:
        hour = 0 if named.group("w") == "midnight" else 12
        pieces.time = _TimeOfDay(hour, 0, None, True)
        pieces.exact_word = True
        pieces.approximate = approx
        pieces.text = _cut(pieces.text, named)
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
        pieces.time = _TimeOfDay(hour, minute, None, False)
        pieces.approximate = approx or bool(ISH.search(pieces.text))
        pieces.text = _cut(pieces.text, match)
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
        time = _time_of_day(match, 1)
        if time is None:
            continue
        pieces.time = time
        pieces.approximate = bool(match.group("approx") or match.group("ish") or approx)
        pieces.text = _cut(pieces.text, match)
        return


def _take_part(pieces: _Pieces) -> None:
    """The first part of the day said wins; a second one may still give the day ('tonight')."""
    for pattern, part, offset in PART_WORDS:
        match = re.search(rf"\b(?:{pattern})\b", pieces.text)
        if match is None:
            continue
        if pieces.part is None:
            pieces.part, pieces.day_offset = part, offset
            pieces.text = _cut(pieces.text, match)
        elif offset is not None and pieces.day_offset is None:
            pieces.day_offset = offset
            pieces.text = _cut(pieces.text, match)
            return


def _take_ish(pieces: _Pieces) -> None:
    """'10ish' with no other time."""
    match = re.search(r"\b(?P<h>\d{1,2})\s*-?ish\b", pieces.text)
    if match and int(match.group("h")) <= 23:
        hour = int(match.group("h"))
        pieces.time = _TimeOfDay(hour, 0, None, hour > 12)
        pieces.approximate = True
        pieces.text = _cut(pieces.text, match)


def _cut(text: str, match: re.Match[str]) -> str:
    return " ".join((text[: match.start()] + " " + text[match.end() :]).split())


def _read_day(pieces: _Pieces, now: dt.datetime) -> tuple[dt.date | None, str]:
    """The day (and dateparser's period) from what is left once times and parts are taken."""
    local_now = now.astimezone(LONDON)
    rest = FILLER.sub(" ", pieces.text)
    rest = ISH.sub(" ", rest)
    rest = re.sub(rf"\b{APPROX}\b", " ", rest)
    rest = " ".join(rest.split())
    if not rest:
        offset = pieces.day_offset or 0
        return local_now.date() + dt.timedelta(days=offset), "day"
    if pieces.day_offset is not None:
        return None, ""  # "last night" and a date too: not one reading
    if WEEKDAY.fullmatch(rest) and WEEKDAY.fullmatch(local_now.strftime("%A").lower()[:3]):
        if rest[:3] == local_now.strftime("%a").lower():
            return local_now.date(), "day"  # "sunday morning" said on a Sunday: today
    ordinal = ORDINAL_ALONE.match(rest)
    if ordinal:  # "the 3rd": this month's, or last month's if that is still to come
        rest = f"{int(ordinal.group('d'))} {local_now.strftime('%B %Y')}"
        found = _dateparser(rest, local_now)
        if found and found[0] > local_now.date():
            previous = local_now.replace(day=1) - dt.timedelta(days=1)
            found = _dateparser(
                f"{int(ordinal.group('d'))} {previous.strftime('%B %Y')}", local_now
            )
        return found if found else (None, "")
    found = _dateparser(rest, local_now)
    return found if found else (None, "")


def _dateparser(text: str, local_now: dt.datetime) -> tuple[dt.date, str] | None:
    from dateparser.date import DateDataParser  # slow to import: only when a date is read

    parser = DateDataParser(
        languages=["en"],
        settings={
            "DATE_ORDER": "DMY",
            "PREFER_DATES_FROM": "past",
            "RELATIVE_BASE": local_now.replace(tzinfo=None),
            "RETURN_TIME_AS_PERIOD": True,
        },
    )
    data = parser.get_date_data(text)
    if data.date_obj is None or data.period not in ("day", "week", "time"):
        return None
    if data.period == "time":
        return None  # a time of day left over that the steps above did not read: not trusted
    return data.date_obj.date(), str(data.period)


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    """A local wall-clock time in London as UTC (in the hour the clocks go back: the first)."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON).astimezone(dt.UTC)


def _week(day: dt.date, words: str) -> When:
    monday = day - dt.timedelta(days=day.weekday())
    return When(WEEK, words, _at(monday, 0, 0), _at(monday + dt.timedelta(days=7), 0, 0))


def _hour_in(part: str | None, time: _TimeOfDay) -> tuple[int, int] | None:
    """(hour 0-23, days after the part's day) or None when morning-or-night is unknown."""
    hour = time.hour
    if time.meridiem == "a":
        return (0 if hour == 12 else hour), (1 if part == "night" else 0)
    if time.meridiem == "p":
        return (12 if hour == 12 else hour + 12), 0
    if time.twenty_four:
        return hour, (1 if part == "night" and hour < 6 else 0)
    if part in ("early_hours", "morning"):
        return (0 if hour == 12 else hour), 0
    if part in ("afternoon", "lunchtime", "teatime", "evening"):
        return (hour if hour == 12 else hour + 12), 0
    if part == "night":
        if hour == 12:
            return 0, 1
        return (hour, 1) if hour < 6 else (hour + 12, 0)
    return None


def _compose(pieces: _Pieces, day: dt.date, words: str) -> When:
    part = pieces.part
    if pieces.time is None:
        assert part is not None
        first, length = PARTS[part]
        start = _at(day, first, 0)
        return When(PART_OF_DAY, words, start, start + dt.timedelta(hours=length), part=part)
    if pieces.exact_word:
        extra = 1 if pieces.time.hour == 0 and part == "night" else 0
        start = _at(day + dt.timedelta(days=extra), pieces.time.hour, 0)
        return When(APPROXIMATE if pieces.approximate else EXACT, words, start)
    hour = _hour_in(part, pieces.time)
    if hour is None:
        return When(NOT_GIVEN, words, ask=ASK_AM_PM)
    start = _at(day + dt.timedelta(days=hour[1]), hour[0], pieces.time.minute)
    if pieces.until is None:
        return When(APPROXIMATE if pieces.approximate else EXACT, words, start)
    if pieces.until.meridiem is None and not pieces.until.twenty_four and pieces.time.meridiem:
        pieces.until.meridiem = pieces.time.meridiem
    until = _hour_in(part, pieces.until)
    if until is None:
        return When(NOT_GIVEN, words, ask=ASK_AM_PM)
    end = _at(day + dt.timedelta(days=until[1]), until[0], pieces.until.minute)
    if end <= start:
        end += dt.timedelta(days=1)
    return When(RANGE, words, start, end)
