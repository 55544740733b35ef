"""The journal lock through Telegram (python-telegram-bot against the fake Bot API): every
message that held the PIN is deleted from the chat at once, the list stays closed until the PIN
is typed, and /clear closes the journal again."""

from __future__ import annotations

from tests.fake_bot_api import FakeBotApi
from tests.telegram_harness import BotProcess, press, said, say, sent_texts

USER = 5550701
PIN = "604519"
SECRET = "the blue van parked by the school"


def on_screen(api: FakeBotApi) -> list[str]:
    return [m.get("text", "") for m in api.screen(USER)]


async def test_a_pin_walk_deletes_every_pin_message(api: FakeBotApi, bot: BotProcess) -> None:
    await say(api, USER, f"/log {SECRET}")
    await say(api, USER, "/lock")
    texts = sent_texts(await press(api, USER, api.last_with_buttons(USER), "lock.btn_set"))
    assert any(said(t, "lock.ask_new") for t in texts)

    for expected in ("lock.ask_again", "lock.pin_set"):
        calls = await say(api, USER, PIN)
        deletions = [c for c in calls if c.method == "deleteMessage"]
        assert len(deletions) == 1
        assert any(said(t, expected) for t in sent_texts(calls))
        assert PIN not in on_screen(api)  # the user's message with it is gone

    await press(api, USER, api.last_with_buttons(USER), "lock.btn_lock_now")
    texts = sent_texts(await say(api, USER, "/incidents"))
    assert any(said(t, "lock.ask_pin") for t in texts)
    assert not any("1." in t or SECRET in t for t in texts)

    calls = await say(api, USER, "000000")  # wrong: deleted all the same
    assert [c for c in calls if c.method == "deleteMessage"]
    assert any(said(t, "lock.wrong") for t in sent_texts(calls))
    calls = await say(api, USER, PIN)
    assert [c for c in calls if c.method == "deleteMessage"]
    assert not any(PIN in t or "000000" in t for t in on_screen(api))
    listing = sent_texts(calls)
    assert any(said(t, "lock.opened") for t in listing) and any("1." in t for t in listing)

    await say(api, USER, "/clear")  # the quick exit closes the journal too
    texts = sent_texts(await say(api, USER, "/incidents 1"))
    assert any(said(t, "lock.ask_pin") for t in texts)
    assert not any(SECRET in t for t in texts)
    assert (
        PIN not in bot.stderr() and "update" in bot.stderr()
    )  # nor in the bot's logs (debug level here)
