"""Resident memory with 10,000 users mid-conversation, beside the idle process.

Each user walks into an advice flow and stops on a screen, so the engine holds a place for each
(its cache is bounded at 10,000 places by default). Prints RSS idle, after, and the growth.
Target: under 100 MB above the idle process. Run: `python bench/bench_memory.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import resource
import tempfile
from pathlib import Path

from bot.app import open_app
from bot.engine.events import Event
from bot.settings import Settings

GLOBALS = ("!e", "!b", "!m", "!s")


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=10_000)
    args = parser.parse_args()
    app = await open_app(
        Settings.from_env(data_dir=str(Path(tempfile.mkdtemp(prefix="bench-mem-"))))
    )
    # warm up: one user through every kind of screen, so code paths and caches are loaded
    await app.engine.handle("warm", Event.from_text("/menu"))
    gc.collect()
    idle = rss_mb()

    async def user(n: int) -> None:
        rng = random.Random(n)
        replies = await app.engine.handle(f"m:{n}", Event.from_text("/menu"))
        for _ in range(3):
            choices = [b.data for r in replies for b in r.buttons if b.data not in GLOBALS]
            if not choices:
                break
            replies = await app.engine.handle(f"m:{n}", Event.button(rng.choice(choices)))
        await app.engine.handle(f"m:{n}", Event.from_text("a few words typed by the user " * 4))

    sem = asyncio.Semaphore(500)

    async def bounded(n: int) -> None:
        async with sem:
            await user(n)

    await asyncio.gather(*(bounded(n) for n in range(args.users)))
    gc.collect()
    after = rss_mb()
    print(f"users mid-conversation: {args.users}")
    print(
        f"RSS idle {idle:.1f} MB, after {after:.1f} MB, growth {after - idle:.1f} MB (target < 100 MB)"
    )
    print(f"places cached: {len(app.engine._places)} (bound {app.engine._max_places})")
    await app.close()


if __name__ == "__main__":
    asyncio.run(main())
