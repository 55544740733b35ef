"""Property-based: random sequences of odd events never break the engine, and 999 still answers.

Hypothesis generates any unicode text (right-to-left, zero-width, combining, 4,096+ characters),
commands with junk arguments, forged and garbled button data, real buttons from the last screen,
attachments, locations and unsupported messages, for several users at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import open_app
from bot.engine.events import Attachment, Event, Kind
from bot.settings import Settings
from bot.store.incidents import IncidentStore

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
    st.sampled_from(["!e", "!b", "!m", "!s", "v0|x", "0.0", "ffffff.999"]).map(Event.button),
    st.just("LAST"),  # press a real button from the last screen
    # another user's real journal buttons, and real ids of theirs in every journal action
    st.integers(0, 10**6).map(lambda k: ("VICTIM_BUTTON", k)),
    st.tuples(st.sampled_from(["v", "n", "p", "c", "f:to", "f:new", "f:drop"]), st.integers()).map(
        lambda t: ("VICTIM_ID", t)
    ),
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
VICTIM = "h:victim"
VICTIM_SECRET = "Quetzalcoatl-lantern"
VICTIM_PHOTO = Attachment("photo", "victim.jpg", "image/jpeg", 9, content=b"\xff\xd8victim")
steps = st.lists(st.tuples(st.integers(0, 2), event), min_size=10, max_size=50)


class Harness:
    """One app for the whole module: hypothesis runs many examples against the same bot."""

    def __init__(self, data: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.data = data
        self.app = self.loop.run_until_complete(open_app(Settings(data_dir=self.data)))
        self.last_buttons: dict[str, list[str]] = {}
        self.events = 0
        self.loop.run_until_complete(self._victim_records())

    async def _victim_records(self) -> None:
        """Another user with two incidents and a photo waiting to be filed; the hostile users
        get their real buttons and ids."""
        engine = self.app.engine
        shown: list[str] = []
        for event in (
            Event.from_text(f"/log {VICTIM_SECRET} followed me home"),
            Event.from_text(f"/log {VICTIM_SECRET} again"),
            Event(Kind.ATTACHMENT, attachment=VICTIM_PHOTO),
            Event.from_text("/incidents"),
        ):
            replies = await engine.handle(VICTIM, event)
            shown += [b.data for r in replies for b in r.buttons if b.data.startswith("j:")]
        self.victim_buttons = sorted(set(shown))
        self.victim_files = sorted(
            {int(b.rsplit(":", 1)[1]) for b in shown if b.startswith("j:f:new:")}
        )
        self.victim = await self.victim_journal()
        self.victim_ids = [row[0] for row in self.victim if row[0] != "waiting"]
        assert len(self.victim_ids) == 2 and self.victim_files, "the victim's journal is set up"

    async def victim_journal(self) -> list[tuple]:
        store = IncidentStore(self.app.db, self.app.cipher, self.data)
        ref = self.app.engine.store.user_ref(VICTIM)
        incidents = await store.all(ref)
        waiting = await store.waiting_files(ref, self.victim_files)
        return [
            (i.id, i.number, i.fields, [r.kind for r in i.revisions], [f.id for f in i.files])
            for i in incidents
        ] + [("waiting", f.id, f.incident_id) for f in waiting]

    def stolen(self, ev: tuple) -> Event:
        kind, value = ev
        if kind == "VICTIM_BUTTON":
            return Event.button(self.victim_buttons[value % len(self.victim_buttons)])
        action, k = value
        incident = self.victim_ids[k % len(self.victim_ids)]
        file_id = self.victim_files[k % len(self.victim_files)]
        data = {
            "f:to": f"f:to:{file_id}:{incident}",
            "f:new": f"f:new:{file_id}",
            "f:drop": f"f:drop:{file_id}",
        }.get(action, f"{action}:{incident}")
        return Event.button(f"j:{data}")

    def close(self) -> None:
        self.loop.run_until_complete(self.app.close())
        self.loop.close()


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """The app, checked when the last test using it is done: it really handled thousands of
    events, and the database is intact."""
    h = Harness(tmp_path_factory.mktemp("hostile"))
    try:
        yield h
        print(f"hostile events handled: {h.events}")
        assert h.events >= 10_000
        assert h.loop.run_until_complete(h.app.db.integrity_check()) == "ok"
    finally:
        h.close()


async def run(h: Harness, sequence: list[tuple[int, object]]) -> None:
    for who, ev in sequence:
        user = f"h:{who}"
        if ev == "LAST":
            choices = h.last_buttons.get(user) or ["!m"]
            ev = Event.button(choices[h.events % len(choices)])
        elif isinstance(ev, tuple):
            ev = h.stolen(ev)
        replies = await h.app.engine.handle(user, ev)
        h.events += 1
        assert replies, f"no answer to {ev!r}"
        assert all(r.text.strip() for r in replies), f"an empty reply to {ev!r}"
        assert not [r for r in replies if VICTIM_SECRET in r.text], "another user's journal shown"
        shown = [b.data for r in replies for b in r.buttons]
        if shown:
            h.last_buttons[user] = shown
    for who in {w for w, _ in sequence}:
        replies = await h.app.engine.handle(f"h:{who}", Event.from_text("/emergency"))
        assert replies[0].text.startswith("Call 999"), replies[0].text
    assert await h.victim_journal() == h.victim, "another user's journal changed"


@pytest.mark.slow
@settings(max_examples=650, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=steps)
def test_random_event_sequences(harness: Harness, sequence: list[tuple[int, object]]) -> None:
    harness.loop.run_until_complete(run(harness, sequence))
