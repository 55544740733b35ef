"""When it happened: real phrasings and what the diary says they mean, on clocks the test sets.

Each row is what a person typed and how the diary reads it back. "ASK" means the bot asks
"morning or night?" instead of guessing. Nothing here reads today's date or the machine's
timezone: `now` is fixed, once in winter (GMT) and once in summer (BST).
"""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from bot.app import App
from bot.content.catalog import load_catalog
from bot.journal.render import when_reading
from bot.journal.when import ASK_AM_PM, NOT_GIVEN, read_when
from bot.settings import PROJECT_ROOT
from tests.chat_client import ChatClient
from tests.journal_support import (
    incidents_of,
    journal_app_fixture,  # noqa: F401 - the `app` fixture
    skip_to_evidence,
)

WINTER = dt.datetime(2026, 11, 29, 23, 10, tzinfo=dt.UTC)  # Sunday night, GMT
SUMMER = dt.datetime(2026, 6, 14, 21, 30, tzinfo=dt.UTC)  # Sunday night, 22:30 BST
CATALOG = load_catalog(PROJECT_ROOT / "content", "cheshire", [])

# Read at WINTER: Sunday 29 November 2026, 23:10.
WINTER_READINGS = [
    ("last night about 10", "Sat 28 Nov 2026, about 22:00"),
    ("last night about 2", "Sun 29 Nov 2026, about 02:00"),
    ("10ish last night", "Sat 28 Nov 2026, about 22:00"),
    ("half 9 last night", "Sat 28 Nov 2026, 21:30"),
    ("last night", "Sat 28 Nov 2026, night"),
    ("sat night", "Sat 28 Nov 2026, night"),
    ("tonight", "Sun 29 Nov 2026, night"),
    ("on the way home from work tonight", "Sun 29 Nov 2026, evening"),
    ("after work yesterday", "Sat 28 Nov 2026, evening"),
    ("teatime yesterday", "Sat 28 Nov 2026, teatime"),
    ("yesterday lunchtime", "Sat 28 Nov 2026, lunchtime"),
    ("yesterday morning", "Sat 28 Nov 2026, morning"),
    ("yesterday afternoon", "Sat 28 Nov 2026, afternoon"),
    ("this morning", "Sun 29 Nov 2026, morning"),
    ("this arvo", "Sun 29 Nov 2026, afternoon"),
    ("this arvo about 3", "Sun 29 Nov 2026, about 15:00"),
    ("this evening", "Sun 29 Nov 2026, evening"),
    ("tuesday evening", "Tue 24 Nov 2026, evening"),
    ("sunday morning", "Sun 29 Nov 2026, morning"),
    ("in the early hours", "Sun 29 Nov 2026, early hours"),
    ("in the small hours", "Sun 29 Nov 2026, early hours"),
    ("early hours of saturday", "Sat 28 Nov 2026, early hours"),
    ("between 7 and 8 this morning", "Sun 29 Nov 2026, between 07:00 and 08:00"),
    ("between 7 and 8pm yesterday", "Sat 28 Nov 2026, between 19:00 and 20:00"),
    ("from 6 till 7 this evening", "Sun 29 Nov 2026, between 18:00 and 19:00"),
    ("7-8pm on friday", "Fri 27 Nov 2026, between 19:00 and 20:00"),
    ("about 10 this morning", "Sun 29 Nov 2026, about 10:00"),
    ("around 10pm", "Sun 29 Nov 2026, about 22:00"),
    ("fri about 6pm", "Fri 27 Nov 2026, about 18:00"),
    ("28 nov about 10pm", "Sat 28 Nov 2026, about 22:00"),
    ("around midnight", "Sun 29 Nov 2026, about 00:00"),
    ("an hour ago", "Sun 29 Nov 2026, about 22:10"),
    ("about an hour ago", "Sun 29 Nov 2026, about 22:10"),
    ("2 hours ago", "Sun 29 Nov 2026, about 21:10"),
    ("half an hour ago", "Sun 29 Nov 2026, about 22:40"),
    ("20 minutes ago", "Sun 29 Nov 2026, about 22:50"),
    ("just now", "Sun 29 Nov 2026, about 23:10"),
    ("now", "Sun 29 Nov 2026, 23:10"),
    ("earlier", "Sun 29 Nov 2026"),
    ("earlier today", "Sun 29 Nov 2026"),
    ("yesterday 9pm", "Sat 28 Nov 2026, 21:00"),
    ("at 9:30pm yesterday", "Sat 28 Nov 2026, 21:30"),
    ("10pm", "Sun 29 Nov 2026, 22:00"),
    ("21:15", "Sun 29 Nov 2026, 21:15"),
    ("9.30pm", "Sun 29 Nov 2026, 21:30"),
    ("quarter past 8 this morning", "Sun 29 Nov 2026, 08:15"),
    ("quarter to 7 this evening", "Sun 29 Nov 2026, 18:45"),
    ("midday yesterday", "Sat 28 Nov 2026, 12:00"),
    ("noon", "Sun 29 Nov 2026, 12:00"),
    ("friday at 5pm", "Fri 27 Nov 2026, 17:00"),
    ("Tue 14:30", "Tue 24 Nov 2026, 14:30"),
    ("3 days ago at 8am", "Thu 26 Nov 2026, 08:00"),
    ("November 14th at 8pm", "Sat 14 Nov 2026, 20:00"),
    ("sat 28/11 at 10pm", "Sat 28 Nov 2026, 22:00"),
    ("28/11/2026 22:00", "Sat 28 Nov 2026, 22:00"),
    ("12/03 18:00", "Thu 12 Mar 2026, 18:00"),  # UK order: 12 March, not 3 December
    ("12/03", "Thu 12 Mar 2026"),
    ("12/03/2026", "Thu 12 Mar 2026"),
    ("yesterday", "Sat 28 Nov 2026"),
    ("monday", "Mon 23 Nov 2026"),
    ("last tuesday", "Tue 24 Nov 2026"),
    ("3 days ago", "Thu 26 Nov 2026"),
    ("the 3rd", "Tue 3 Nov 2026"),
    ("3rd", "Tue 3 Nov 2026"),
    ("on the 14th", "Sat 14 Nov 2026"),
    ("14 November", "Sat 14 Nov 2026"),
    ("sat 28th", "Sat 28 Nov 2026"),
    ("last week", "week of 16 Nov 2026"),
    ("sometime last week", "week of 16 Nov 2026"),
    ("this week", "week of 23 Nov 2026"),
    ("a week ago", "week of 16 Nov 2026"),
    ("the week before last", "week of 9 Nov 2026"),
    ("2 weeks ago", "week of 9 Nov 2026"),
    ("about 10", "ASK"),
    ("the 3rd at half 9", "ASK"),
    ("yesterday about 3", "ASK"),
    ("at 9", "ASK"),
    ("the other day", None),
    ("last month", None),
    ("blurgh the other thing", None),
]

