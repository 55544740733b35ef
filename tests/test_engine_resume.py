"""A restart resumes every conversation exactly where it was, drafts included."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import open_app
from bot.settings import Settings
from bot.store.crypto import KeyProblem
from tests.chat_client import ChatClient
from tests.clock import Clock, at_every_instant, yesterday_9pm
from tests.conftest import mini_registry


@at_every_instant
async def test_second_engine_continues_each_user(mini_settings: Settings, clock: Clock) -> None:
    saved: list[dict] = []
    first = await open_app(mini_settings, mini_registry(saved))
    first.engine.clock = clock
    alice, bob = ChatClient(first.engine, "t:alice"), ChatClient(first.engine, "t:bob")
    await alice.send("/menu")
    await alice.click("Survey")
    await alice.send("yesterday 9pm")
    await bob.send("/menu")
    await bob.click("Advice")
    await bob.click("More")
    await first.close()

    second = await open_app(mini_settings, mini_registry(saved))
    second.engine.clock = clock
    try:
        alice, bob = ChatClient(second.engine, "t:alice"), ChatClient(second.engine, "t:bob")
        await alice.send("07700 900123")  # the answer to the question she was on
        assert "What kind was it?" in alice.text
        await alice.click("A call")
        await alice.click("Yes")
        assert saved[0]["when"] == yesterday_9pm(clock.now)  # the draft survived
        assert saved[0]["phone"] == "+447700900123"
        await bob.send("/back")  # his history came back too
        assert "First advice screen." in bob.text
    finally:
        await second.close()


async def test_many_users_at_once_all_resume(mini_settings: Settings) -> None:
    app = await open_app(mini_settings, mini_registry([]))
    users = [ChatClient(app.engine, f"t:{n}") for n in range(200)]
    await asyncio.gather(*(u.send("/menu") for u in users))
    await asyncio.gather(*(u.click("Advice") for u in users[::2]))
    await app.close()
    app = await open_app(mini_settings, mini_registry([]))
    try:
        for n in range(200):
            place = await app.engine.place_of(f"t:{n}")
            assert (place.flow, place.step) == (
                ("advice", "first") if n % 2 == 0 else ("menu", "choose")
            )
    finally:
        await app.close()


async def test_nothing_typed_is_in_the_database_file(mini_settings: Settings) -> None:
    app = await open_app(mini_settings, mini_registry([]))
    chat = ChatClient(app.engine, "telegram:123456789")
    await chat.send("/menu")
    await chat.click("Survey")
    await chat.send("yesterday 9pm")
    await chat.send("07700 900123")
    await app.close()
    raw = b"".join(p.read_bytes() for p in mini_settings.data_dir.glob("safety-bot.db*"))
    for secret in (b"07700", b"+447700900123", b"123456789", b"survey", b"ask_kind"):
        assert secret not in raw


async def test_wrong_key_refuses_and_missing_key_refuses(
    mini_settings: Settings, tmp_path: Path
) -> None:
    app = await open_app(mini_settings, mini_registry([]))
    await ChatClient(app.engine).send("/menu")
    await app.close()
    key_file = mini_settings.data_dir / "secret.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    original = key_file.read_bytes()
    key_file.unlink()
    with pytest.raises(KeyProblem, match="cannot be read without it"):
        await open_app(mini_settings, mini_registry([]))
    assert not key_file.exists()  # never a new key over old data
    mini_settings.key = "A" * 43
    with pytest.raises(KeyProblem, match="does not open the database"):
        await open_app(mini_settings, mini_registry([]))
    mini_settings.key = None
    key_file.write_bytes(original)
    app = await open_app(mini_settings, mini_registry([]))
    await app.close()


async def test_place_cache_is_bounded_and_evicted_users_resume(mini_settings: Settings) -> None:
    app = await open_app(mini_settings, mini_registry([]))
    try:
        app.engine._max_places = 50
        users = [ChatClient(app.engine, f"b:{n}") for n in range(200)]
        for user in users:
            await user.send("/menu")
            await user.click("Advice")
        assert len(app.engine._places) <= 50
        await users[0].send("More")  # long evicted from memory: read back from the store
        assert "Second advice screen." in users[0].text
    finally:
        await app.close()
