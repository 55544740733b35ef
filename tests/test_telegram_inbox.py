"""Updates Telegram has forgotten but the bot had not finished are handled after a crash.

The bot is a real subprocess against the fake Bot API. The fake server holds the bot's reply
(`sendMessage` hangs, as on a stuck network) so the update is provably mid-handling when the
process is SIGKILLed; Telegram has already been told it arrived (a webhook answered 200, or the
next getUpdates confirmed it). After a restart the user still gets the answer, the 999 advice
first for a danger message, and nothing is left in the inbox.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bot.app import open_app
from bot.settings import Settings
from bot.store.db import DB_FILE_NAME
from bot.store.inbox import MAX_ATTEMPTS, Inbox
from tests.fake_bot_api import FakeBotApi
from tests.telegram_harness import BotProcess, project_env, running_api
from tests.test_telegram_webhook import free_port, post, webhook_sentinel

DANGER = "he is outside my door with a knife"
SECRET = "inbox-test-secret"
USER = 5550301


async def _kill_while_replying(api: FakeBotApi, bot: BotProcess, user: int) -> None:
    """Wait until the bot is sending its answer to `user`, then SIGKILL it mid-call."""
    await api.wait_for(
        lambda: any(c.chat_id == user for c in api.stalled_calls), what="the held reply"
    )
    await bot.kill()
    api.stalled.clear()


async def _inbox_rows(data_dir: Path) -> list[tuple[int, bytes]]:
    app = await open_app(Settings(data_dir=data_dir))
    try:
        return [(p.update_id, p.body) for p in await Inbox(app.db, app.cipher).unfinished()]
    finally:
        await app.close()


def _emergency_first(api: FakeBotApi, user: int) -> str:
    texts = [c.params["text"] for c in api.calls_of("sendMessage", user)]
    assert texts, "no answer"
    return texts[0]


async def test_a_danger_message_whose_webhook_was_answered_survives_a_kill(
    tmp_path: Path,
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    args = ("--webhook-url", url, "--port", str(port), "--secret-token", SECRET)
    data = tmp_path / "data"
    async with running_api() as api:
        bot = BotProcess(api, data, api.token, *args, env=project_env(tmp_path))
        await bot.start()
        api.stalled.add("sendMessage")
        update = {"update_id": 77, "message": api.user_message(USER, text=DANGER)}
        assert await post(url, update, SECRET) == 200  # Telegram will never send it again
        await _kill_while_replying(api, bot, USER)
        assert not api.calls_of("sendMessage", USER)  # the user has seen nothing yet

        # what the dead process kept: sealed, so the words are not in the database file
        raw = b"".join(p.read_bytes() for p in data.glob(f"{DB_FILE_NAME}*"))
        assert b"knife" not in raw
        [(update_id, body)] = await _inbox_rows(data)
        assert update_id == 77 and json.loads(body)["message"]["text"] == DANGER

        await bot.start()
        try:
            first = await api.wait_for(
                lambda: api.calls_of("sendMessage", USER), what="the answer after the restart"
            )
            assert "999" in first[0].params["text"]
            # handled to the end (a stop cuts a handler short, and it is kept to be replayed)
            await webhook_sentinel(api, url, USER, SECRET, 78)
        finally:
            assert await bot.stop() == 0
    assert await _inbox_rows(data) == []


async def test_a_polled_update_confirmed_before_a_kill_is_answered_after_restart(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    async with running_api() as api:
        env = {**project_env(tmp_path), "SAFETY_BOT_LOG_LEVEL": "debug"}
        bot = BotProcess(api, data, api.token, env=env)
        await bot.start()
        api.stalled.add("sendMessage")
        sent = await api.send_text(USER, DANGER)
        await api.wait_for(
            lambda: any(c.chat_id == USER for c in api.stalled_calls), what="the held reply"
        )
        # the bot polls on while it handles: its next getUpdates confirms the update
        await api.wait_for(lambda: api._confirmed > sent["update_id"], what="the confirmation")
        await bot.kill()
        api.stalled.clear()
        assert not api.calls_of("sendMessage", USER)

        await bot.start()
        try:
            await api.wait_for(lambda: api.calls_of("sendMessage", USER), what="the answer")
            assert "999" in _emergency_first(api, USER)
            since = len(api.calls)
            await api.send_text(USER, "/help")  # and the conversation goes on
            calls = await api.handled(USER, since)  # everything of USER's handled to the end
            assert [c for c in calls if c.method == "sendMessage" and c.chat_id == USER]
        finally:
            assert await bot.stop() == 0
        assert DANGER not in bot.stderr()
    assert await _inbox_rows(data) == []


async def test_an_update_that_keeps_failing_is_dropped_after_three_starts(tmp_path: Path) -> None:
    """One update that brings the process down every time must not keep the bot down."""
    app = await open_app(Settings(data_dir=tmp_path / "data"))
    try:
        inbox = Inbox(app.db, app.cipher)
        await inbox.add(1, b'{"update_id": 1}')
        await inbox.add(2, b'{"update_id": 2}')
        await inbox.close()
        seen = []
        for _ in range(MAX_ATTEMPTS + 1):  # each start-up replays; update 2 is finished once
            starting = Inbox(app.db, app.cipher)
            taken = await starting.take_for_replay()
            seen.append([(p.update_id, p.attempts) for p in taken])
            starting.remove(2)
            await starting.close()
        assert seen == [[(1, 1), (2, 1)], [(1, 2)], [(1, 3)], []]
        assert await Inbox(app.db, app.cipher).count() == 0
    finally:
        await app.close()


async def test_adds_and_removals_share_commits_and_end_empty(tmp_path: Path) -> None:
    app = await open_app(Settings(data_dir=tmp_path / "data"))
    try:
        inbox = Inbox(app.db, app.cipher)
        kept = [inbox.add_nowait(i, f'{{"update_id": {i}}}'.encode()) for i in range(200)]
        for i in range(0, 200, 2):
            inbox.remove(i)  # handled before its add was even committed
        await inbox.flush()
        assert all(k.done() and k.exception() is None for k in kept)
        assert [p.update_id for p in await inbox.unfinished()] == list(range(1, 200, 2))
        again = inbox.add_nowait(1, b'{"update_id": 1}')  # Telegram delivers one again
        await again
        for i in range(1, 200, 2):
            inbox.remove(i)
        await inbox.close()
        assert await inbox.count() == 0
    finally:
        await app.close()


async def test_the_bot_stopping_cleanly_leaves_nothing_to_replay(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with running_api() as api:
        bot = BotProcess(api, data, api.token, env=project_env(tmp_path))
        await bot.start()
        try:
            for n in range(5):
                await api.send_text(USER + n, "/start")
            await api.wait_for(
                lambda: all(api.calls_of("sendMessage", USER + n) for n in range(5)),
                what="five welcomes",
            )
        finally:
            assert await bot.stop() == 0
    await asyncio.sleep(0)
    assert await _inbox_rows(data) == []


async def test_many_webhook_requests_at_once_are_all_kept_and_answered(tmp_path: Path) -> None:
    """Each request waits for its commit before its 200; at once, they share commits."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    args = ("--webhook-url", url, "--port", str(port), "--secret-token", SECRET)
    data = tmp_path / "data"
    users = [USER + 100 + n for n in range(30)]
    async with running_api() as api:
        bot = BotProcess(api, data, api.token, *args, env=project_env(tmp_path))
        await bot.start()
        try:
            updates = [
                {"update_id": 500 + n, "message": api.user_message(user, text="/start")}
                for n, user in enumerate(users)
            ]
            codes = await asyncio.gather(*(post(url, u, SECRET) for u in updates))
            assert codes == [200] * len(users)
            await api.wait_for(
                lambda: all(api.calls_of("sendMessage", user) for user in users),
                what="a welcome for each",
            )
        finally:
            assert await bot.stop() == 0
    assert await _inbox_rows(data) == []


