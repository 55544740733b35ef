"""Property-based: random sequences of odd events never break the engine, and 999 still answers.

Hypothesis generates any unicode text (right-to-left, zero-width, combining, 4,096+ characters),
commands with junk arguments, forged and garbled button data, real buttons from the last screen,
attachments, locations and unsupported messages, for several users at once.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import open_app
from bot.engine.events import Attachment, Event, Kind
from bot.settings import Settings

COMMANDS = [
    "start",
    "menu",
    "back",
    "cancel",
    "help",
    "emergency",
    "record",
    "log",
    "incidents",
    "export",
    "delete_my_data",
    "nonsense",
    "START",
    "menu@safety_bot",
]
WEIRD = [
    "\u200f",
    "\u202e",
    "\u200b",
    "\u0301",
    "\ufeff",
    "\x00",
    "\x1b[2J",
    "👩‍👩‍👧",
    "مرحبا",
    "שלום",
    "\n\n",
    "'; DROP TABLE conversations; --",
    "%s%n",
    "../../etc/passwd",
]

text = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from([*WEIRD, *"abc 123"]), max_size=30).map("".join),
    st.integers(1, 12).map(str),  # a button number
    st.sampled_from(
        ["x" * 4096, "y" * 5000 + "\u202e", "help me", "yes", "no", "skip", "yesterday 9pm"]
    ),
)
command = st.tuples(st.sampled_from(COMMANDS), st.text(max_size=40)).map(
    lambda c: Event.from_text(f"/{c[0]} {c[1]}")
)
button = st.one_of(
    st.text(max_size=70).map(Event.button),
    st.sampled_from(["!e", "!b", "!m", "!s", "j:open:1", "v0|x", "0.0", "ffffff.999"]).map(
        Event.button
    ),
    st.just("LAST"),  # press a real button from the last screen
)
other = st.sampled_from(
    [
        Event(Kind.UNSUPPORTED),
        Event(Kind.LOCATION, location=(53.19, -2.89)),
        Event(
            Kind.ATTACHMENT,
            attachment=Attachment("photo", "../../x.jpg", "image/jpeg", 3, content=b"abc"),
        ),
        Event(
            Kind.ATTACHMENT,
            attachment=Attachment("document", "", "application/pdf", 0, content=b""),
        ),
    ]
)
event = st.one_of(text.map(Event.from_text), command, button, other)
steps = st.lists(st.tuples(st.integers(0, 2), event), min_size=10, max_size=50)


class Harness:
    """One app for the whole module: hypothesis runs many examples against the same bot."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.data = Path(tempfile.mkdtemp(prefix="hostile-"))
        self.app = self.loop.run_until_complete(open_app(Settings(data_dir=self.data)))
        self.last_buttons: dict[str, list[str]] = {}
        self.events = 0

    def close(self) -> None:
        self.loop.run_until_complete(self.app.close())
        self.loop.close()


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    h = Harness()
    yield h
    h.close()


async def run(h: Harness, sequence: list[tuple[int, object]]) -> None:
    for who, ev in sequence:
        user = f"h:{who}"
        if ev == "LAST":
            choices = h.last_buttons.get(user) or ["!m"]
            ev = Event.button(choices[h.events % len(choices)])
        replies = await h.app.engine.handle(user, ev)
        h.events += 1
        assert replies, f"no answer to {ev!r}"
        assert all(isinstance(r.text, str) for r in replies)
        shown = [b.data for r in replies for b in r.buttons]
        if shown:
            h.last_buttons[user] = shown
    for who in {w for w, _ in sequence}:
        replies = await h.app.engine.handle(f"h:{who}", Event.from_text("/emergency"))
        assert replies[0].text.startswith("Call 999"), replies[0].text


@settings(max_examples=650, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=steps)
def test_random_event_sequences(harness: Harness, sequence: list[tuple[int, object]]) -> None:
    harness.loop.run_until_complete(run(harness, sequence))


def test_zz_enough_events_and_database_intact(harness: Harness) -> None:
    """Runs after the property test (file order): it really sent thousands of events."""
    print(f"hostile events handled: {harness.events}")
    assert harness.events >= 10_000
    assert harness.loop.run_until_complete(harness.app.db.integrity_check()) == "ok"
