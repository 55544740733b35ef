"""Shared fixtures. Every database is a real SQLite file under tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, open_app
from bot.engine.actions import Registry
from bot.settings import Settings
from tests.chat_client import ChatClient
from tests.clock import DEFAULT, Clock
from tests.fake_bot_api import FakeBotApi
from tests.mini_project import write_mini_project
from tests.telegram_harness import BotProcess, running_api, running_bot


def mini_registry(saved: list[dict]) -> Registry:
    registry = Registry()  # bare: no journal hooks, so the mini flows are all there is

    @registry.action("remember")
    async def remember(turn) -> None:  # noqa: ANN001
        saved.append(dict(turn.slots))

    return registry


@pytest.fixture
def mini_settings(tmp_path: Path) -> Settings:
    flows, content = write_mini_project(tmp_path / "project")
    return Settings(data_dir=tmp_path / "data", flows_dir=flows, content_dir=content)


@pytest.fixture
def saved() -> list[dict]:
    return []


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> Clock:
    """The clock the engine reads: a fixed instant (winter by default; see tests/clock.py).

    Parametrise a date-dependent test over every instant with `@at_every_instant`
    (tests/clock.py).
    """
    return Clock(getattr(request, "param", DEFAULT))


@pytest.fixture
async def mini_app(mini_settings: Settings, saved: list[dict], clock: Clock) -> AsyncIterator[App]:
    app = await open_app(mini_settings, mini_registry(saved))
    app.engine.clock = clock
    yield app
    await app.close()


@pytest.fixture
def chat(mini_app: App) -> ChatClient:
    return ChatClient(mini_app.engine)


@pytest.fixture
def project_settings(tmp_path: Path) -> Settings:
    """The real project's flows and content, with a fresh data dir."""
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    """The fake Bot API on 127.0.0.1 (tests/fake_bot_api.py)."""
    async with running_api() as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """The real bot as a subprocess against `api`, logging at debug."""
    async with running_bot(api, tmp_path) as process:
        yield process