async def test_an_update_being_committed_is_found_by_get(tmp_path: Path) -> None:
    """A parked update is read back with `get`; its add may already be off the queue and in a
    commit that waits for the database (another store's transaction is open). `get` must wait
    for that commit: answering "not here" dropped the person's message unanswered, and /clear
    then left it on screen (test_clear_deletes_a_long_chat_in_batches_of_100, 1 run in 2)."""
    app = await open_app(Settings(data_dir=tmp_path / "data"))
    try:
        inbox = Inbox(app.db, app.cipher)
        other_store_is_writing = asyncio.Event()
        finish_writing = asyncio.Event()

        async def another_stores_commit() -> None:
            async with app.db.transaction():
                other_store_is_writing.set()
                await finish_writing.wait()

        other = asyncio.create_task(another_stores_commit())
        await other_store_is_writing.wait()
        kept = inbox.add_nowait(7, b'{"update_id": 7}')
        for _ in range(5):  # the inbox's writer takes the add off its queue, then waits
            await asyncio.sleep(0)
        assert inbox.holds(7) and not kept.done()
        reading = asyncio.create_task(inbox.get(7))
        await asyncio.sleep(0.05)
        finish_writing.set()
        assert await reading == b'{"update_id": 7}'
        await other
        await inbox.close()
    finally:
        await app.close()
