"""The Telegram layer's parts on their own: callback data, text splitting, the per-user processor,
and the 48-hour message-id store."""

from __future__ import annotations

import asyncio
import html
import json
from pathlib import Path

from telegram import Chat, Message, Update, User

from bot.channels.telegram import render
from bot.channels.telegram.processor import PerUserUpdateProcessor
from bot.engine.events import Button, Reply
from bot.store.db import Database
from bot.store.messages import DELETABLE_SECONDS, MessageLog


def test_callback_data_is_versioned_and_anything_else_is_stale() -> None:
    assert render.parse_callback(render.engine_data("4f9d45.1")) == render.Press(
        "engine", "4f9d45.1"
    )
    assert render.parse_callback("v1c|helpline") == render.Press("contact", "helpline")
    for foreign in (None, "", "v1|", "v0|4f9d45.1", "4f9d45.1", "v2|x", "v1c|"):
        assert render.parse_callback(foreign).kind == "stale"


def test_keyboard_puts_contacts_first_and_back_menu_last() -> None:
    from bot.content.catalog import ContactCard

    reply = Reply(
        text="x",
        buttons=[Button("More", "ab.0"), Button("Back", "!b"), Button("Menu", "!m")],
        contacts=[ContactCard("emergency", "Police emergency", "999")],
    )
    rows = render.keyboard(reply).inline_keyboard
    assert [r[0].text for r in rows] == ["📞 Police emergency: 999", "More", "Back", "Menu"]
    assert all(len(r[0].callback_data.encode()) <= 64 for r in rows)
    # the JSON text sent with messages is the same keyboard, serialised once and reused
    sent = render.keyboard_json(reply)
    assert json.loads(sent) == render.keyboard(reply).to_dict()
    assert render.keyboard_json(reply) is sent
    assert render.keyboard_json(Reply(text="no buttons")) is None


def test_long_text_is_escaped_and_split_within_the_limit() -> None:
    text = ("<b>&amp; " * 300 + "\n\n") * 4
    pieces = render.chunks(text)
    assert len(pieces) > 1 and all(len(p) <= render.MAX_MESSAGE for p in pieces)
    assert "<b>" not in "".join(pieces)
    assert html.unescape("".join(pieces)).replace("\n", "") == text.replace("\n", "")


def _update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "U", False)
    chat = Chat(user_id, "private")
    import datetime as dt

    message = Message(update_id, dt.datetime.now(dt.UTC), chat, from_user=user, text="t")
    return Update(update_id, message=message)


async def test_processor_keeps_one_users_order_and_runs_users_together() -> None:
    processor = PerUserUpdateProcessor()
    events: list[tuple[str, int]] = []
    gate = asyncio.Event()

    async def work(user: int, n: int, wait: bool) -> None:
        events.append(("start", n))
        if wait:
            await gate.wait()
        events.append(("end", n))

    a1 = asyncio.create_task(processor.process_update(_update(1, 1), work(1, 1, True)))
    a2 = asyncio.create_task(processor.process_update(_update(2, 1), work(1, 2, False)))
    b1 = asyncio.create_task(processor.process_update(_update(3, 2), work(2, 3, False)))
    await b1  # user 2 finishes while user 1's first update is still waiting
    assert ("end", 3) in events and ("start", 2) not in events
    gate.set()
    await asyncio.gather(a1, a2)
    assert events.index(("end", 1)) < events.index(("start", 2))
    assert processor._locks == {}  # nothing kept per user once idle


