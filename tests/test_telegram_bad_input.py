"""Hostile and odd updates over the real HTTP stack: a calm answer or deliberate silence, never a
crash, and nothing stored that should not be."""

from __future__ import annotations

import sqlite3

from tests.fake_bot_api import FakeBotApi
from tests.telegram_harness import BotProcess, say, sent_texts

USER = 5550101
MB = 1024 * 1024


async def send(api: FakeBotApi, update: dict) -> list:
    """Push an update; return every call it caused, once a sentinel from USER is answered."""
    since = len(api.calls)
    await api.push(update)
    return await api.handled(USER, since)


async def quiet(api: FakeBotApi, update: dict) -> list:
    """Push an update that should get no answer; return whatever calls it caused anyway.

    Updates with no user are handled outside the per-user order, so a no-user update is followed
    by a sentinel from USER twice over: the whole bot has moved on by the second answer."""
    since = len(api.calls)
    await api.push(update)
    await api.handled(USER, since)
    return await api.handled(USER, since)


async def test_odd_updates_get_a_calm_answer_or_silence(api: FakeBotApi, bot: BotProcess) -> None:
    await say(api, USER, "/start")

    # an edited message: said calmly that edits are not taken
    edited = api.user_message(USER, text="he was here at 9", edit_date=1)
    calls = await send(api, {"edited_message": edited})
    assert "again as a new message" in sent_texts(calls)[0]

    # a sticker, a poll, a contact, a dice: "I can't keep that", then the current screen
    sticker = {
        "file_id": "STK",
        "file_unique_id": "s",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
    poll = {
        "id": "p1",
        "question": "?",
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
    contact = {"phone_number": "+447700900123", "first_name": "Someone"}
    for content in (
        {"sticker": sticker},
        {"poll": poll},
        {"contact": contact},
        {"dice": {"emoji": "🎲", "value": 3}},
    ):
        calls = await send(api, {"message": api.user_message(USER, **content)})
        texts = sent_texts(calls)
        assert texts and "can't keep" in texts[0], content

    # an inline query: answered with no results, nothing else
    inline = {"id": "iq1", "from": api.user(USER), "query": "help", "offset": ""}
    calls = await send(api, {"inline_query": inline})
    assert [c.method for c in calls] == ["answerInlineQuery"]
    assert calls[0].json("results") == []

    # a channel post: said once, then the bot leaves; no user, so nothing stored
    channel = api.chat(-100999, "channel", "News")
    post = {"message_id": 1, "date": 1, "chat": channel, "sender_chat": channel, "text": "post"}
    since = len(api.calls)
    await api.push({"channel_post": post})
    # no user: it is not queued behind USER's updates, so wait for the leaving itself
    await api.wait_for(lambda: api.calls_of("leaveChat", -100999), what="the bot to leave")
    calls = await api.handled(USER, since)
    assert [c.method for c in calls] == ["sendMessage", "leaveChat"]

    # updates with no user at all (a poll's new state, a reaction count): silence
    calls = await quiet(api, {"poll": poll})
    assert calls == []

    # an update the library cannot read (here a poll without a field Bot API 10.0 requires): it
    # is dropped on its own, and the updates after it still arrive
    broken = dict(poll)
    del broken["members_only"]
    calls = await quiet(api, {"message": api.user_message(USER, poll=broken)})
    assert calls == []
    assert "update_unreadable" in bot.stderr()

    # a callback query from an inline message (no chat message): answered, nothing else
    query = {
        "id": "q-inline",
        "from": api.user(USER),
        "chat_instance": "x",
        "inline_message_id": "im1",
        "data": "v1|!m",
    }
    calls = await send(api, {"callback_query": query})
    assert [c.method for c in calls] == ["answerCallbackQuery"]

    # a message of 4,096 characters: handled like any other
    calls = await say(api, USER, "x" * 4096)
    assert sent_texts(calls)

    # a 20 MB photo: a clear message, never fetched
    since = len(api.calls)
    await api.send_photo(USER, b"tiny", size=20 * MB + 1)
    calls = await api.handled(USER, since)
    assert "bigger than 20 MB" in sent_texts(calls)[0]
    assert not [c for c in calls if c.method in ("getFile", "download")]

    # a document Telegram itself refuses to hand over ("file is too big"): the same message
    since = len(api.calls)
    file_id = api._store_file("documents/big.pdf", b"%PDF", size=25 * MB)
    doc = {"file_id": file_id, "file_unique_id": file_id, "file_name": "big.pdf"}  # no size given
    await api.push({"message": api.user_message(USER, document=doc)})
    calls = await api.handled(USER, since)
    assert [c.method for c in calls] == ["getFile", "sendMessage"]
    assert "bigger than 20 MB" in calls[1].params["text"]

    # through all of it: no handler failed, and the bot still answers
    assert "handler_failed" not in bot.stderr()
    assert sent_texts(await say(api, USER, "/menu"))
    await bot.stop()
    # the database and its -wal/-shm, read before anything (even a connection) checkpoints
    files = sorted(bot.data_dir.glob("safety-bot.db*"))
    raw = b"".join(p.read_bytes() for p in files)
    assert bot.data_dir / "safety-bot.db" in files
    for typed in (b"he was here at 9", b"+447700900123", b"Someone"):
        assert typed not in raw
    with sqlite3.connect(bot.data_dir / "safety-bot.db") as conn:
        # one user (ours) has a place; the channel and the no-user updates left nothing
        assert conn.execute("SELECT COUNT(*) FROM conversations").fetchone() == (1,)
