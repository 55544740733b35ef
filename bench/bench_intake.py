"""What keeping every update in the inbox costs (bot/channels/telegram/intake.py).

Each update the bot accepts is sealed and committed before Telegram is told it arrived, and
removed once handled. Measured in the same run, on the same kind of SQLite file (WAL,
synchronous=FULL):

- polling: batches of 100 updates as getUpdates delivers them; each batch is queued with
  `add_nowait` and committed once (the flush before the next getUpdates), then removed;
- webhook: 50 requests at once, each waiting for its own commit (group-committed);
- baseline: plain aiosqlite inserts of the same JSON, unsealed, one transaction per batch of
  100, then deletes: what any durable intake would pay at the least.

Not a test: run `python bench/bench_intake.py [--updates N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

from telegram import Update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import open_app  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store.db import PRAGMAS  # noqa: E402
from bot.store.inbox import Inbox  # noqa: E402

BATCH = 100
WEBHOOK_CONNECTIONS = 50


def sample_update(update_id: int) -> Update:
    raw = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": 10_000 + update_id % 500, "type": "private", "first_name": "Sam"},
            "from": {"id": 10_000 + update_id % 500, "is_bot": False, "first_name": "Sam"},
            "text": "He was waiting outside the station again at 6pm, in the grey van.",
        },
    }
    return Update.de_json(raw, None)


async def polling(inbox: Inbox, updates: list[Update]) -> float:
    started = time.perf_counter()
    for start in range(0, len(updates), BATCH):
        batch = updates[start : start + BATCH]
        for update in batch:
            inbox.add_nowait(update.update_id, update.to_json().encode())
        await inbox.flush()  # what UpdatesRequest does before the next getUpdates
        for update in batch:
            inbox.remove(update.update_id)  # handled
    await inbox.flush()
    return time.perf_counter() - started


async def webhook(inbox: Inbox, updates: list[Update]) -> float:
    queue = list(updates)

    async def connection() -> None:
        while queue:
            update = queue.pop()
            await inbox.add(update.update_id, update.to_json().encode())  # then the 200
            inbox.remove(update.update_id)

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(WEBHOOK_CONNECTIONS)))
    await inbox.flush()
    return time.perf_counter() - started


async def plain(path: Path, updates: list[Update]) -> float:
    import aiosqlite

    async with aiosqlite.connect(path, isolation_level=None) as conn:
        for pragma in PRAGMAS:
            await conn.execute(pragma)
        await conn.execute("CREATE TABLE plain (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        started = time.perf_counter()
        for start in range(0, len(updates), BATCH):
            batch = updates[start : start + BATCH]
            await conn.execute("BEGIN IMMEDIATE")
            await conn.executemany(
                "INSERT INTO plain (id, body) VALUES (?, ?)",
                [(u.update_id, u.to_json().encode()) for u in batch],
            )
            await conn.execute("COMMIT")
            await conn.execute("BEGIN IMMEDIATE")
            await conn.executemany(
                "DELETE FROM plain WHERE id = ?", [(u.update_id,) for u in batch]
            )
            await conn.execute("COMMIT")
        return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=5000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    n = args.updates
    print(f"{dt.datetime.now():%Y-%m-%d %H:%M}  {n} updates, median of 3 runs each")
    try:
        app = await open_app(Settings(data_dir=tmp / "data"))
        results: dict[str, list[float]] = {"polling": [], "webhook": [], "plain": []}
        try:
            for run in range(3):
                base = (run + 1) * 10 * n
                inbox = Inbox(app.db, app.cipher)
                updates = [sample_update(base + i) for i in range(n)]
                results["polling"].append(await polling(inbox, updates))
                updates = [sample_update(base + n + i) for i in range(n)]
                results["webhook"].append(await webhook(inbox, updates))
                await inbox.close()
                assert await inbox.count() == 0
                updates = [sample_update(base + i) for i in range(n)]
                results["plain"].append(await plain(tmp / f"plain-{run}.db", updates))
        finally:
            await app.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    per = {k: sorted(v)[1] / n * 1e6 for k, v in results.items()}
    for name, label in (
        ("plain", "plain aiosqlite (baseline)"),
        ("polling", "inbox, polling batches"),
        ("webhook", "inbox, webhook (own commit)"),
    ):
        print(f"  {label:<28} {per[name]:7.1f} us/update  {1e6 / per[name]:8.0f} updates/s")
    print(
        f"inbox / plain: {per['polling'] / per['plain']:.2f}x polling, "
        f"{per['webhook'] / per['plain']:.2f}x webhook"
    )


if __name__ == "__main__":
    asyncio.run(main())
