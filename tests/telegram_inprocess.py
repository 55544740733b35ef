"""The real Application in the test's own process, polling the fake Bot API over HTTP.

For what runs on a clock the test controls (48-hour windows, auto-tidy): the bot subprocess has
the wall clock, this one has the test's. Same handlers, store, request objects and HTTP stack as
`python -m bot run`; only the rate limiter is left out, and auto-tidy's own timer (the test
calls the tick, `Channel.tidy_due_chats`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from telegram.ext import Application

from bot.channels.telegram.application import ALL_UPDATES, build_application
from bot.channels.telegram.handlers import Channel
from bot.settings import Settings
from tests.fake_bot_api import FakeBotApi
from tests.telegram_harness import project_env


class Clock:
    """Seconds since the epoch, moved only by the test."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def settings_for(tmp: Path) -> Settings:
    settings = Settings(data_dir=tmp / "data")
    flows = project_env(tmp).get("SAFETY_BOT_FLOWS_DIR")
    if flows:
        settings.flows_dir = Path(flows)
    return settings


@asynccontextmanager
async def bot_in_process(
    api: FakeBotApi, tmp: Path, clock: Callable[[], float]
) -> AsyncIterator[tuple[Application, Channel]]:
    settings = settings_for(tmp)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.data_dir.chmod(0o700)
    application, channel = build_application(
        settings, api.token, api.root, rate_limit=False, clock=clock, tidy_every=None
    )
    await application.initialize()
    await application.post_init(application)  # type: ignore[misc]
    await application.updater.start_polling(allowed_updates=ALL_UPDATES, poll_interval=0)  # type: ignore[union-attr]
    await application.start()
    try:
        yield application, channel
    finally:
        await application.updater.stop()  # type: ignore[union-attr]
        await application.stop()
        await application.post_stop(application)  # type: ignore[misc]
        await application.shutdown()
        await application.post_shutdown(application)  # type: ignore[misc]
