"""A burst: 1,000 users send at the same moment, through the fake Bot API to the real bot process.

The bot runs as deployed (`python -m bot run --api-root ...`, long polling, the rate limiter on),
against `tests/fake_bot_api.py` on 127.0.0.1. Round 1: every user sends /start at once. Round 2:
every user sends `/log ...` at once. For each user: the time from the update being available to
the first message the bot sends to their chat. Prints answered / sent, lost, p50, p99 and max,
and (round 2) the incidents the bot reported saved.

Telegram lets a bot send about 30 messages a second in total; python-telegram-bot's
`AIORateLimiter` keeps to that, so 1,000 first answers cannot take less than about 33 s. The
figure is the bot as it would behave against Telegram, not its CPU cost (bench_telegram.py).
Not a test: run `python bench/bench_burst.py [--users N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_bot_api import Call, FakeBotApi  # noqa: E402
from tests.telegram_harness import BotProcess, fake_token, project_env  # noqa: E402

FIRST_USER = 8_000_000


class TimedApi(FakeBotApi):
    """The fake Bot API, noting when each chat got its first message after `mark()`."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.first: dict[int, float] = {}

    def mark(self) -> None:
        self.first = {}

    async def _m_sendMessage(self, call: Call) -> object:
        chat = call.chat_id
        if chat is not None and chat not in self.first:
            self.first[chat] = time.perf_counter()
        return await super()._m_sendMessage(call)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def burst(api: TimedApi, users: list[int], text: str, within: float) -> list[float]:
    api.mark()
    sent: dict[int, float] = {}
    for user in users:  # pushed back to back: all in the queue before the bot's next poll ends
        await api.send_text(user, text.format(user=user))
        sent[user] = time.perf_counter()
    try:
        await api.wait_for(lambda: len(api.first) >= len(users), within=within)
    except AssertionError:
        pass  # reported as lost
    return [api.first[u] - sent[u] for u in users if u in api.first]


def report(name: str, users: int, latencies: list[float]) -> None:
    print(
        f"  {name:<8} answered {len(latencies)}/{users}, lost {users - len(latencies)}; "
        f"time to answer p50 {pct(latencies, 0.5):.2f} s, p99 {pct(latencies, 0.99):.2f} s, "
        f"max {max(latencies):.2f} s"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-burst-"))
    api = await TimedApi(fake_token()).start()
    bot = BotProcess(api, tmp / "data", api.token, env=project_env(tmp))
    users = [FIRST_USER + u for u in range(args.users)]
    print(f"{dt.datetime.now():%Y-%m-%d %H:%M}  {args.users} users sending at once")
    try:
        await bot.start()
        start = await burst(api, users, "/start", within=300)
        report("/start", len(users), start)
        saved_before = len(
            [c for c in api.calls_of("sendMessage") if "Saved as" in c.params["text"]]
        )
        logs = await burst(api, users, "/log burst from {user}", within=300)
        report("/log", len(users), logs)
        await asyncio.sleep(2)
        saved = [c for c in api.calls_of("sendMessage") if "Saved as" in c.params["text"]]
        numbers = {
            (c.chat_id, re.search(r"incident (\d+)", c.params["text"]).group(1)) for c in saved
        }  # type: ignore[union-attr]
        print(f"  incidents reported saved: {len(saved) - saved_before} ({len(numbers)} distinct)")
    finally:
        await bot.stop()
        await api.stop()


if __name__ == "__main__":
    asyncio.run(main())
