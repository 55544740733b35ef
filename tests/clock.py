"""The clock a test sets: named instants, and what "yesterday 9pm" means at each of them.

A test that depends on the date or the time never reads the machine's clock: the engine takes
`Clock` (the `clock` fixture), and a bot subprocess runs under `time-machine`
(`tests/clocked_bot.py`, through `BotProcess(clock=...)`). Date-dependent tests run at every
instant in `INSTANTS`, chosen where British dates and times go wrong: the two nights the clocks
change in Europe/London (28 March and 31 October 2027, half an hour after each change), the last
minute of a year, 29 February, and plain winter and summer days. `.ci/run` also runs the whole
suite once under `faketime` in the following summer, so a test that still reads the real clock
fails the day it is written, not months later.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC

INSTANTS: dict[str, dt.datetime] = {
    "winter": dt.datetime(2027, 1, 14, 12, 0, tzinfo=UTC),
    "summer": dt.datetime(2027, 7, 15, 12, 0, tzinfo=UTC),
    # 01:00 UTC the clocks go forward: 02:30 BST, and yesterday was still GMT
    "clocks-forward-night": dt.datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
    # 01:00 UTC the clocks go back: 01:30 GMT (the second 01:30), and yesterday was BST
    "clocks-back-night": dt.datetime(2027, 10, 31, 1, 30, tzinfo=UTC),
    "last-minute-of-a-year": dt.datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
    "29-february": dt.datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
}
DEFAULT = INSTANTS["winter"]

# for a test taking the `clock` fixture (tests/conftest.py): run it once at every instant
at_every_instant = pytest.mark.parametrize(
    "clock", list(INSTANTS.values()), ids=list(INSTANTS), indirect=True
)


class Clock:
    """A clock that says what the test set, and moves only when the test moves it."""

    __slots__ = ("now",)

    def __init__(self, now: dt.datetime = DEFAULT) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now

    def __repr__(self) -> str:
        return f"Clock({self.now.isoformat()})"


def london_wall_time(now: dt.datetime, days_back: int, hour: int, minute: int = 0) -> dt.datetime:
    """`hour:minute` in London, `days_back` days before `now`'s London date, as a UTC instant."""
    day = now.astimezone(LONDON).date() - dt.timedelta(days=days_back)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON).astimezone(UTC)


def yesterday_9pm(now: dt.datetime) -> str:
    """What "yesterday 9pm", said at `now`, is stored as (UTC ISO text)."""
    return london_wall_time(now, 1, 21).isoformat()


def latest_past(now: dt.datetime, month: int, day: int, hour: int) -> dt.datetime:
    """The latest `day/month hour:00` in London that is not after `now` ("12/03 18:00")."""
    year = now.astimezone(LONDON).year
    while True:
        try:
            moment = dt.datetime(year, month, day, hour, tzinfo=LONDON)
        except ValueError:  # 29/02 in a year without one
            year -= 1
            continue
        if moment <= now:
            return moment
        year -= 1
