"""Message ids of each chat, with who sent each and when, so `/clear` and auto-tidy can remove them.

Telegram lets a bot delete both sides' messages of a private chat for 48 hours only. Older than
that, the bot can still *edit* its own messages (`/clear` blanks them to a dot), and it must
know the person's older messages exist to say honestly that they are still there. So ids are
kept past 48 hours (an earlier version purged them at 48 h, and `/clear` then claimed a clean
chat) until `/clear`, auto-tidy or `delete_my_data` forgets them. A row is three numbers under a
keyed hash of the chat (the same per-deployment key as user pseudonyms): the table alone does not
say who talked to the bot, and it holds nothing anyone wrote.

Writes are buffered and committed by one background writer, without the caller waiting: noting
an id must not slow a reply down. A crash can lose the ids of the last few milliseconds; those
messages then stay in the chat after `/clear`. `entries` flushes first, so a `/clear` sees every
id noted before it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.store.db import Database
from bot.store.writer import BackgroundWriter

DELETABLE_SECONDS = 48 * 3600  # Telegram: a message can be deleted for 48 hours after sending
KEEP_SECONDS = DELETABLE_SECONDS  # kept for older callers' imports


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: int
    sent_at: int  # unix seconds, on the channel's clock
    by_bot: bool


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
        self._pending: list[tuple[str, int, int, int]] = []
        self._writer = BackgroundWriter(
            self._write_pending, lambda: bool(self._pending), "message ids"
        )

    def ref(self, chat_id: int) -> str:
        return self._chat_ref(f"chat:{int(chat_id)}")

    def note(
        self,
        chat_id: int,
        message_ids: Iterable[int],
        sent_at: float | None = None,
        *,
        by_bot: bool = True,
    ) -> None:
        """Remember message ids of a chat (committed shortly after, in the background)."""
        when = int(sent_at if sent_at is not None else self._clock())
        ref = self.ref(chat_id)
        added = [(ref, int(mid), when, int(by_bot)) for mid in message_ids]
        if not added:
            return
        self._pending.extend(added)
        self._writer.kick()

    async def flush(self) -> None:
        """Wait until every id noted so far is committed."""
        await self._writer.flush()

    async def entries(self, chat_id: int) -> list[Sent]:
        """Every message of the chat still remembered, oldest first."""
        await self.flush()
        rows = await self.db.fetchall(
            "SELECT message_id, sent_at, by_bot FROM chat_messages WHERE chat_ref = ? "
            "ORDER BY message_id",
            (self.ref(chat_id),),
        )
        return [Sent(int(mid), int(at), bool(bot)) for mid, at, bot in rows]

    async def ids_of(self, chat_id: int) -> list[int]:
        """The chat's message ids Telegram still lets the bot delete (younger than 48 h)."""
        cutoff = int(self._clock()) - DELETABLE_SECONDS
        return [e.message_id for e in await self.entries(chat_id) if e.sent_at > cutoff]

    async def forget(self, chat_id: int, message_ids: Iterable[int] | None = None) -> None:
        """Drop ids once their messages are dealt with (all of the chat's when None)."""
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

    async def _write_pending(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            async with self.db.transaction() as conn:
                await conn.executemany(
                    "INSERT OR IGNORE INTO chat_messages (chat_ref, message_id, sent_at, by_bot) "
                    "VALUES (?, ?, ?, ?)",
                    batch,
                )

    async def close(self) -> None:
        await self._writer.close()
