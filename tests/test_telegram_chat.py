"""The bot in a private chat, end to end: `python -m bot run` as a subprocess, talking over HTTP
to the fake Bot API (tests/fake_bot_api.py), with scripted users."""

from __future__ import annotations

import html
import json
import sqlite3
from pathlib import Path

import pytest

from bot.channels.telegram.handlers import ONLY_PRIVATE
from tests.fake_bot_api import FakeBotApi, buttons, displayed
from tests.telegram_harness import (
    BotProcess,
    expect,
    opens_with,
    press,
    project_env,
    said,
    say,
    sent_texts,
    shared_telegram,
    tap,
    words,
)

# one bot process for the file; each test talks as its own `user` (tests/conftest.py)
pytestmark = pytest.mark.asyncio(loop_scope="module")
api, bot = shared_telegram()

COMMANDS = [
    "start",
    "emergency",
    "record",
    "log",
    "incidents",
    "export",
    "clear",
    "tidy",
    "delete_my_data",
    "help",
]


CHAT_ROWS = "SELECT chat_ref, COUNT(*) FROM chat_messages GROUP BY chat_ref"


def rows(data_dir: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(data_dir / "safety-bot.db") as conn:
        return conn.execute(sql).fetchall()


async def test_start_and_triage_by_buttons(user: int, api: FakeBotApi, bot: BotProcess) -> None:
    commands = api.calls_of("setMyCommands")[0].json("commands")
    assert [c["command"] for c in commands] == COMMANDS

    await say(api, user, "/start")
    welcome = api.last_with_buttons(user)
    expect(welcome["text"], "start.welcome")
    assert all(data.startswith("v1|") for _, data in buttons(welcome))

    calls = await press(api, user, welcome, "start.btn_no_danger")
    # the callback query is answered first, then the same message becomes the menu
    assert [c.method for c in calls][:2] == ["answerCallbackQuery", "editMessageText"]
    menu = api.screen(user)[-1]
    assert menu["message_id"] == welcome["message_id"]
    assert words("menu.advice") in [label for label, _ in buttons(menu)]

    await press(api, user, menu, "menu.advice")
    topics = api.screen(user)[-1]
    assert topics["message_id"] == welcome["message_id"]
    await press(api, user, topics, "menu.unwanted_calls")
    advice = api.screen(user)[-1]
    assert advice["message_id"] == welcome["message_id"]
    assert advice["text"] != menu["text"]
    labels = [label for label, _ in buttons(advice)]
    assert labels[-2:] == [words("btn.back"), words("btn.menu")]

    # walk on until a screen names a phone number: it is a button that sends the contact card
    for _ in range(8):
        screen = api.screen(user)[-1]
        if any(label.startswith("📞") for label, _ in buttons(screen)):
            break
        await press(api, user, screen, "btn.more")
    screen = api.screen(user)[-1]
    contact_label = next(label for label, _ in buttons(screen) if label.startswith("📞"))
    calls = await tap(api, user, screen, contact_label)
    assert [c.method for c in calls] == ["answerCallbackQuery", "sendContact"]
    number = calls[1].params["phone_number"]
    assert number.isdigit() and number in contact_label.replace(" ", "")
    assert api.screen(user)[-1]["contact"]["phone_number"] == number


async def test_html_in_what_users_type_is_escaped(
    user: int, api: FakeBotApi, bot: BotProcess
) -> None:
    """What the person typed comes back in the record's summary: escaped, so Telegram (and the
    fake Bot API, which refuses malformed HTML as Telegram does) shows it exactly as typed."""
    typed = "<b>not bold</b> & <script>alert(1)</script> &amp; 5 < 6"
    await say(api, user, "/start")
    await say(api, user, "/record")
    await press(api, user, api.last_with_buttons(user), "journal.kind_call")
    await say(api, user, "skip")  # who it was
    await say(api, user, "skip")  # when
    await say(api, user, typed)  # where
    await say(api, user, "he shouted at me")  # what happened
    for _ in range(3):  # a call: the number, witnesses, how it made them feel
        await say(api, user, "skip")
    calls = await press(api, user, api.last_with_buttons(user), "journal.btn_evidence_done")
    where = f"{words('journal.field_where')}: "  # the summary's line "Where: ..."
    summaries = [c for c in calls if where in c.params.get("text", "")]
    assert len(summaries) == 1, "the summary was refused (400) and sent again"
    summary = summaries[0]
    assert summary.params["parse_mode"] == "HTML"
    assert f"{where}{html.escape(typed, quote=False)}" in summary.params["text"]
    assert f"{where}{typed}" in displayed(summary.params["text"])  # what the person sees
    assert "handler_failed" not in bot.stderr()


async def test_danger_mid_flow_gets_the_emergency_screen_on_top(
    user: int, api: FakeBotApi, bot: BotProcess
) -> None:
    await say(api, user, "/start")
    await press(api, user, api.last_with_buttons(user), "start.btn_no_danger")
    await press(api, user, api.screen(user)[-1], "menu.advice")
    await press(api, user, api.screen(user)[-1], "menu.unwanted_calls")
    where = api.screen(user)[-1]["text"]

    calls = await say(api, user, "hes outside my house!!")
    texts = sent_texts(calls)
    # last: the full emergency advice, the 999 card and "Carry on where I was"; above it only
    # the offer to keep the message in the journal (nothing lost), not the old screen again
    assert opens_with(texts[-1], "emergency.call_999") and where not in texts, texts
    assert all(said(t, "journal.offer_text") for t in texts[:-1]), texts
    emergency = api.screen(user)[-1]
    for part in ("call_999", "cannot_speak", "silent_location", "text_999", "safe_place"):
        expect(emergency["text"], f"emergency.{part}")
    labels = [label for label, _ in buttons(emergency)]
    assert labels[0].startswith("📞") and "999" in labels[0]
    assert labels[1:] == [words("btn.carry_on")]
    assert not [c for c in calls if c.method == "editMessageText"]  # the old screen untouched

    # carrying on shows where they were as a new message: the advice stays above it
    calls = await press(api, user, emergency, "btn.carry_on")
    assert api.screen(user)[-1]["text"] == where
    assert api.screen(user)[-2]["text"] == emergency["text"]


async def test_danger_inside_a_date_question_is_not_also_an_error(
    user: int, api: FakeBotApi, bot: BotProcess
) -> None:
    await say(api, user, "/record")
    await press(api, user, api.last_with_buttons(user), "journal.kind_call")
    await press(api, user, api.last_with_buttons(user), "btn.skip")  # who it was
    question = api.last_with_buttons(user)["text"]
    expect(question, "journal.ask_when")

    calls = await say(api, user, "hes outside with a knife")
    texts = sent_texts(calls)
    assert len(texts) == 1 and opens_with(texts[0], "emergency.call_999"), texts
    assert not any("couldn't" in t.lower() for t in texts)
    await press(api, user, api.screen(user)[-1], "btn.carry_on")
    assert api.screen(user)[-1]["text"] == question


async def test_log_with_danger_is_saved_then_the_emergency_screen(
    user: int, api: FakeBotApi, bot: BotProcess
) -> None:
    calls = await say(api, user, "/log he has a knife")
    texts = sent_texts(calls)
    assert any(said(t, "journal.logged", number=1) for t in texts[:-1]), texts
    assert opens_with(texts[-1], "emergency.call_999"), texts


async def test_clear_deletes_every_message_and_keeps_the_place(
    user: int, api: FakeBotApi, bot: BotProcess
) -> None:
    await say(api, user, "/start")
    welcome = dict(api.last_with_buttons(user))  # a copy: the screen as it was
    await press(api, user, welcome, "start.btn_no_danger")
    await say(api, user, "hello")
    await say(api, user, "/help")
    await press(api, user, api.last_with_buttons(user), "menu.advice")
    await press(api, user, api.last_with_buttons(user), "menu.unwanted_calls")
    where = api.screen(user)[-1]  # an advice screen, not the menu
    on_screen = {m["message_id"] for m in api.screen(user)}
    assert len(on_screen) >= 5

    before = dict(rows(bot.data_dir, CHAT_ROWS))
    calls = await say(api, user, "/clear")
    deleted = {i for c in calls if c.method == "deleteMessages" for i in c.json("message_ids")}
    assert on_screen <= deleted  # every message, both sides, the /clear itself too
    assert api.screen(user) == []
    assert not [c for c in calls if c.method.startswith("send")]  # nothing new on screen
    # this chat's message ids are forgotten (one chat gone), other users' are untouched
    after = dict(rows(bot.data_dir, CHAT_ROWS))
    [gone] = set(before) - set(after)
    assert after == {ref: n for ref, n in before.items() if ref != gone}

    # the place is kept: a button from a screen gone by shows the screen they are on now
    calls = await press(api, user, welcome, "start.btn_not_sure")
    assert sent_texts(calls)[-1] == where["text"]
    assert buttons(api.screen(user)[-1]) == buttons(where)


async def test_group_chat_refused_once_nothing_stored(
    user: int, own_api: FakeBotApi, own_bot: BotProcess
) -> None:
    api, bot = own_api, own_bot  # this test stops the bot or reads its whole log
    group = api.chat(-100777, "supergroup", "Neighbours")
    since = len(api.calls)
    await api.push({"message": api.user_message(user, chat=group, text="/start")})
    await api.push({"message": api.user_message(user + 1, chat=group, text="hello bot")})
    await api.sentinel(user + 1)
    calls = await api.handled(user, since)
    refusals = [c for c in calls if c.method == "sendMessage"]
    assert len(refusals) == 1 and refusals[0].params["text"] == html.escape(
        ONLY_PRIVATE, quote=False
    )
    assert refusals[0].chat_id == -100777
    assert [c.chat_id for c in calls if c.method == "leaveChat"] == [-100777]

    # being added to another group: the same, said once
    other = api.chat(-100888, "group", "Family")
    since = len(api.calls)
    await api.push(
        {
            "my_chat_member": {
                "chat": other,
                "from": api.user(user),
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
    calls = await api.handled(user, since)
    assert [c.method for c in calls] == ["sendMessage", "leaveChat"]

    await bot.stop()
    assert rows(bot.data_dir, "SELECT COUNT(*) FROM conversations") == [(0,)]
    assert rows(bot.data_dir, "SELECT COUNT(*) FROM chat_messages") == [(0,)]


async def test_killed_and_restarted_mid_flow_user_continues(
    user: int, own_api: FakeBotApi, own_bot: BotProcess
) -> None:
    api, bot = own_api, own_bot  # this test stops the bot or reads its whole log
    await say(api, user, "/start")
    await press(api, user, api.last_with_buttons(user), "start.btn_no_danger")
    await press(api, user, api.screen(user)[-1], "menu.advice")
    await press(api, user, api.screen(user)[-1], "menu.unwanted_calls")
    screen = api.screen(user)[-1]
    await press(api, user, screen, "btn.more")
    second = api.screen(user)[-1]

    await bot.kill()  # SIGKILL: no shutdown, no flush
    restarted = BotProcess(api, bot.data_dir, api.token, env=bot.env)
    await restarted.start()
    try:
        calls = await press(api, user, second, "btn.more")
        texts = sent_texts(calls)
        assert texts and not any(said(t, "bot.stale_button") for t in texts)
        third = api.screen(user)[-1]
        assert third["text"] not in (screen["text"], second["text"])
        assert words("btn.back") in [label for label, _ in buttons(third)]
        # Back goes to the screen before the restart: the history survived too
        await press(api, user, third, "btn.back")
        assert api.screen(user)[-1]["text"] == second["text"]
    finally:
        await restarted.stop()


async def test_expired_foreign_and_old_version_buttons(
    user: int, api: FakeBotApi, bot: BotProcess
) -> None:
    await say(api, user, "/start")
    welcome = dict(api.last_with_buttons(user))  # a copy: the screen as it was
    await press(api, user, welcome, "start.btn_no_danger")
    menu_text = api.screen(user)[-1]["text"]

    # a button from the welcome, after the screen moved on
    calls = await press(api, user, welcome, "start.btn_not_sure")
    assert calls[0].method == "answerCallbackQuery"
    texts = sent_texts(calls)
    expect(texts[0], "bot.stale_button")
    assert texts[-1] == menu_text  # and where they are now

    for data in ("v0|4f9d45.0", "never-ours", "v1c|no_such_contact", "v1|"):
        since = len(api.calls)
        await api.press(user, api.screen(user)[-1], data)
        calls = await api.handled(user, since)
        assert calls[0].method == "answerCallbackQuery"
        expect(calls[0].params.get("text", ""), "lock.stale")
        expect(sent_texts(calls)[0], "bot.stale_button")
        assert sent_texts(calls)[-1] == menu_text
    assert "handler_failed" not in bot.stderr()


async def test_double_tap_is_not_an_error(user: int, api: FakeBotApi, bot: BotProcess) -> None:
    await say(api, user, "/start")
    welcome = api.last_with_buttons(user)
    await press(api, user, welcome, "start.btn_no_danger")
    await press(api, user, api.screen(user)[-1], "menu.advice")
    await press(api, user, api.screen(user)[-1], "menu.unwanted_calls")
    advice = api.screen(user)[-1]
    await press(api, user, advice, "btn.menu")
    calls = await press(api, user, advice, "btn.menu")  # the same tap again, on the same screen
    edits = [c for c in calls if c.method == "editMessageText"]
    assert edits and not [c for c in calls if c.method == "sendMessage"]  # "not modified": fine
    assert api.screen(user)[-1]["message_id"] == advice["message_id"]
    assert "handler_failed" not in bot.stderr()
    assert "went wrong" not in " ".join(m.get("text", "") for m in api.screen(user))


async def test_photo_is_fetched_and_handed_to_the_engine(
    user: int, api: FakeBotApi, bot: BotProcess
) -> None:
    await say(api, user, "/start")
    await press(api, user, api.last_with_buttons(user), "start.btn_no_danger")
    since = len(api.calls)
    photo = b"\xff\xd8\xff\xe0 a small jpeg" + bytes(range(256)) * 40
    await api.send_photo(user, photo, caption="the car outside")
    calls = await api.handled(user, since)
    methods = [c.method for c in calls]
    assert methods[:2] == ["getFile", "download"]
    assert "sendMessage" in methods  # the engine answered (the journal decides what to keep)
    assert calls[0].params["file_id"] == api.calls_of("getFile")[-1].params["file_id"]


async def test_logs_hold_no_text_no_token_no_user_id(
    user: int, own_api: FakeBotApi, own_bot: BotProcess
) -> None:
    api, bot = own_api, own_bot  # this test stops the bot or reads its whole log
    secret_words = "Zebrafinch Marmalade 07700900123"
    await say(api, user, "/start")
    await say(api, user, secret_words)
    await press(api, user, api.last_with_buttons(user), "btn.menu")
    await say(api, user, "/clear")
    await bot.stop()
    log = bot.stderr()
    entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    updates = [e for e in entries if e["event"] == "update"]
    assert len(updates) >= 4
    hashes = {e["user"] for e in updates}
    assert len(hashes) == 1 and str(user) not in next(iter(hashes))
    for forbidden in ("Zebrafinch", "Marmalade", "07700900123", api.token, str(user), "Sam"):
        assert forbidden not in log


async def test_token_missing_or_malformed_is_one_clear_line(
    user: int, api: FakeBotApi, tmp_path: Path
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
