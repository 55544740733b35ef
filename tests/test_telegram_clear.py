"""An honest /clear, on a clock the test controls: what Telegram lets a bot delete (48 hours),
the bot's older messages blanked, the person told what is left and how to finish the job; old
screens answered with a new message; the chat's own menu cut to neutral words. The real
Application over HTTP against the fake Bot API, which refuses what Telegram refuses."""

from __future__ import annotations

from pathlib import Path

from bot.app import build_registry, project_checks
from bot.channels.telegram.commands import command_menu
from bot.flows.loader import load_project
from bot.settings import PROJECT_ROOT
from tests.fake_bot_api import FakeBotApi, buttons
from tests.telegram_harness import expect, press, say, sent_texts, words
from tests.telegram_inprocess import Clock, bot_in_process

NEUTRAL_COMMANDS = command_menu(
    build_registry(),
    load_project(
        PROJECT_ROOT / "flows", PROJECT_ROOT / "content", **project_checks(build_registry())
    ).catalog,
    neutral=True,
)
USER = 5552001
HOUR = 3600


async def test_clear_removes_what_it_may_blanks_its_own_older_messages_and_says_what_is_left(
    api: FakeBotApi, tmp_path: Path
) -> None:
    clock = Clock()
    api.clock = clock
    async with bot_in_process(api, tmp_path, clock):
        await say(api, USER, "/start")
        await say(api, USER, "hello")  # two messages of the person's, soon too old to delete
        old = {m["message_id"]: m for m in api.screen(USER)}
        clock.advance(49 * HOUR)
        await say(api, USER, "/start")
        recent = {m["message_id"] for m in api.screen(USER)} - set(old)

        calls = await say(api, USER, "/clear")

        screen = {m["message_id"]: m for m in api.screen(USER)}
        assert not recent & set(screen)  # every recent message gone, both sides, /clear too
        for message_id, before in old.items():
            if before["from"].get("is_bot"):  # the bot's older messages: a dot, no buttons
                assert screen[message_id]["text"] == "." and not buttons(screen[message_id])
            else:  # the person's: Telegram refuses, so they are still there
                assert screen[message_id]["text"] == before["text"]
        note = sent_texts([c for c in calls if c.method == "sendMessage"])[-1]
        expect(note, "clear.left_yours", count=2)
        expect(note, "clear.finish")
        assert [label for label, _ in buttons(api.screen(USER)[-1])] == [words("btn.emergency")]
        assert api.chat_commands[USER] == [
            {"command": c, "description": d} for c, d in NEUTRAL_COMMANDS
        ]
        # the bot sent only ids young enough: no batch was refused and retried one by one
        assert "deleteMessage" not in [c.method for c in calls]

        await say(api, USER, "/start")  # the full menu comes back with /start
        assert USER not in api.chat_commands


async def test_clear_of_a_recent_chat_removes_everything_and_says_nothing(
    api: FakeBotApi, tmp_path: Path
) -> None:
    clock = Clock()
    api.clock = clock
    async with bot_in_process(api, tmp_path, clock):
        await say(api, USER, "/start")
        clock.advance(47 * HOUR)
        await say(api, USER, "hello")
        calls = await say(api, USER, "/clear")
        assert api.screen(USER) == []  # a quick exit: nothing new on screen
        assert not [c for c in calls if c.method == "sendMessage"]
        deleted = [c.json("message_ids") for c in calls if c.method == "deleteMessages"]
        assert deleted and all(len(batch) <= 100 for batch in deleted)


async def test_a_button_on_a_screen_older_than_47_hours_answers_with_a_new_message(
    api: FakeBotApi, tmp_path: Path
) -> None:
    clock = Clock()
    api.clock = clock
    async with bot_in_process(api, tmp_path, clock):
        await say(api, USER, "/start")
        welcome = api.last_with_buttons(USER)
        clock.advance(47 * HOUR + 60)
        calls = await press(api, USER, welcome, "start.btn_no_danger")
        assert "editMessageText" not in [c.method for c in calls]
        on_screen = {m["message_id"]: m for m in api.screen(USER)}
        assert on_screen[welcome["message_id"]]["text"] == welcome["text"]  # untouched
        expect(api.screen(USER)[-1]["text"], "menu.choose")

        menu = api.screen(USER)[-1]
        calls = await press(api, USER, menu, "menu.privacy")  # a recent screen: edited
        assert "editMessageText" in [c.method for c in calls]
