"""Promises the docs make about the Telegram bot, each tested on the real bot subprocess.

- A handler that fails tells the user "something went wrong", then the 999 line (docs/telegram.md).
- Bare `safety-bot`, with TELEGRAM_BOT_TOKEN set, starts the Telegram bot (README).
- `/clear` deletes a long chat in batches of at most 100, as Telegram allows.
- A webhook's 200 is sent only once the update is committed to the inbox: a SIGKILL right after
  the 200s loses none of them.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest

from bot.app import build_registry, load_checked_project, open_app, project_checks
from bot.flows.loader import load_project
from bot.settings import PROJECT_ROOT, Settings
from bot.store.inbox import Inbox
from tests.fake_bot_api import FakeBotApi
from tests.telegram_harness import BotProcess, say, sent_texts, shared_telegram
from tests.test_telegram_webhook import free_port, post

USER = 5550401

# one bot process for the file's tests that leave it running; each talks as its own user
pytestmark = pytest.mark.asyncio(loop_scope="module")
api, bot = shared_telegram()


def emergency_first_line(tmp: Path) -> str:
    """The first line of the emergency flow's first screen, from the real content."""
    project = load_checked_project(Settings(data_dir=tmp / "probe"), build_registry())
    flow = project.flows["emergency"]
    return project.catalog.text(flow.steps[flow.start].say[0]).splitlines()[0]


def something_went_wrong(emergency: str) -> str:
    """The channel's apology, from content, with the first line of the emergency advice."""
    catalog = load_project(
        PROJECT_ROOT / "flows", PROJECT_ROOT / "content", **project_checks(build_registry())
    ).catalog
    return catalog.text("telegram.something_went_wrong", {"emergency": emergency})


async def test_a_failing_handler_says_sorry_then_the_999_line(
    api: FakeBotApi, bot: BotProcess, tmp_path: Path, user: int
) -> None:
    await say(api, user, "/start")
    # Telegram refuses the answer with an error the bot does not expect: the handler fails
    api.refuse_next("sendMessage", 400, "Bad Request: something Telegram has never said")
    calls = await say(api, user, "/help")
    [(refused, _)] = [r for r in api.refused if r[0].chat_id == user]
    assert refused.chat_id == user
    expected = something_went_wrong(emergency_first_line(tmp_path))
    assert sent_texts(calls) == [expected]
    assert "999" in expected.splitlines()[-1]
    log = bot.stderr()
    assert '"event": "handler_failed"' in log and '"error": "BadRequest"' in log
    # and the bot goes on: the next message is answered as usual
    assert sent_texts(await say(api, user, "/help"))[0] == refused.params["text"]


async def test_bare_safety_bot_with_a_token_starts_telegram(
    own_api: FakeBotApi, tmp_path: Path
) -> None:
    api = own_api
    process = BotProcess(api, tmp_path / "data", api.token, bare=True)
    await process.start()
    try:
        calls = await say(api, USER + 1, "/start")
        assert "Are you in danger right now?" in sent_texts(calls)[0]
    finally:
        assert await process.stop() == 0
    assert "TELEGRAM_BOT_TOKEN is set: starting the Telegram bot" in process.stderr()


async def test_clear_deletes_a_long_chat_in_batches_of_100(
    api: FakeBotApi, bot: BotProcess, user: int
) -> None:
    await say(api, user, "/start")
    for _ in range(70):  # each /help and its answer: 140 messages, and the welcome
        await api.send_text(user, "/help")
    await api.handled(user, len(api.calls))
    on_screen = {m["message_id"] for m in api.screen(user)}
    assert len(on_screen) > 200

    calls = await say(api, user, "/clear")
    batches = [c.json("message_ids") for c in calls if c.method == "deleteMessages"]
    assert all(1 <= len(batch) <= 100 for batch in batches)
    deleted = [i for batch in batches for i in batch]
    assert len(batches) == math.ceil(len(deleted) / 100)  # full batches, then the rest
    assert len(deleted) == len(set(deleted)) and on_screen <= set(deleted)
    assert not [c for c in calls if c.method == "deleteMessage"]  # no one-by-one fallback
    assert api.screen(user) == []


async def test_a_kill_right_after_the_webhooks_200s_loses_nothing(
    own_api: FakeBotApi, tmp_path: Path
) -> None:
    api = own_api
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    secret = "promise-test-secret"
    args = ("--webhook-url", url, "--port", str(port), "--secret-token", secret)
    data = tmp_path / "data"
    users = [USER + 10 + n for n in range(12)]
    bot = BotProcess(api, data, api.token, *args)
    await bot.start()
    updates = [
        {"update_id": 500 + n, "message": api.user_message(user, text="/help")}
        for n, user in enumerate(users)
    ]
    answers = await asyncio.gather(*(post(url, update, secret) for update in updates))
    await bot.kill()  # SIGKILL the moment the last 200 is in
    assert answers == [200] * len(updates)

    # every update Telegram was told it delivered is answered, or kept to be handled again
    answered = {c.chat_id for c in api.calls_of("sendMessage")}
    app = await open_app(Settings(data_dir=data))
    try:
        kept = {p.update_id for p in await Inbox(app.db, app.cipher).unfinished()}
    finally:
        await app.close()
    for update, user in zip(updates, users, strict=True):
        assert user in answered or update["update_id"] in kept, f"update {update['update_id']}"

    await bot.start()  # and after a restart everyone has their answer
    try:
        await api.wait_for(
            lambda: {c.chat_id for c in api.calls_of("sendMessage")} >= set(users),
            what="every user answered",
        )
    finally:
        assert await bot.stop() == 0
