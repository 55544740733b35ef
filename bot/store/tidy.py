"""Auto-tidy schedules: which chats want tidying after a quiet spell, and when each is next due.

The person chooses "tidy this chat after I stop: 10 minutes / 1 hour / off". Every message in
or out moves the chat's `due_at` to now + that spell; a scheduler asks for what is due and
tidies it. The schedule is in the database, so a restart loses none of it.

To delete messages the channel needs the chat's id at run time, and the file must not name the
chat: the row is keyed by the same keyed hash as `chat_messages`, and the id is kept sealed
(context `tidy:<chat_ref>`, listed in `sealed.py` so rotate-key re-seals it).

Activity is noted in memory (`touch`) and written by the background writer without the reply
waiting; `due` flushes first. The store knows nothing of Telegram: a chat is an integer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.store.crypto import Cipher
from bot.store.db import Database
from bot.store.writer import BackgroundWriter

CHOICES = {"10m": 600, "1h": 3600}  # the spells offered; anything else means off


def tidy_context(chat_ref: str) -> bytes:
    return f"tidy:{chat_ref}".encode()


@dataclass(frozen=True, slots=True)
class Due:
    chat_id: int
    chat_ref: str
    due_at: int


class TidySchedule:
    def __init__(
        self,
        db: Database,
        cipher: Cipher,
        chat_ref: Callable[[str], str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.cipher = cipher
        self._chat_ref = chat_ref
        self._clock = clock
        self._spells: dict[str, int | None] = {}  # chat_ref -> spell, or None: off (cache)
        self._touched: dict[str, int] = {}  # chat_ref -> new due_at, not yet written
        self._writer = BackgroundWriter(self._write, lambda: bool(self._touched), "tidy times")

    def ref(self, chat_id: int) -> str:
        return self._chat_ref(f"chat:{int(chat_id)}")

    async def setting(self, chat_id: int) -> int | None:
        """The chat's quiet spell in seconds, or None when auto-tidy is off."""
        ref = self.ref(chat_id)
        if ref not in self._spells:
            row = await self.db.fetchone(
                "SELECT after_seconds FROM chat_tidy WHERE chat_ref = ?", (ref,)
            )
            self._spells[ref] = int(row[0]) if row else None
        return self._spells[ref]

    async def choose(self, chat_id: int, after_seconds: int | None) -> None:
        """Turn auto-tidy on with this spell (counted from now), or off with None."""
        ref = self.ref(chat_id)
        self._touched.pop(ref, None)
        async with self.db.transaction() as conn:
            if after_seconds is None:
                await conn.execute("DELETE FROM chat_tidy WHERE chat_ref = ?", (ref,))
            else:
                sealed = self.cipher.seal(str(int(chat_id)).encode(), tidy_context(ref))
                await conn.execute(
                    "INSERT OR REPLACE INTO chat_tidy (chat_ref, after_seconds, due_at, chat) "
                    "VALUES (?, ?, ?, ?)",
                    (ref, int(after_seconds), int(self._clock()) + int(after_seconds), sealed),
                )
        self._spells[ref] = after_seconds

    async def touch(self, chat_id: int) -> None:
        """Something happened in the chat: its quiet spell starts again (written shortly)."""
        spell = await self.setting(chat_id)
        if spell is None:
            return
        self._touched[self.ref(chat_id)] = int(self._clock()) + spell
        self._writer.kick()

    async def due(self) -> list[Due]:
        """Chats whose quiet spell has passed, oldest first."""
        await self._writer.flush()
        rows = await self.db.fetchall(
            "SELECT chat_ref, due_at, chat FROM chat_tidy WHERE due_at IS NOT NULL "
            "AND due_at <= ? ORDER BY due_at",
            (int(self._clock()),),
        )
        found = []
        for ref, due_at, sealed in rows:
            chat_id = int(self.cipher.open(sealed, tidy_context(ref)).decode())
            found.append(Due(chat_id, ref, int(due_at)))
        return found

    async def done(self, item: Due) -> None:
        """Tidied: nothing is due until the chat is used again (unless used meanwhile)."""
        await self._writer.flush()
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE chat_tidy SET due_at = NULL WHERE chat_ref = ? AND due_at = ?",
                (item.chat_ref, item.due_at),
            )

    async def _write(self) -> None:
        while self._touched:
            batch, self._touched = self._touched, {}
            async with self.db.transaction() as conn:
                await conn.executemany(
                    "UPDATE chat_tidy SET due_at = ? WHERE chat_ref = ?",
                    [(due, ref) for ref, due in batch.items()],
                )

    async def close(self) -> None:
        await self._writer.close()