# Read at SUMMER: Sunday 14 June 2026, 22:30 BST. The UTC times are an hour behind.
SUMMER_READINGS = [
    ("last night about 10", "Sat 13 Jun 2026, about 22:00", "2026-06-13T21:00:00+00:00"),
    ("yesterday 9pm", "Sat 13 Jun 2026, 21:00", "2026-06-13T20:00:00+00:00"),
    ("this morning", "Sun 14 Jun 2026, morning", "2026-06-14T05:00:00+00:00"),
    (
        "between 7 and 8 this morning",
        "Sun 14 Jun 2026, between 07:00 and 08:00",
        "2026-06-14T06:00:00+00:00",
    ),
    ("an hour ago", "Sun 14 Jun 2026, about 21:30", "2026-06-14T20:30:00+00:00"),
    ("the 3rd", "Wed 3 Jun 2026", "2026-06-02T23:00:00+00:00"),
    ("the 20th", "Wed 20 May 2026", "2026-05-19T23:00:00+00:00"),  # 20 June is still to come
    ("12/03 18:00", "Thu 12 Mar 2026, 18:00", "2026-03-12T18:00:00+00:00"),  # March: GMT
    ("last week", "week of 1 Jun 2026", "2026-05-31T23:00:00+00:00"),
    ("sat night", "Sat 13 Jun 2026, night", "2026-06-13T17:00:00+00:00"),
    ("teatime yesterday", "Sat 13 Jun 2026, teatime", "2026-06-13T16:00:00+00:00"),
    ("now", "Sun 14 Jun 2026, 22:30", "2026-06-14T21:30:00+00:00"),
]


def reading(text: str, now: dt.datetime) -> str | None:
    when = read_when(text, now)
    if when is None:
        return None
    if when.ask == ASK_AM_PM:
        return "ASK"
    return when_reading(CATALOG, when.to_dict())


def test_the_table_has_sixty_phrasings_or_more() -> None:
    assert len(WINTER_READINGS) + len(SUMMER_READINGS) >= 60
    assert len({text for text, _ in WINTER_READINGS}) == len(WINTER_READINGS)


@pytest.mark.parametrize(("said", "understood"), WINTER_READINGS)
def test_winter_reading(said: str, understood: str | None) -> None:
    assert reading(said, WINTER) == understood


@pytest.mark.parametrize(("said", "understood", "utc"), SUMMER_READINGS)
def test_summer_reading_in_british_summer_time(said: str, understood: str, utc: str) -> None:
    when = read_when(said, SUMMER)
    assert when is not None and when.start is not None
    assert reading(said, SUMMER) == understood
    assert when.start.isoformat() == utc


@pytest.mark.parametrize(("said", "understood"), WINTER_READINGS)
def test_summer_reads_every_phrase_with_the_same_precision(
    said: str, understood: str | None
) -> None:
    winter, summer = read_when(said, WINTER), read_when(said, SUMMER)
    assert (winter is None) == (summer is None)
    if winter is not None and summer is not None:
        assert (winter.precision, winter.ask, winter.part) == (
            summer.precision,
            summer.ask,
            summer.part,
        )


