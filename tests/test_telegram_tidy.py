"""Auto-tidy, on a clock the test controls: the person chooses "after 10 minutes", and once the
chat has been quiet that long the bot removes its messages, both sides, unasked. The schedule
is in the database (the chat id sealed, never plain), so a restart keeps it. The tick is the
function the running bot's job calls; here the test calls it after moving the clock."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.fake_bot_api import FakeBotApi
from tests.telegram_harness import expect, press, said, say, sent_texts, words
from tests.telegram_inprocess import Clock, bot_in_process

USER = 5553001
MINUTE = 60
TEN_MINUTES = words("tidy.btn_10m")


async def test_the_chat_is_tidied_after_ten_quiet_minutes_and_a_restart_keeps_the_schedule(
    api: FakeBotApi, tmp_path: Path
) -> None:
    clock = Clock()
    api.clock = clock
    async with bot_in_process(api, tmp_path, clock) as (application, channel):
        await say(api, USER, "/start")
        await press(api, USER, api.last_with_buttons(USER), "start.btn_tidy")
        offer = api.last_with_buttons(USER)
        expect(offer["text"], "tidy.question")
        expect(offer["text"], "tidy.now", choice=words("tidy.btn_off"))
        calls = await press(api, USER, offer, "tidy.btn_10m")
        assert any(said(text, "tidy.saved", choice=TEN_MINUTES) for text in sent_texts(calls))

        clock.advance(9 * MINUTE)
        assert await channel.tidy_due_chats(application.bot) == 0
        await say(api, USER, "hello")  # activity: the quiet spell starts again
        clock.advance(9 * MINUTE)
        assert await channel.tidy_due_chats(application.bot) == 0
        assert len(api.screen(USER)) >= 6

    # stopped and started again: the schedule was in the database
    clock.advance(2 * MINUTE)
    async with bot_in_process(api, tmp_path, clock) as (application, channel):
        assert await channel.tidy_due_chats(application.bot) == 1
        assert api.screen(USER) == []  # every message, the person's and the bot's
        assert await channel.tidy_due_chats(application.bot) == 0  # once, until used again

        await say(api, USER, "/menu")  # also offered under the menu's privacy screen
        await press(api, USER, api.last_with_buttons(USER), "menu.privacy")
        await press(api, USER, api.last_with_buttons(USER), "menu.tidy")
        expect(api.last_with_buttons(USER)["text"], "tidy.now", choice=TEN_MINUTES)
        await press(api, USER, api.last_with_buttons(USER), "tidy.btn_off")
        clock.advance(2 * 60 * MINUTE)
        assert await channel.tidy_due_chats(application.bot) == 0
        assert api.screen(USER) != []

    database = tmp_path / "data" / "safety-bot.db"
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT COUNT(*) FROM chat_tidy").fetchone() == (0,)
    for path in database.parent.glob("safety-bot.db*"):
        assert str(USER).encode() not in path.read_bytes(), path.name


async def test_the_schedule_holds_the_chat_only_sealed(api: FakeBotApi, tmp_path: Path) -> None:
    clock = Clock()
    api.clock = clock
    async with bot_in_process(api, tmp_path, clock):
        await say(api, USER, "/tidy")
        await press(api, USER, api.last_with_buttons(USER), "tidy.btn_1h")
    database = tmp_path / "data" / "safety-bot.db"
    with sqlite3.connect(database) as conn:
        ref, spell, chat = conn.execute(
            "SELECT chat_ref, after_seconds, chat FROM chat_tidy"
        ).fetchone()
    assert spell == 3600 and str(USER) not in ref and str(USER).encode() not in chat
    for path in database.parent.glob("safety-bot.db*"):
        assert str(USER).encode() not in path.read_bytes(), path.name


def test_the_console_says_tidying_is_for_the_telegram_chat(tmp_path: Path) -> None:
    import subprocess
    import sys

    from bot.settings import PROJECT_ROOT

    run = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--data-dir", str(tmp_path / "data")],
        input="/tidy\n/quit\n",
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    assert "Tidying by myself works in the Telegram chat" in run.stdout
