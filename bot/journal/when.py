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

from bot.journal.when_pieces import (
    Pieces,
    TimeOfDay,
    take_ish,
    take_part,
    take_range,
    take_time,
    take_week_before_last,
)
from bot.journal.when_value import (
    APPROXIMATE,
    ASK_AM_PM,
    DAY,
    EXACT,
    LONDON,
    NOT_GIVEN,
    PART_OF_DAY,
    PARTS,
    PRECISIONS,
    RANGE,
    WEEK,
    When,
    at,
    week,
)
from bot.journal.when_words import (
    AGO,
    APPROX,
    EARLIER,
    FILLER,
    ISH,
    NOW_RE,
    NUMBER_WORDS,
    ORDINAL_ALONE,
    WEEKDAY,
    candidate_spans,
    normalise,
    original_words,
)

__all__ = [
    "APPROXIMATE",
    "ASK_AM_PM",
    "DAY",
    "EXACT",
    "LONDON",
    "NOT_GIVEN",
    "PART_OF_DAY",
    "PARTS",
    "PRECISIONS",
    "RANGE",
    "WEEK",
    "When",
    "read_when",
]


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
    pieces = Pieces(cleaned)
    take_week_before_last(pieces)
    take_range(pieces)
    if pieces.time is None:
        take_time(pieces)
    take_part(pieces)
    if pieces.time is None:
        take_ish(pieces)
    day, period = _read_day(pieces, now)
    if day is None:
        return None
    if period == "week":
        return week(day, words)
    if pieces.time is None and pieces.part is None and period == "day":
        start = at(day, 0, 0)
        return When(DAY, words, start, at(day + dt.timedelta(days=1), 0, 0))
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
        return When(DAY, words, at(today, 0, 0), at(today + dt.timedelta(days=1), 0, 0))
    return None


def _read_day(pieces: Pieces, now: dt.datetime) -> tuple[dt.date | None, str]:
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


def _hour_in(part: str | None, time: TimeOfDay) -> tuple[int, int] | None:
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


def _compose(pieces: Pieces, day: dt.date, words: str) -> When:
    part = pieces.part
    if pieces.time is None:
        assert part is not None
        first, length = PARTS[part]
        start = at(day, first, 0)
        return When(PART_OF_DAY, words, start, start + dt.timedelta(hours=length), part=part)
    if pieces.exact_word:
        extra = 1 if pieces.time.hour == 0 and part == "night" else 0
        start = at(day + dt.timedelta(days=extra), pieces.time.hour, 0)
        return When(APPROXIMATE if pieces.approximate else EXACT, words, start)
    hour = _hour_in(part, pieces.time)
    if hour is None:
        return When(NOT_GIVEN, words, ask=ASK_AM_PM)
    start = at(day + dt.timedelta(days=hour[1]), hour[0], pieces.time.minute)
    if pieces.until is None:
        return When(APPROXIMATE if pieces.approximate else EXACT, words, start)
    if pieces.until.meridiem is None and not pieces.until.twenty_four and pieces.time.meridiem:
        pieces.until.meridiem = pieces.time.meridiem
    until = _hour_in(part, pieces.until)
    if until is None:
        return When(NOT_GIVEN, words, ask=ASK_AM_PM)
    end = at(day + dt.timedelta(days=until[1]), until[0], pieces.until.minute)
    if end <= start:
        end += dt.timedelta(days=1)
    return When(RANGE, words, start, end)
