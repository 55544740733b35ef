"""A flood from one user against a second user's reply time: the real bot process, as deployed.

The bot runs as in production (`python -m bot run --api-root ...`, long polling, the rate limiter
on) against `tests/fake_bot_api.py` on 127.0.0.1. The second user sends `/start` SAMPLES times,
one after another, each timed from the update being available to the bot's first message to
that chat:

- baseline: with nothing else going on;
- flood: while the first user's FLOOD updates (`/log ...`, each a sealed journal write) are
  queued and being answered.

Prints p50 and max for each, the ratio of the p50s (target: at most 2), and how long the whole
flood took to be answered (and, for `/log`, that every note was saved once, in order). The
no-flood samples are taken before and after the flood, as the machine's load drifts.
Telegram lets a bot send about 30 messages a second, so 3,000 answers take 100 s or more.
Before per-user order came ahead of the concurrency limit, the second user waited 10.6 s behind
3,048 queued updates (issue 13). Not a test: run `python bench/bench_flood.py [--flood N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_bot_api import Call, FakeBotApi  # noqa: E402
from tests.telegram_harness import BotProcess, fake_token, project_env  # noqa: E402

FLOODER = 9_100_001
OTHER = 9_100_002
SAMPLES = 15


class TimedApi(FakeBotApi):
    """The fake Bot API, noting when the bot last sent something to each chat."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.sent_at: dict[int, float] = {}
        self.answered = 0

    async def _m_sendMessage(self, call: Call) -> object:
        chat = call.chat_id
        if chat is not None:
            self.sent_at[chat] = time.perf_counter()
            if chat == FLOODER:
                self.answered += 1
        return await super()._m_sendMessage(call)


async def reply_time(api: TimedApi, user: int) -> float:
    since = len(api.calls)
    await api.send_text(user, "/start")
    pushed = time.perf_counter()
    await api.wait_for(
        lambda: any(c.chat_id == user for c in api.calls[since:]), within=120, what="a reply"
    )
    return api.sent_at[user] - pushed


async def samples(api: TimedApi, user: int, count: int) -> list[float]:
    times = []
    for _ in range(count):
        times.append(await reply_time(api, user))
        await asyncio.sleep(0.2)  # a person reading, then tapping again
    return times


def line(name: str, times: list[float]) -> str:
    return (
        f"  {name:<9} p50 {statistics.median(times) * 1000:7.1f} ms   "
        f"max {max(times) * 1000:7.1f} ms   ({len(times)} replies; "
        f"machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=3000)
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument(
        "--text", default="/log flood note {n}", help="what the first user sends, {n} numbered"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-flood-"))
    api = await TimedApi(fake_token()).start()
    bot = BotProcess(api, tmp / "data", api.token, env=project_env(tmp))
    print(f"{dt.datetime.now():%Y-%m-%d %H:%M}  a second user's /start, with and without a flood")
    try:
        await bot.start()
        await samples(api, OTHER, 3)  # warm-up: first-run costs are not the baseline's
        baseline = await samples(api, OTHER, args.samples)
        flood_started = time.perf_counter()
        for n in range(args.flood):
            await api.send_text(FLOODER, args.text.format(n=n))
        await api.wait_for(lambda: api.answered > 0, within=60, what="the flood to be answered")
        flooded = await samples(api, OTHER, args.samples)
        answered_then = api.answered
        print(line("during", flooded))
        print("  flood samples (ms): " + " ".join(f"{t * 1000:.0f}" for t in flooded))
        print(f"  the first user had {answered_then} of {args.flood} answered by the last sample")
        await api.wait_for(lambda: api.answered >= args.flood, within=args.flood, what="the flood")
        took = time.perf_counter() - flood_started
        texts = [c.params["text"] for c in api.calls_of("sendMessage", FLOODER)]
        numbers = [int(m.group(1)) for t in texts if (m := re.search(r"incident (\d+)", t))]
        order = ""
        if numbers:
            in_order = numbers == sorted(numbers) and len(set(numbers)) == args.flood
            order = ", saved in order" if in_order else ", OUT OF ORDER or lost"
        print(
            f"  flood     {args.flood} updates answered in {took:.1f} s "
            f"({args.flood / took:.1f}/s){order}"
        )
        # no flood, before and after it: the machine's load drifts over minutes
        baseline += await samples(api, OTHER, args.samples)
        print(line("no flood", baseline))
        print(
            f"  ratio     {statistics.median(flooded) / statistics.median(baseline):.2f}x p50 "
            f"(target: at most 2x), {max(flooded) / max(baseline):.2f}x max"
        )
    finally:
        await bot.stop()
        await api.stop()


if __name__ == "__main__":
    asyncio.run(main())
