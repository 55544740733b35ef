"""Storage faults: a locked database and a full disk get a calm answer, lose nothing, and heal."""

from __future__ import annotations

import asyncio
import sys

import pytest

from bot.app import open_app
from bot.engine.engine import Engine
from bot.engine.events import Event
from bot.settings import Settings
from tests.chat_client import ChatClient
from tests.clock import INSTANTS, Clock, yesterday_9pm
from tests.conftest import mini_registry

HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


async def where(engine: Engine, user: str) -> tuple[str | None, str | None]:
    place = await engine.place_of(user)
    return place.flow, place.step


# the lock is the point here, so one instant (summer: the date is checked exactly all the same)
@pytest.mark.parametrize("clock", [INSTANTS["summer"]], ids=["summer"], indirect=True)
async def test_database_locked_by_another_process(mini_settings: Settings, clock: Clock) -> None:
    mini_settings.busy_timeout_ms = 200
    app = await open_app(mini_settings, mini_registry([]))
    app.engine.clock = clock
    try:
        chat = ChatClient(app.engine)
        await chat.send("/menu")
        await chat.click("Survey")
        await chat.send("yesterday 9pm")
        assert await where(app.engine, chat.user_id) == ("survey", "ask_phone")
        locker = await asyncio.create_subprocess_exec(
            sys.executable, "-c", HOLD_LOCK, str(app.db.path), "3", stdout=asyncio.subprocess.PIPE
        )
        assert locker.stdout is not None and (await locker.stdout.readline()).strip() == b"locked"
        await chat.send("07700 900123")
        assert "couldn't save that" in chat.text
        assert "What kind was it?" not in chat.text  # the step did not happen...
        assert await where(app.engine, chat.user_id) == ("survey", "ask_phone")  # ...nor move
        # danger words are still answered first, even while the store is down
        await chat.send("he is outside my house")
        assert chat.replies[0].text.startswith("Call 999")
        await asyncio.wait_for(locker.wait(), timeout=30)
        await chat.send("07700 900123")  # the fault cleared: the same answer now goes through
        assert "What kind was it?" in chat.text
        place = await app.engine.place_of(chat.user_id)
        assert place.slots["survey"]["when"]["v"] == yesterday_9pm(clock.now)  # the draft was kept
    finally:
        await app.close()


async def test_disk_full_then_space_again(mini_settings: Settings) -> None:
    app = await open_app(mini_settings, mini_registry([]))
    try:
        row = await app.db.fetchone("PRAGMA page_count")
        await app.db.conn.execute(f"PRAGMA max_page_count = {row[0]}")  # the file may not grow
        failures = 0
        for n in range(300):  # new users need new pages; sooner or later the "disk" is full
            replies = await app.engine.handle(f"t:{n}", Event.from_text("/menu"))
            if any("couldn't save that" in r.text for r in replies):
                failures += 1
                assert await where(app.engine, f"t:{n}") == (None, None)  # nothing half-saved
        assert failures > 0
        await app.db.conn.execute("PRAGMA max_page_count = 1073741823")
        replies = await app.engine.handle("t:after", Event.from_text("/menu"))
        assert "What would help?" in replies[0].text
        assert await app.db.integrity_check() == "ok"
    finally:
        await app.close()
    app = await open_app(mini_settings, mini_registry([]))
    try:
        assert await where(app.engine, "t:after") == ("menu", "choose")
    finally:
        await app.close()