def test_a_missing_time_of_day_is_never_filled_with_the_clock() -> None:
    odd_minute = dt.datetime(2026, 11, 29, 13, 43, 27, tzinfo=dt.UTC)
    for said in ("yesterday", "last week", "monday", "3 days ago", "last night", "the 3rd"):
        when = read_when(said, odd_minute)
        assert when is not None and when.start is not None
        assert (when.start.minute, when.start.second) == (0, 0), said


def test_the_day_the_clocks_go_forward() -> None:
    # Sunday 29 March 2026, 12:00 BST: last night was still GMT, this morning is BST.
    now = dt.datetime(2026, 3, 29, 11, 0, tzinfo=dt.UTC)
    last_night = read_when("last night about 10", now)
    this_morning = read_when("this morning at 9", now)
    assert last_night is not None and this_morning is not None
    assert last_night.start == dt.datetime(2026, 3, 28, 22, 0, tzinfo=dt.UTC)
    assert this_morning.start == dt.datetime(2026, 3, 29, 8, 0, tzinfo=dt.UTC)


def test_the_machine_timezone_does_not_matter(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = [reading(said, WINTER) for said, _ in WINTER_READINGS]
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:
        assert [reading(said, WINTER) for said, _ in WINTER_READINGS] == expected
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert os.environ.get("TZ") is None


# A phrase inside a longer message (/log, "save this message"): read if there, else none.
IN_A_MESSAGE = [
    ("three silent calls between 7 and 8 this morning", "Sun 29 Nov 2026, between 07:00 and 08:00"),
    ("he sat in his car outside last night, about 10", "Sat 28 Nov 2026, about 22:00"),
    ("Silent call at 21:15 from 07700 900123", "Sun 29 Nov 2026, 21:15"),
    ("followed me home from the station yesterday afternoon", "Sat 28 Nov 2026, afternoon"),
    ("the 3rd time he has called today", "Sun 29 Nov 2026"),
    ("A car waited outside my house for an hour", None),
    ("He sat outside my house", None),  # "sat" is not Saturday
    ("he may come back", None),  # "may" is not May
    ("he said he would call at 6", None),  # morning or evening: not guessed
    ("entry number 1", None),
]


@pytest.mark.parametrize(("message", "understood"), IN_A_MESSAGE)
def test_a_time_phrase_inside_a_message(message: str, understood: str | None) -> None:
    when = read_when(message, WINTER, within=True)
    got = when_reading(CATALOG, when.to_dict()) if when is not None else None
    assert got == understood
    assert when is None or when.precision != NOT_GIVEN


# ---------------------------------------------------------------------- in the conversation


async def test_guided_record_asks_morning_or_night_and_keeps_the_words(app: App) -> None:
    app.engine.clock = lambda: WINTER
    chat = ChatClient(app.engine)
    await chat.send("/record")
    await chat.click("Phone call")
    await chat.click("Skip")  # who it was
    await chat.send("about 10")
    assert "morning or at night" in chat.text
    await chat.send("last night about 10")
    assert "I understood: Sat 28 Nov 2026, about 22:00." in chat.text
    await skip_to_evidence(chat)
    await chat.click("Done")
    assert (
        "When it happened: Sat 28 Nov 2026, about 22:00 (written as: last night about 10)"
        in chat.text
    )
    await chat.click("Save")
    await chat.send("/incidents 1")
    assert "Sat 28 Nov 2026, about 22:00 (written as: last night about 10)" in chat.text
    assert "When it was recorded: Sun 29 Nov 2026, 23:10" in chat.text


async def test_log_reads_the_time_in_the_message_and_offers_change_when(app: App) -> None:
    app.engine.clock = lambda: WINTER
    chat = ChatClient(app.engine)
    ref = app.engine.store.user_ref(chat.user_id)
    await chat.send("/log three silent calls between 7 and 8 this morning")
    assert "Saved as incident 1" in chat.text
    assert (
        "When it happened: Sun 29 Nov 2026, between 07:00 and 08:00 "
        "(written as: between 7 and 8 this morning)" in chat.text
    )
    await chat.click("Change when")
    assert "When did it happen?" in chat.text
    await chat.send("yesterday between 7 and 8am")
    assert "I understood: Sat 28 Nov 2026, between 07:00 and 08:00." in chat.text
    await chat.click("Save")
    incident = await incidents_of(app).by_number(ref, 1)
    assert [r.kind for r in incident.revisions] == ["original", "correction"]
    assert incident.fields["occurred_at"]["w"] == "yesterday between 7 and 8am"
    assert incident.original["occurred_at"]["w"] == "between 7 and 8 this morning"
    await chat.send("/log he rang again and again")
    assert "When it happened: time not given" in chat.text
