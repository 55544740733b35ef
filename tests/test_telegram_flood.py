"""One person's flood does not stall anyone else, and loses nothing: the real bot process over
the fake Bot API. (The figures are in bench/bench_flood.py, not here: tests assert behaviour.)"""

from __future__ import annotations

import sqlite3

from tests.fake_bot_api import FakeBotApi
from tests.telegram_harness import BotProcess

FLOODER = 5551001
OTHER = 5551002
FLOOD = 120  # more than a user may hold in memory (processor.QUEUED_PER_USER): most are parked


async def test_a_flood_is_answered_in_full_and_another_user_is_answered_during_it(
    api: FakeBotApi, bot: BotProcess
) -> None:
    for n in range(FLOOD):
        await api.send_text(FLOODER, f"/log note {n}")
    await api.wait_for(lambda: api.calls_of("sendMessage", FLOODER), what="the flood to start")
    await api.send_text(OTHER, "/start")
    await api.wait_for(lambda: api.calls_of("sendMessage", OTHER), within=30, what="OTHER's reply")
    answered_during = len(api.calls_of("sendMessage", FLOODER))
    assert answered_during < FLOOD  # the second person did not wait for the flood to end

    await api.wait_for(
        lambda: (
            len([c for c in api.calls_of("sendMessage", FLOODER) if "Saved" in c.params["text"]])
            >= FLOOD
        ),
        within=120,
        what="every flooded update answered",
    )
    saved = [
        c.params["text"]
        for c in api.calls_of("sendMessage", FLOODER)
        if "Saved" in c.params["text"]
    ]
    numbers = [int(text.split("incident ")[1].split()[0].strip(".,:")) for text in saved]
    assert numbers == sorted(numbers) and len(set(numbers)) == FLOOD  # each once, in order
    assert "updates_parked" in bot.stderr()  # the flood did overflow into the inbox
    assert "parked_update_missing" not in bot.stderr()
    await bot.stop()
    with sqlite3.connect(bot.data_dir / "safety-bot.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM inbox").fetchone() == (0,)
