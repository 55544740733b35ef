"""Property-based: raw Bot API updates, hostile and odd, through the real Telegram handlers.

Hypothesis writes update JSON (any unicode, right-to-left, zero-width, combining, 4,096
characters; commands with junk arguments; forged and garbled callback data, including other
users' incident ids; edited messages, stickers, polls, dice, locations, contacts, photos and
documents with path tricks in their names; channel posts, group messages, inline queries, button
presses on inline messages, poll updates with no user). Each is parsed by python-telegram-bot and
handed to the real `Application` from `bot.channels.telegram.application` (handlers, rendering,
engine, journal, SQLite), with the network replaced by an in-process request object.

For every update: no unhandled exception (the error handler is never reached); an update from a
user in a private chat gets an answer (a message, an edit, a deletion, an answered button) or,
for a delivery of an update already handled, deliberate silence. After every sequence each user's
`/emergency` is answered with 999 first. The last test checks that at least 10,000 were sent.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update
from telegram.ext import Application

from bot.channels.telegram.application import build_application
from bot.settings import Settings
from bot.store.incidents import IncidentStore
from tests.in_process_api import BOT, InProcessRequest

TOKEN = "123456789:" + "a" * 35  # never sent anywhere: the request object answers in-process
USERS = (9_100_001, 9_100_002, 9_100_003)
VICTIM = 9_100_099  # another user, whose journal the hostile users try to reach
VICTIM_SECRET = "Quetzalcoatl-lantern"
GROUP = -1_009_100_001
ANSWERS = {
    "sendMessage",
    "editMessageText",
    "sendContact",
    "sendDocument",
    "deleteMessages",
    "deleteMessage",
    "answerCallbackQuery",
}


WEIRD = [
    "\u200f",
    "\u202e",
    "\u200b",
    "\u200d",
    "\u0301\u0301\u0301",
    "\ufeff",
    "\x00",
    "👩‍👩‍👧",
    "مرحبا",
    "שלום",
    "²",
    "٣",
    "'; DROP TABLE incidents; --",
    '" OR 1=1 --',
    "<b>x</b>&amp;",
    "../../etc/passwd",
    "%s%n{0}",
]
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
    "clear",
    "delete_my_data",
    "nonsense",
    "START",
    "menu@safety_test_bot",
    "log@other_bot",
]
texts = st.one_of(
    st.text(min_size=1, max_size=300),
    st.lists(st.sampled_from([*WEIRD, *"ab 1"]), min_size=1, max_size=30).map("".join),
    st.sampled_from(["x" * 4096, "\u202e" * 4096, "a\u0301" * 2048, "1", "2", "skip", "yes"]),
    st.tuples(st.sampled_from(COMMANDS), st.text(max_size=60)).map(lambda c: f"/{c[0]} {c[1]}"),
    st.tuples(st.sampled_from(["log", "incidents"]), st.sampled_from(WEIRD)).map(
        lambda c: f"/{c[0]} {c[1]}"
    ),
    st.integers(-(2**70), 2**70).map(lambda n: f"/incidents {n}"),
)
forged = st.one_of(
    st.text(max_size=64),
    st.text(max_size=60).map(lambda t: "v1|" + t),
    st.text(max_size=60).map(lambda t: "v1c|" + t),
    st.sampled_from(["v1|!e", "v1|!b", "v1|!m", "v1|!s", "v1|0.²", "v1|ffffff.9", "v0|!e", ""]),
    st.tuples(
        st.sampled_from(["v", "n", "p", "c", "f:to:1", "f:new", "f:drop", "d:yes", "o:save", "l"]),
        st.integers(-(2**70), 2**70),
    ).map(lambda t: f"v1|j:{t[0]}:{t[1]}"[:64]),
    st.just("LAST"),  # a real button from the user's last keyboard
)
user = st.sampled_from(USERS)
# another user's real buttons and ids (resolved when the update is built: see Harness.victim)
stolen = st.one_of(
    st.tuples(st.just("victim_button"), user, st.integers(0, 10**6)),
    st.tuples(
        st.just("victim_id"),
        user,
        st.sampled_from(["v", "n", "p", "c", "f:to", "f:drop", "f:new"]),
        st.integers(0, 10**6),
    ),
    st.tuples(st.just("victim_number"), user, st.sampled_from(["/incidents", "/incidents #"])),
)
update = st.one_of(
    stolen,
    stolen,
    st.tuples(st.just("text"), user, texts),
    st.tuples(st.just("text"), user, texts),
    st.tuples(st.just("press"), user, forged),
    st.tuples(st.just("press"), user, forged),
    st.tuples(st.just("edit"), user, texts),
    st.tuples(st.sampled_from(["sticker", "poll_msg", "dice", "contact", "venue"]), user),
    st.tuples(st.just("location"), user, st.floats(-90, 90), st.floats(-180, 180)),
    st.tuples(
        st.just("document"),
        user,
        st.sampled_from(["../../x.jpg", "/etc/shadow", "a\x00b", "ok.pdf", "ح.png"]),
    ),
    st.tuples(st.just("photo"), user),
    st.tuples(st.just("inline"), user, st.text(max_size=64)),
    st.tuples(st.just("inline_press"), user, forged),
    st.tuples(st.just("group"), user, texts),
    st.tuples(st.sampled_from(["channel_post", "poll_update"])),
)
sequences = st.lists(update, min_size=15, max_size=40)


class Harness:
    """One Application for the whole module: hypothesis runs many examples against it."""

    def __init__(self, data: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.data = data
        self.request = InProcessRequest()
        self.app, self.channel = build_application(
            Settings(data_dir=self.data),
            TOKEN,
            "http://in-process",
            request=self.request,
            get_updates_request=InProcessRequest(),
            rate_limit=False,
            set_menu=False,
        )
        self.errors: list[BaseException] = []

        async def record(update: object, context: Any) -> None:
            self.errors.append(context.error)

        self.app.add_error_handler(record)
        self.loop.run_until_complete(self._start(self.app))
        self.ids = itertools.count(1)
        self.updates = 0
        self.loop.run_until_complete(self._victim_records())

    async def _victim_records(self) -> None:
        """Another user with a journal: two incidents, a photo waiting to be filed, and the
        buttons the bot showed them. The hostile users get these real ids and buttons."""
        for text in (f"/log {VICTIM_SECRET} followed me home", f"/log {VICTIM_SECRET} again"):
            await self.send(self.build(("text", VICTIM, text))[0])
        photo = [{"file_id": "victim-photo", "file_unique_id": "vp", "width": 9, "height": 9}]
        await self.send(
            {"update_id": next(self.ids), "message": self._message(VICTIM, photo=photo)}
        )
        await self.send(self.build(("text", VICTIM, "/incidents"))[0])
        self.victim_buttons = sorted(
            {
                b["callback_data"]
                for method, params in self.request.calls
                if str(params.get("chat_id")) == str(VICTIM) and params.get("reply_markup")
                for row in _markup(params["reply_markup"])["inline_keyboard"]
                for b in row
                if b.get("callback_data", "").startswith("v1|j:")
            }
        )
        self.victim_files = sorted(
            {int(b.rsplit(":", 1)[1]) for b in self.victim_buttons if b.startswith("v1|j:f:new:")}
        )
        self.victim_incidents = await self.victim_journal()
        self.victim_ids = [i[0] for i in self.victim_incidents if i[0] != "waiting"]
        assert len(self.victim_ids) == 2 and self.victim_files, "the victim's journal is set up"
        assert any(str(self.victim_ids[0]) in b for b in self.victim_buttons)
        self.victim_calls = len(self.request.calls)

    @property
    def store(self) -> IncidentStore:
        app = self.channel.app
        return IncidentStore(app.db, app.cipher, app.settings.data_dir)

    @property
    def victim_ref(self) -> str:
        return self.channel.app.engine.store.user_ref(f"tg:{VICTIM}")

    async def victim_journal(self) -> list[tuple]:
        incidents = await self.store.all(self.victim_ref)
        waiting = await self.store.waiting_files(self.victim_ref, self.victim_files)
        return [
            (i.id, i.number, i.fields, [r.kind for r in i.revisions], [f.id for f in i.files])
            for i in incidents
        ] + [("waiting", f.id, f.incident_id) for f in waiting]

    @staticmethod
    async def _start(app: Application) -> None:
        await app.initialize()
        await app.post_init(app)  # type: ignore[misc]

    def close(self) -> None:
        async def stop() -> None:
            await self.app.post_shutdown(self.app)  # type: ignore[misc]
            await self.app.shutdown()

        self.loop.run_until_complete(stop())
        self.loop.close()

    # ------------------------------------------------------------------ building updates

    def _user(self, uid: int) -> dict[str, Any]:
        return {"id": uid, "is_bot": False, "first_name": "U\u202e", "language_code": "en"}

    def _message(self, uid: int, chat: dict[str, Any] | None = None, **content: Any) -> dict:
        return {
            "message_id": next(self.ids),
            "date": int(time.time()),
            "chat": chat or {"id": uid, "type": "private", "first_name": "U"},
            "from": self._user(uid),
            **content,
        }

    def _stolen(self, spec: tuple) -> tuple:
        """A hostile user's update carrying the victim's real button, id or number."""
        kind, uid, *rest = spec
        if kind == "victim_button":
            return ("press", uid, self.victim_buttons[rest[0] % len(self.victim_buttons)])
        if kind == "victim_id":
            action, k = rest
            incident = self.victim_ids[k % len(self.victim_ids)]
            file_id = self.victim_files[k % len(self.victim_files)]
            data = {
                "f:to": f"f:to:{file_id}:{incident}",
                "f:drop": f"f:drop:{file_id}",
                "f:new": f"f:new:{file_id}",
            }.get(action, f"{action}:{incident}")
            return ("press", uid, f"v1|j:{data}")
        return ("text", uid, f"{rest[0]}{self.victim_incidents[0][1]}")  # its number, typed

    def _data(self, uid: int, data: str) -> str:
        if data == "LAST":
            keyboard = self.request.keyboards.get(uid) or ["v1|!m"]
            return keyboard[next(self.ids) % len(keyboard)]
        return data

    def _message_of(self, kind: str, uid: int, rest: list) -> dict[str, Any]:
        """A private message carrying something other than text (MESSAGE_KINDS)."""
        if kind == "sticker":
            sticker = {
                "file_id": "s",
                "file_unique_id": "s",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            }
            return self._message(uid, sticker=sticker)
        if kind == "poll_msg":
            return self._message(uid, poll=POLL)
        if kind == "dice":
            return self._message(uid, dice={"emoji": "🎲", "value": 6})
        if kind == "contact":
            contact = {"phone_number": "+447700900123", "first_name": "\u202eX", "user_id": 5}
            return self._message(uid, contact=contact)
        if kind == "venue":
            venue = {
                "location": {"latitude": 53.19, "longitude": -2.89},
                "title": "'; DROP TABLE x; --",
                "address": "\u200b",
            }
            return self._message(uid, venue=venue, location={"latitude": 53.19, "longitude": -2.89})
        if kind == "location":
            return self._message(uid, location={"latitude": rest[1], "longitude": rest[2]})
        if kind == "document":
            document = {
                "file_id": f"d{next(self.ids)}",
                "file_unique_id": "d",
                "file_name": rest[1],
                "mime_type": "application/x-../../sh",
                "file_size": 15,
            }
            return self._message(uid, document=document, caption="\u202e" * 2000)
        if kind == "photo":
            photo = [{"file_id": "p", "file_unique_id": "p", "width": 9, "height": 9}]
            return self._message(uid, photo=photo)
        raise AssertionError(f"not a message kind: {kind}")

    def build(self, spec: tuple) -> tuple[dict[str, Any], int | None, str]:
        """Raw update JSON, the private chat that must be answered (if any), and its kind."""
        if spec[0].startswith("victim_"):
            spec = self._stolen(spec)
        kind, *rest = spec
        uid = rest[0] if rest else None
        raw: dict[str, Any] = {"update_id": next(self.ids)}
        private: int | None = uid
        if kind == "text":
            raw["message"] = self._message(uid, text=rest[1][:4096])
        elif kind == "edit":
            raw["edited_message"] = {**self._message(uid, text=rest[1][:4096]), "edit_date": 1}
        elif kind == "press":
            raw["callback_query"] = {
                "id": f"q{next(self.ids)}",
                "from": self._user(uid),
                "chat_instance": "ci",
                "message": {**self._message(uid, text="screen"), "from": BOT},
                "data": self._data(uid, rest[1]),
            }
        elif kind == "inline_press":
            raw["callback_query"] = {
                "id": f"q{next(self.ids)}",
                "from": self._user(uid),
                "chat_instance": "ci",
                "inline_message_id": "im1",
                "data": self._data(uid, rest[1]),
            }
            private = None  # no chat to answer in: the query is answered, nothing else
        elif kind in MESSAGE_KINDS:
            raw["message"] = self._message_of(kind, uid, rest)
        elif kind == "inline":
            raw["inline_query"] = {
                "id": f"i{next(self.ids)}",
                "from": self._user(uid),
                "query": rest[1],
                "offset": "",
            }
            private = None
        elif kind == "group":
            group = {"id": GROUP, "type": "supergroup", "title": "\u202eGroup"}
            raw["message"] = self._message(uid, chat=group, text=rest[1][:4096])
            private = None
        elif kind == "channel_post":
            channel = {"id": -100_555, "type": "channel", "title": "News"}
            post = {"message_id": next(self.ids), "date": 1, "chat": channel, "text": "post"}
            raw["channel_post"] = {**post, "sender_chat": channel}
        elif kind == "poll_update":
            raw["poll"] = POLL
        return raw, private, kind

    async def send(self, raw: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        before = len(self.request.calls)
        await self.app.process_update(Update.de_json(raw, self.app.bot))
        self.updates += 1
        return self.request.calls[before:]


def _markup(raw: Any) -> dict[str, Any]:
    return json.loads(raw) if isinstance(raw, str) else raw


# the kinds of private message `Harness._message_of` builds
MESSAGE_KINDS = ("sticker", "poll_msg", "dice", "contact", "venue", "location", "document", "photo")

POLL = {
    "id": "p1",
    "question": "\u202e?",
    "options": [
        {"text": "a", "voter_count": 0, "persistent_id": "o1"},
        {"text": "b", "voter_count": 0, "persistent_id": "o2"},
    ],
    "allows_revoting": False,
    "members_only": False,
    "total_voter_count": 0,
    "is_closed": False,
    "is_anonymous": True,
    "type": "regular",
    "allows_multiple_answers": False,
}


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """The Application, checked when the last test using it is done: it really took thousands
    of updates, never reached the error handler, and the database is intact."""
    h = Harness(tmp_path_factory.mktemp("hostile-updates"))
    try:
        yield h
        print(f"\nhostile raw updates through the Telegram handlers: {h.updates}")
        assert h.updates >= 10_000
        assert not h.errors
        # "LAST" presses picked from keyboards the bot really showed, not only the menu fallback
        assert all(h.request.keyboards.get(uid) for uid in USERS)
        app = h.channel.app
        assert app is not None
        assert h.loop.run_until_complete(app.db.integrity_check()) == "ok"
    finally:
        h.close()


def answered(calls: list[tuple[str, dict[str, Any]]], chat: int, kind: str) -> bool:
    for method, params in calls:
        if method == "answerCallbackQuery":
            return True
        if method in ANSWERS and str(params.get("chat_id")) == str(chat):
            return True
    return False


async def run(h: Harness, sequence: list[tuple]) -> None:
    for spec in sequence:
        raw, private, kind = h.build(spec)
        calls = await h.send(raw)
        assert not h.errors, f"{kind}: {h.errors!r}"
        if private is not None:
            assert answered(calls, private, kind), f"no answer to {kind}: {spec!r}"
        if kind == "inline":
            assert [m for m, _ in calls] == ["answerInlineQuery"]
        if kind == "inline_press":
            assert [m for m, _ in calls] == ["answerCallbackQuery"]
    for uid in {spec[1] for spec in sequence if len(spec) > 1}:
        raw, _, _ = h.build(("text", uid, "/emergency"))
        calls = await h.send(raw)
        first = next(p["text"] for m, p in calls if m == "sendMessage")
        assert first.startswith("Call 999"), first
    # another user's real ids and buttons reached nothing of theirs: not a word of their
    # journal was shown to anyone else, nothing was sent to them, their records are unchanged
    for method, params in h.request.calls[h.victim_calls :]:
        shown = f"{params.get('text', '')}{params.get('caption', '')}{params.get('document', '')}"
        assert VICTIM_SECRET not in shown, f"{method} showed the victim's journal"
        assert str(params.get("chat_id")) != str(VICTIM), f"{method} sent to the victim"
    h.victim_calls = len(h.request.calls)  # checked up to here
    assert await h.victim_journal() == h.victim_incidents


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=sequences)
def test_hostile_raw_updates_through_the_real_handlers(harness: Harness, sequence: list) -> None:
    harness.loop.run_until_complete(run(harness, sequence))
