"""What was understood of when something happened: a `When` (UTC start and end, and how
precise the person was), and the London wall clock it is read on. The reading is in
bot/journal/when.py; this is the value the journal stores and shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

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


def at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    """A local wall-clock time in London as UTC (in the hour the clocks go back: the first)."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON).astimezone(dt.UTC)


def week(day: dt.date, words: str) -> When:
    monday = day - dt.timedelta(days=day.weekday())
    return When(WEEK, words, at(monday, 0, 0), at(monday + dt.timedelta(days=7), 0, 0))
