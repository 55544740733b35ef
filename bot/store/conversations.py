"""Conversation state: each user's place, sealed, one row per user.

Saves use group commit: the saves waiting at one moment go into one transaction, and each caller
returns only after that transaction committed. Under load many users share one commit; a single
user still waits for a real commit, so a restart resumes exactly where the reply left them.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from bot.store.crypto import Cipher, user_ref
from bot.store.db import Database
from bot.store.writer import BackgroundWriter, settle

MAX_BATCH = 500
MAX_CACHED_REFS = 50_000


class ConversationStore:
    def __init__(self, db: Database, cipher: Cipher, ref_key: bytes) -> None:
        self.db = db
        self.cipher = cipher
        self._ref_key = ref_key
        self._refs: dict[str, str] = {}  # channel id -> pseudonym, so the HMAC runs once a user
        self._pending: dict[str, tuple[bytes, list[asyncio.Future[None]]]] = {}
        self._writer = BackgroundWriter(
            self._write_pending, lambda: bool(self._pending), "conversation state"
        )

    def user_ref(self, user_id: str) -> str:
        ref = self._refs.get(user_id)
        if ref is None:
            if len(self._refs) >= MAX_CACHED_REFS:
                self._refs.clear()
            ref = self._refs[user_id] = user_ref(self._ref_key, user_id)
        return ref

    async def load_place(self, ref: str) -> dict[str, Any] | None:
        pending = self._pending.get(ref)
        sealed = pending[0] if pending else None
        if sealed is None:
            row = await self.db.fetchone(
                "SELECT state FROM conversations WHERE user_ref = ?", (ref,)
            )
            sealed = row[0] if row else None
        if sealed is None:
            return None
        place: dict[str, Any] = json.loads(
            self.cipher.open_text(sealed, f"conversation:{ref}".encode())
        )
        return place

    async def save_place(self, ref: str, place: dict[str, Any]) -> None:
        """Return once the place is committed."""
        plaintext = json.dumps(place, ensure_ascii=False, separators=(",", ":"))
        sealed = self.cipher.seal_text(plaintext, f"conversation:{ref}".encode())
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        previous = self._pending.get(ref)
        waiters = previous[1] if previous else []
        waiters.append(future)
        self._pending[ref] = (sealed, waiters)
        self._writer.kick()
        await future

    async def delete_place(self, ref: str) -> None:
        self._pending.pop(ref, None)
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM conversations WHERE user_ref = ?", (ref,))

    async def _write_pending(self) -> None:
        while self._pending:
            refs = list(self._pending)[:MAX_BATCH]
            batch = [(ref, *self._pending.pop(ref)) for ref in refs]
            now = int(time.time())
            try:
                async with self.db.transaction() as conn:
                    await conn.executemany(
                        "INSERT INTO conversations (user_ref, state, updated_at) VALUES (?, ?, ?) "
                        "ON CONFLICT(user_ref) DO UPDATE SET state = excluded.state, "
                        "updated_at = excluded.updated_at",
                        [(ref, sealed, now) for ref, sealed, _ in batch],
                    )
            except Exception as exc:  # noqa: BLE001 - every waiter must hear of it
                settle((w for _, _, waiters in batch for w in waiters), exc)
                continue
            settle(w for _, _, waiters in batch for w in waiters)

    async def close(self) -> None:
        """Commit the saves callers are waiting for, then stop the writer."""
        await self._writer.close()
