"""Message ids of each chat, so `/clear` can delete them; kept only 48 hours.

Telegram lets a bot delete both sides' messages of a private chat for 48 hours, so an id older
than that is useless and is purged. Chats are stored under a keyed hash of their id (the same
per-deployment key as user pseudonyms): the table alone does not say who talked to the bot.

Writes are buffered and committed by one background writer, without the caller waiting: noting
an id must not slow a reply down. A crash can lose the ids of the last few milliseconds; those
messages then stay in the chat after `/clear`. `ids_of` flushes first, so a `/clear` sees every id
noted before it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from bot.store.db import Database
from bot.store.writer import BackgroundWriter

KEEP_SECONDS = 48 * 3600
PURGE_EVERY_SECONDS = 600


class MessageLog:
    def __init__(
        self,
        db: Database,
        chat_ref: Callable[[str], str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self._chat_ref = chat_ref
        self._clock = clock
        self._pending: list[tuple[str, int, int]] = []
        self._writer = BackgroundWriter(
            self._write_pending, lambda: bool(self._pending), "message ids"
        )
        self._last_purge = 0.0

    def ref(self, chat_id: int) -> str:
        return self._chat_ref(f"chat:{int(chat_id)}")

    def note(self, chat_id: int, message_ids: Iterable[int], sent_at: float | None = None) -> None:
        """Remember message ids of a chat (committed shortly after, in the background)."""
        when = int(sent_at if sent_at is not None else self._clock())
        ref = self.ref(chat_id)
        added = [(ref, int(mid), when) for mid in message_ids]
        if not added:
            return
        self._pending.extend(added)
        self._writer.kick()

    async def flush(self) -> None:
        """Wait until every id noted so far is committed."""
        await self._writer.flush()

    async def ids_of(self, chat_id: int) -> list[int]:
        """The chat's message ids younger than 48 hours, oldest first."""
        await self.flush()
        cutoff = int(self._clock()) - KEEP_SECONDS
        rows = await self.db.fetchall(
            "SELECT message_id FROM chat_messages WHERE chat_ref = ? AND sent_at >= ? "
            "ORDER BY message_id",
            (self.ref(chat_id), cutoff),
        )
        return [int(row[0]) for row in rows]

    async def forget(self, chat_id: int, message_ids: Iterable[int] | None = None) -> None:
        """Drop ids once their messages are deleted (all of the chat's when `message_ids` is None)."""
        await self.flush()
        ref = self.ref(chat_id)
        async with self.db.transaction() as conn:
            if message_ids is None:
                await conn.execute("DELETE FROM chat_messages WHERE chat_ref = ?", (ref,))
            else:
                await conn.executemany(
                    "DELETE FROM chat_messages WHERE chat_ref = ? AND message_id = ?",
                    [(ref, int(mid)) for mid in message_ids],
                )

    async def purge_expired(self) -> int:
        """Delete ids older than 48 hours; returns how many went."""
        cutoff = int(self._clock()) - KEEP_SECONDS
        async with self.db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM chat_messages WHERE sent_at < ?", (cutoff,))
            removed = cursor.rowcount
        self._last_purge = self._clock()
        return removed

    async def _write_pending(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            async with self.db.transaction() as conn:
                await conn.executemany(
                    "INSERT OR IGNORE INTO chat_messages (chat_ref, message_id, sent_at) "
                    "VALUES (?, ?, ?)",
                    batch,
                )
        if self._clock() - self._last_purge > PURGE_EVERY_SECONDS:
            await self.purge_expired()

    async def close(self) -> None:
        await self._writer.close()
