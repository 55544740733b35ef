"""The bot in a private chat, end to end: `python -m bot run` as a subprocess, talking over HTTP
to the fake Bot API (tests/fake_bot_api.py), with scripted users."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.fake_bot_api import FakeBotApi, buttons
from tests.telegram_harness import (
    BotProcess,
    project_env,
    say,
    sent_texts,
    tap,
)

USER = 5550001


COMMANDS = [
    "start",
    "emergency",
    "record",
    "log",
    "incidents",
    "export",
    "clear",
    "delete_my_data",
    "help",
]


def rows(data_dir: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(data_dir / "safety-bot.db") as conn:
        return conn.execute(sql).fetchall()


async def test_start_and_triage_by_buttons(api: FakeBotApi, bot: BotProcess) -> None:
    commands = api.calls_of("setMyCommands")[0].json("commands")
    assert [c["command"] for c in commands] == COMMANDS

    await say(api, USER, "/start")
    welcome = api.last_with_buttons(USER)
    assert "Are you in danger right now?" in welcome["text"]
    assert all(data.startswith("v1|") for _, data in buttons(welcome))

    calls = await tap(api, USER, welcome, "No, not right now")
    # the callback query is answered first, then the same message becomes the menu
    assert [c.method for c in calls][:2] == ["answerCallbackQuery", "editMessageText"]
    menu = api.screen(USER)[-1]
    assert menu["message_id"] == welcome["message_id"]
    assert "Advice for my situation" in [label for label, _ in buttons(menu)]

    await tap(api, USER, menu, "Advice for my situation")
    topics = api.screen(USER)[-1]
    assert topics["message_id"] == welcome["message_id"]
    await tap(api, USER, topics, "Unwanted calls")
    advice = api.screen(USER)[-1]
    assert advice["message_id"] == welcome["message_id"]
    assert advice["text"] != menu["text"]
    labels = [label for label, _ in buttons(advice)]
    assert labels[-2:] == ["Back", "Menu"]

    # walk on until a screen names a phone number: it is a button that sends the contact card
    for _ in range(8):
        screen = api.screen(USER)[-1]
        if any(label.startswith("📞") for label, _ in buttons(screen)):
            break
        await tap(api, USER, screen, "More")
    screen = api.screen(USER)[-1]
    contact_label = next(label for label, _ in buttons(screen) if label.startswith("📞"))
    calls = await tap(api, USER, screen, contact_label)
    assert [c.method for c in calls] == ["answerCallbackQuery", "sendContact"]
    number = calls[1].params["phone_number"]
    assert number.isdigit() and number in contact_label.replace(" ", "")
    assert api.screen(USER)[-1]["contact"]["phone_number"] == number


async def test_html_in_what_users_type_is_escaped(api: FakeBotApi, bot: BotProcess) -> None:
    await say(api, USER, "/start")
    calls = await say(api, USER, "<b>not bold</b> & <script>")
    sends = [c for c in calls if c.method == "sendMessage"]
    assert sends and all(c.params["parse_mode"] == "HTML" for c in sends)
    assert "handler_failed" not in bot.stderr()


async def test_danger_mid_flow_gets_the_emergency_screen_on_top(
    api: FakeBotApi, bot: BotProcess
) -> None:
    await say(api, USER, "/start")
    await tap(api, USER, api.last_with_buttons(USER), "No, not right now")
    await tap(api, USER, api.screen(USER)[-1], "Advice for my situation")
    await tap(api, USER, api.screen(USER)[-1], "Unwanted calls")
    where = api.screen(USER)[-1]["text"]

    calls = await say(api, USER, "hes outside my house!!")
    texts = sent_texts(calls)
    # last: the full emergency advice, the 999 card and "Carry on where I was"; above it only
    # the offer to keep the message in the journal (nothing lost), not the old screen again
    assert texts[-1].startswith("Call 999 now.") and where not in texts, texts
    assert all("save that message" in t for t in texts[:-1]), texts
    emergency = api.screen(USER)[-1]
    for part in ("Call 999 now.", "press 55", "Silent Solution", "emergencySMS", "safe place"):
        assert part in emergency["text"], part
    labels = [label for label, _ in buttons(emergency)]
    assert labels[0].startswith("📞") and "999" in labels[0]
    assert labels[1:] == ["Carry on where I was"]
    assert not [c for c in calls if c.method == "editMessageText"]  # the old screen untouched

    # carrying on shows where they were as a new message: the advice stays above it
    calls = await tap(api, USER, emergency, "Carry on where I was")
    assert api.screen(USER)[-1]["text"] == where
    assert api.screen(USER)[-2]["text"] == emergency["text"]


async def test_danger_inside_a_date_question_is_not_also_an_error(
    api: FakeBotApi, bot: BotProcess
) -> None:
    await say(api, USER, "/record")
    await tap(api, USER, api.last_with_buttons(USER), "")  # the first kind of incident
    await tap(api, USER, api.last_with_buttons(USER), "Skip")  # who it was
    question = api.last_with_buttons(USER)["text"]
    assert "when" in question.lower(), question

    calls = await say(api, USER, "hes outside with a knife")
    texts = sent_texts(calls)
    assert len(texts) == 1 and texts[0].startswith("Call 999 now."), texts
    assert not any("couldn't" in t.lower() for t in texts)
    await tap(api, USER, api.screen(USER)[-1], "Carry on where I was")
    assert api.screen(USER)[-1]["text"] == question


async def test_log_with_danger_is_saved_then_the_emergency_screen(
    api: FakeBotApi, bot: BotProcess
) -> None:
    calls = await say(api, USER, "/log he has a knife")
    texts = sent_texts(calls)
    assert any("incident 1" in t.lower() for t in texts[:-1]), texts
    assert texts[-1].startswith("Call 999 now.")


async def test_clear_deletes_every_message_and_keeps_the_place(
    api: FakeBotApi, bot: BotProcess
) -> None:
    await say(api, USER, "/start")
    await tap(api, USER, api.last_with_buttons(USER), "No, not right now")
    await say(api, USER, "hello")
    await say(api, USER, "/help")
    on_screen = {m["message_id"] for m in api.screen(USER)}
    assert len(on_screen) >= 5

    calls = await say(api, USER, "/clear")
    deleted = {i for c in calls if c.method == "deleteMessages" for i in c.json("message_ids")}
    assert on_screen <= deleted  # every message, both sides, the /clear itself too
    assert api.screen(USER) == []
    assert not [c for c in calls if c.method.startswith("send")]  # nothing new on screen
    assert rows(bot.data_dir, "SELECT COUNT(*) FROM chat_messages") == [(0,)]

    # the place is kept: the conversation continues
    calls = await say(api, USER, "/menu")
    assert "Unwanted calls" in sent_texts(calls)[-1] or api.last_with_buttons(USER)


async def test_group_chat_refused_once_nothing_stored(api: FakeBotApi, bot: BotProcess) -> None:
    group = api.chat(-100777, "supergroup", "Neighbours")
    since = len(api.calls)
    await api.push({"message": api.user_message(USER, chat=group, text="/start")})
    await api.push({"message": api.user_message(USER + 1, chat=group, text="hello bot")})
    calls = await api.settle(since)
    refusals = [c for c in calls if c.method == "sendMessage"]
    assert len(refusals) == 1 and "private chat" in refusals[0].params["text"]
    assert refusals[0].chat_id == -100777
    assert [c.chat_id for c in calls if c.method == "leaveChat"] == [-100777]

    # being added to another group: the same, said once
    other = api.chat(-100888, "group", "Family")
    since = len(api.calls)
    await api.push(
        {
            "my_chat_member": {
                "chat": other,
                "from": api.user(USER),
                "date": 1,
                "old_chat_member": {
                    "status": "left",
                    "user": {"id": 700000001, "is_bot": True, "first_name": "B"},
                },
                "new_chat_member": {
                    "status": "member",
                    "user": {"id": 700000001, "is_bot": True, "first_name": "B"},
                },
            }
        }
    )
    calls = await api.settle(since)
    assert [c.method for c in calls] == ["sendMessage", "leaveChat"]

    await bot.stop()
    assert rows(bot.data_dir, "SELECT COUNT(*) FROM conversations") == [(0,)]
    assert rows(bot.data_dir, "SELECT COUNT(*) FROM chat_messages") == [(0,)]


async def test_killed_and_restarted_mid_flow_user_continues(
    api: FakeBotApi, bot: BotProcess
) -> None:
    await say(api, USER, "/start")
    await tap(api, USER, api.last_with_buttons(USER), "No, not right now")
    await tap(api, USER, api.screen(USER)[-1], "Advice for my situation")
    await tap(api, USER, api.screen(USER)[-1], "Unwanted calls")
    screen = api.screen(USER)[-1]
    await tap(api, USER, screen, "More")
    second = api.screen(USER)[-1]

    await bot.kill()  # SIGKILL: no shutdown, no flush
    restarted = BotProcess(api, bot.data_dir, api.token, env=bot.env)
    await restarted.start()
    try:
        calls = await tap(api, USER, second, "More")
        texts = sent_texts(calls)
        assert texts and "earlier screen" not in " ".join(texts)
        third = api.screen(USER)[-1]
        assert third["text"] not in (screen["text"], second["text"])
        assert "Back" in [label for label, _ in buttons(third)]
        # Back goes to the screen before the restart: the history survived too
        await tap(api, USER, third, "Back")
        assert api.screen(USER)[-1]["text"] == second["text"]
    finally:
        await restarted.stop()


async def test_expired_foreign_and_old_version_buttons(api: FakeBotApi, bot: BotProcess) -> None:
    await say(api, USER, "/start")
    welcome = dict(api.last_with_buttons(USER))  # a copy: the screen as it was
    await tap(api, USER, welcome, "No, not right now")
    menu_text = api.screen(USER)[-1]["text"]

    # a button from the welcome, after the screen moved on
    calls = await tap(api, USER, welcome, "I'm not sure")
    assert calls[0].method == "answerCallbackQuery"
    texts = sent_texts(calls)
    assert "earlier screen" in texts[0]
    assert texts[-1] == menu_text  # and where they are now

    for data in ("v0|4f9d45.0", "never-ours", "v1c|no_such_contact", "v1|"):
        since = len(api.calls)
        await api.press(USER, api.screen(USER)[-1], data)
        calls = await api.settle(since)
        assert calls[0].method == "answerCallbackQuery"
        assert "older screen" in calls[0].params.get("text", "")
        assert "earlier screen" in sent_texts(calls)[0]
        assert sent_texts(calls)[-1] == menu_text
    assert "handler_failed" not in bot.stderr()


async def test_double_tap_is_not_an_error(api: FakeBotApi, bot: BotProcess) -> None:
    await say(api, USER, "/start")
    welcome = api.last_with_buttons(USER)
    await tap(api, USER, welcome, "No, not right now")
    await tap(api, USER, api.screen(USER)[-1], "Advice for my situation")
    await tap(api, USER, api.screen(USER)[-1], "Unwanted calls")
    advice = api.screen(USER)[-1]
    await tap(api, USER, advice, "Menu")
    calls = await tap(api, USER, advice, "Menu")  # the same tap again, on the same screen
    edits = [c for c in calls if c.method == "editMessageText"]
    assert edits and not [c for c in calls if c.method == "sendMessage"]  # "not modified": fine
    assert api.screen(USER)[-1]["message_id"] == advice["message_id"]
    assert "handler_failed" not in bot.stderr()
    assert "went wrong" not in " ".join(m.get("text", "") for m in api.screen(USER))


async def test_photo_is_fetched_and_handed_to_the_engine(api: FakeBotApi, bot: BotProcess) -> None:
    await say(api, USER, "/start")
    await tap(api, USER, api.last_with_buttons(USER), "No, not right now")
    since = len(api.calls)
    photo = b"\xff\xd8\xff\xe0 a small jpeg" + bytes(range(256)) * 40
    await api.send_photo(USER, photo, caption="the car outside")
    calls = await api.settle(since)
    methods = [c.method for c in calls]
    assert methods[:2] == ["getFile", "download"]
    assert "sendMessage" in methods  # the engine answered (the journal decides what to keep)
    assert calls[0].params["file_id"] == api.calls_of("getFile")[0].params["file_id"]


async def test_logs_hold_no_text_no_token_no_user_id(api: FakeBotApi, bot: BotProcess) -> None:
    secret_words = "Zebrafinch Marmalade 07700900123"
    await say(api, USER, "/start")
    await say(api, USER, secret_words)
    await tap(api, USER, api.last_with_buttons(USER), "Menu")
    await say(api, USER, "/clear")
    await bot.stop()
    log = bot.stderr()
    entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    updates = [e for e in entries if e["event"] == "update"]
    assert len(updates) >= 4
    hashes = {e["user"] for e in updates}
    assert len(hashes) == 1 and str(USER) not in next(iter(hashes))
    for forbidden in ("Zebrafinch", "Marmalade", "07700900123", api.token, str(USER), "Sam"):
        assert forbidden not in log


async def test_token_missing_or_malformed_is_one_clear_line(
    api: FakeBotApi, tmp_path: Path
) -> None:
    env = project_env(tmp_path)
    for token, expected in (("", "is not set"), ("12345:short", "does not look like a bot token")):
        process = BotProcess(api, tmp_path / "data", token, env=env)
        await process.start(wait_ready=False)
        code = await process.proc.wait()
        process._log.close()
        assert code == 2
        lines = process.stderr().strip().splitlines()
        assert len(lines) == 1 and expected in lines[0]
        if token:
            assert token not in lines[0] and "short" not in lines[0]
        process.log_path.unlink()
