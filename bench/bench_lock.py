"""Journal lock: what opening the journal with a PIN costs, beside opening it without one.

"Ours" is the turn that takes a PIN at the prompt and shows the list asked for: one scrypt
derivation (n = 2**15, r = 8, p = 1, in a thread), the lock record read and unsealed, then the
same `/incidents` list. The baseline, in the same run on the same database, is `/incidents` for
a user with no PIN. Both through the real engine and store. Rounds alternate ours/baseline and
the median is shown; the figure is per turn, and the ratio is the price of the slow hash that
makes every guess cost something. Not a test: run `python bench/bench_lock.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import open_app  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.chat_client import ChatClient  # noqa: E402

PIN = "482916"


async def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = await open_app(Settings(data_dir=Path(tmp) / "data"))
        try:
            locked = ChatClient(app.engine, "bench:locked")
            plain = ChatClient(app.engine, "bench:plain")
            for chat in (locked, plain):
                for n in range(5):
                    await chat.send(f"/log entry {n}: he was outside the station again")
            await locked.send("/lock")
            await locked.click("Set a PIN")
            await locked.send(PIN)
            await locked.send(PIN)
            ours, baseline = [], []
            for _ in range(rounds):
                await locked.send("/lock")
                await locked.click("Lock now")
                await locked.send("/incidents")
                start = time.perf_counter()
                await locked.send(PIN)
                ours.append(time.perf_counter() - start)
                assert "1." in locked.text, locked.text
                start = time.perf_counter()
                await plain.send("/incidents")
                baseline.append(time.perf_counter() - start)
                assert "1." in plain.text
        finally:
            await app.close()
    o, b = statistics.median(ours) * 1000, statistics.median(baseline) * 1000
    print(f"open the journal with a PIN:   {o:8.1f} ms per turn (median of {rounds})")
    print(f"baseline, no PIN (/incidents): {b:8.1f} ms per turn")
    print(f"ratio: {o / b:.0f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    asyncio.run(main(parser.parse_args().rounds))
