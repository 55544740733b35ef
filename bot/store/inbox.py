"""The inbox: updates a channel has accepted but not yet finished handling, sealed, by id.

A channel that confirms delivery to its platform before it has handled what it received (a
Telegram offset moves on, a webhook answers 200) would lose those updates to a crash. So each one
is committed here first, removed once handled, and whatever is still here at start-up is handled
again. Replaying is safe because the engine knows the keys of events it has handled.

The store knows nothing of the channel: an update is an integer id and opaque bytes, sealed with
the data key under the context `inbox:<id>` (listed in `sealed.py`, so rotate-key re-seals it).

Adds are group-committed: the adds waiting at one moment share a transaction, and each caller
can wait for its commit. Removals are buffered and committed shortly after, without anyone
waiting: a removal lost in a crash only means an update handled twice, which the engine absorbs.
An update replayed `MAX_ATTEMPTS` times without being finished is dropped, so one update that
brings the process down cannot keep it down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from bot.store.crypto import Cipher
from bot.store.db import Database
from bot.store.writer import BackgroundWriter, settle

MAX_ATTEMPTS = 3
MAX_BATCH = 500

log = logging.getLogger(__name__)


def inbox_context(update_id: int) -> bytes:
    return f"inbox:{int(update_id)}".encode()


@dataclass(frozen=True)
class Pending:
    update_id: int
    body: bytes  # the update as the channel gave it, opened
    attempts: int  # how many start-ups have replayed it (this one included, once taken)


class Inbox:
    def __init__(self, db: Database, cipher: Cipher) -> None:
        self.db = db
        self.cipher = cipher
        self._adds: dict[int, tuple[bytes, list[asyncio.Future[None]]]] = {}
        self._removals: set[int] = set()
        self._held: set[int] = set()  # ids committed (or on their way) and not yet removed
        # adds taken off `_adds` into the commit under way: until it ends, a read of the
        # database does not find them, and `get` must wait for them here instead
        self._committing: dict[int, list[asyncio.Future[None]]] = {}
        self._writer = BackgroundWriter(
            self._write_pending, lambda: bool(self._adds or self._removals), "inbox"
        )

    def add_nowait(self, update_id: int, body: bytes) -> asyncio.Future[None]:
        """Queue an update for the next commit; the returned future resolves once it is committed.

        Nobody has to await it: `flush()` waits for every add queued so far.
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        update_id = int(update_id)
        if update_id in self._held and update_id not in self._adds:
            future.set_result(None)  # already kept (a replay Telegram delivers again)
            return future
        sealed = self.cipher.seal(body, inbox_context(update_id))
        previous = self._adds.get(update_id)
        waiters = previous[1] if previous else []
        waiters.append(future)
        self._adds[update_id] = (sealed, waiters)
        self._held.add(update_id)
        self._removals.discard(update_id)
        self._writer.kick()
        return future

    async def add(self, update_id: int, body: bytes) -> None:
        """Keep an update; return once it is committed."""
        await self.add_nowait(update_id, body)

    def remove(self, update_id: int) -> None:
        """The update is handled: forget it (committed shortly after, nobody waits)."""
        update_id = int(update_id)
        if update_id not in self._held:
            return  # never kept here (e.g. handed to the application directly)
        self._held.discard(update_id)
        self._removals.add(update_id)
        self._writer.kick()

    def holds(self, update_id: int) -> bool:
        """Whether this update is kept here (committed, or on its way) and not yet removed."""
        return int(update_id) in self._held

    async def get(self, update_id: int) -> bytes | None:
        """One kept update, opened; None when it is not here. Waits for its commit if pending."""
        update_id = int(update_id)
        if update_id in self._adds:
            await self.flush_adds()
        elif self._committing.get(update_id):
            await asyncio.wait(self._committing[update_id])  # not gather: see flush_adds
        row = await self.db.fetchone("SELECT body FROM inbox WHERE update_id = ?", (update_id,))
        return self.cipher.open(row[0], inbox_context(update_id)) if row else None

    async def flush(self) -> None:
        """Wait until every add and removal so far is committed (or failed, and was logged)."""
        await self._writer.flush()

    async def flush_adds(self) -> None:
        """Wait until every add queued so far is committed (or failed); removals may wait.

        What confirms a batch to Telegram needs only this. `flush()` would also wait for the
        removals a busy user's finished updates keep queueing, a target that moves for as long
        as a flood is being answered, and polling would stall behind it.
        """
        waiters = [w for _, pending in self._adds.values() for w in pending]
        if waiters:
            self._writer.kick()
            await asyncio.wait(waiters)  # not gather: a cancelled caller must not cancel them

    async def take_for_replay(self) -> list[Pending]:
        """What an earlier process left unhandled, oldest first, each counted as one more attempt.

        Updates already replayed `MAX_ATTEMPTS` times are deleted instead (and logged by count).
        """
        await self.flush()
        async with self.db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM inbox WHERE attempts >= ?", (MAX_ATTEMPTS,))
            dropped = cursor.rowcount
            await conn.execute("UPDATE inbox SET attempts = attempts + 1")
        if dropped:
            log.warning("inbox: %d update(s) dropped after %d attempts", dropped, MAX_ATTEMPTS)
        pending = await self.unfinished()
        self._held.update(p.update_id for p in pending)
        return pending

    async def unfinished(self) -> list[Pending]:
        """What is in the inbox now, oldest first, opened; changes nothing."""
        rows = await self.db.fetchall(
            "SELECT update_id, body, attempts FROM inbox ORDER BY update_id"
        )
        return [
            Pending(int(uid), self.cipher.open(sealed, inbox_context(uid)), int(attempts))
            for uid, sealed, attempts in rows
        ]

    def depth(self) -> int:  # kept, not yet finished (not __len__: `if inbox:` must stay true)
        return len(self._held)

    async def count(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM inbox")
        return int(row[0]) if row else 0

    async def _write_pending(self) -> None:
        while self._adds or self._removals:
            ids = list(self._adds)[:MAX_BATCH]
            adds = [(update_id, *self._adds.pop(update_id)) for update_id in ids]
            removals, self._removals = self._removals, set()
            now = int(time.time())
            self._committing = {update_id: waiters for update_id, _, waiters in adds}
            try:
                async with self.db.transaction() as conn:
                    if adds:
                        await conn.executemany(
                            "INSERT OR IGNORE INTO inbox (update_id, body, received_at, attempts)"
                            " VALUES (?, ?, ?, 0)",
                            [(update_id, sealed, now) for update_id, sealed, _ in adds],
                        )
                    if removals:
                        await conn.executemany(
                            "DELETE FROM inbox WHERE update_id = ?", [(i,) for i in removals]
                        )
            except Exception as exc:  # noqa: BLE001 - every waiter must hear of it
                # removals not committed are not retried: the row is replayed once, harmlessly
                settle((w for _, _, waiters in adds for w in waiters), exc)
                raise
            finally:
                self._committing = {}
            settle(w for _, _, waiters in adds for w in waiters)

    async def close(self) -> None:
        """Commit what is queued, then stop the writer."""
        await self._writer.close()