async def test_one_users_flood_takes_one_slot_and_waits_in_the_inbox(tmp_path: Path) -> None:
    """Two slots, three updates per user in memory: user 1's burst of 20 parks 17 in the inbox,
    user 2 is answered while user 1 is still blocked, and user 1's 20 all run, in order."""
    from bot.store.crypto import Cipher
    from bot.store.inbox import Inbox

    db = await Database.open(tmp_path / "db.sqlite")
    inbox = Inbox(db, Cipher(bytes(32)))
    processor = PerUserUpdateProcessor(max_concurrent_updates=2, queued_per_user=3)
    ran: list[tuple[int, int]] = []
    gate = asyncio.Event()

    class Replays:  # what PTB's Application gives the processor: its bot and process_update
        bot = None

        async def process_update(self, update: Update) -> None:
            await work(update)

    async def work(update: Update) -> None:
        if update.update_id == 1:
            await gate.wait()
        ran.append((update.effective_user.id, update.update_id))  # type: ignore[union-attr]

    processor.inbox = inbox
    processor.application = Replays()  # type: ignore[assignment]
    flood = [_update(n, 1) for n in range(1, 21)]
    for update in flood:
        await inbox.add(update.update_id, update.to_json().encode())
    tasks = [asyncio.create_task(processor.process_update(u, work(u))) for u in flood]
    await asyncio.sleep(0.05)
    assert processor.parked() == 17  # only three held in memory
    await asyncio.wait_for(processor.process_update(_update(99, 2), work(_update(99, 2))), 2)
    assert ran == [(2, 99)]  # user 2 did not wait behind user 1's burst
    gate.set()
    await asyncio.gather(*tasks)
    await asyncio.wait_for(_until(lambda: len(ran) == 21), 5)
    assert [n for who, n in ran if who == 1] == list(range(1, 21))  # none lost, in order
    await inbox.flush()
    assert await inbox.count() == 0 and processor._locks == {}
    await processor.drain()
    await inbox.close()
    await db.close()


async def test_a_flooding_user_waits_while_someone_else_is_answered(
    tmp_path: Path, monkeypatch
) -> None:  # noqa: ANN001
    from bot.channels.telegram import processor as module
    from bot.store.crypto import Cipher
    from bot.store.inbox import Inbox

    monkeypatch.setattr(module, "BUSY_WAIT_SECONDS", 30.0)  # the cap is not what is tested here
    db = await Database.open(tmp_path / "db.sqlite")
    inbox = Inbox(db, Cipher(bytes(32)))
    processor = PerUserUpdateProcessor(queued_per_user=3)
    ran: list[int] = []
    other_answering = asyncio.Event()

    class Replays:
        bot = None

        async def process_update(self, update: Update) -> None:
            await work(update)

    async def work(update: Update) -> None:
        if update.update_id == 99:
            await other_answering.wait()
        await asyncio.sleep(0)  # handling takes a moment: a backlog forms behind it
        ran.append(update.update_id)

    processor.inbox = inbox
    processor.application = Replays()  # type: ignore[assignment]
    other = asyncio.create_task(processor.process_update(_update(99, 2), work(_update(99, 2))))
    await asyncio.sleep(0)
    flood = [_update(n, 1) for n in range(1, 21)]
    for update in flood:
        await inbox.add(update.update_id, update.to_json().encode())
    tasks = [asyncio.create_task(processor.process_update(u, work(u))) for u in flood]
    await asyncio.sleep(0.2)
    assert ran == [1]  # the first ran before the backlog formed; the rest wait for user 2
    other_answering.set()
    await asyncio.gather(other, *tasks)
    await asyncio.wait_for(_until(lambda: len(ran) == 21), 5)
    assert ran[:2] == [1, 99] and ran[2:] == list(range(2, 21))
    await processor.drain()
    await inbox.close()
    await db.close()


async def _until(predicate) -> None:  # noqa: ANN001
    while not predicate():  # noqa: ASYNC110 - parked updates finish in tasks of their own
        await asyncio.sleep(0.01)


async def test_message_ids_are_kept_past_48_hours_with_who_sent_them(tmp_path: Path) -> None:
    now = [1_000_000.0]
    db = await Database.open(tmp_path / "db.sqlite")
    try:
        log = MessageLog(db, lambda s: "ref-" + s, clock=lambda: now[0])
        log.note(42, [1], by_bot=False)
        log.note(42, [2, 3])
        log.note(43, [1])
        assert await log.ids_of(42) == [1, 2, 3]
        refs = {row[0] for row in await db.fetchall("SELECT chat_ref FROM chat_messages")}
        assert refs == {"ref-chat:42", "ref-chat:43"}  # chats only under the keyed ref
        now[0] += DELETABLE_SECONDS + 1
        log.note(42, [4])
        assert await log.ids_of(42) == [4]  # only this one can still be deleted...
        kept = await log.entries(42)  # ...but the older ones are still known, and whose they are
        assert [(e.message_id, e.by_bot) for e in kept] == [
            (1, False),
            (2, True),
            (3, True),
            (4, True),
        ]
        await log.forget(42)
        assert await log.entries(42) == []
        await log.close()
    finally:
        await db.close()
