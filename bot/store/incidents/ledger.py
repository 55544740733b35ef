"""Writing the journal's hash chain: the keys, each new entry and head, and the one-off upgrade.

`JournalChain` is the only writer of `seq`, `prev` and `mac` on revisions and of
`journal_chains`; `IncidentStore` calls `append` inside its own transaction. The head each user
had at the last commit is remembered per process, which saves one read per save; `verify`
always reads the file.

`draft_key` never holds a channel's ids: an event key ("m:<chat id>:<message id>") is stored as
"h:" + a keyed hash of it (`draft_ref`; migration 6 rewrites older rows, here, on first use,
because it needs the key).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

import aiosqlite

from bot.store.crypto import Cipher
from bot.store.db import Database
from bot.store.incidents.chain import (
    CHAIN_BUILT,
    CHAIN_ROWS_SQL,
    ORPHAN_INCIDENTS_SQL,
    chain_key,
    check_chain,
    entry_mac,
)
from bot.store.incidents.records import Integrity, _dumps, head_context
from bot.store.keys import unlock


class JournalChain:
    """The keys and the per-user hash chains of one journal database."""

    def __init__(self, db: Database, cipher: Cipher) -> None:
        self.db = db
        self.cipher = cipher
        self._ref_key: bytes | None = None
        self._ready_lock = asyncio.Lock()
        # Each user's chain head as last committed by this process: saves one read per save.
        # Only this process writes the journal; `verify` always reads the file.
        self._heads: dict[str, tuple[int, str]] = {}

    async def keys(self) -> tuple[bytes, bytes]:
        """(pseudonym key, chain key); on first use, build the chains of older rows (once)."""
        if self._ref_key is None:
            async with self._ready_lock:
                if self._ref_key is None:
                    ref_key = await unlock(self.db, self.cipher)
                    await self._upgrade(ref_key)
                    self._ref_key = ref_key
        return self._ref_key, chain_key(self._ref_key)

    def draft_ref(self, ref_key: bytes, draft_key: str) -> str:
        """A draft or event key as stored: a keyed hash, so no chat or message id is kept."""
        digest = hmac.new(ref_key, b"draft:" + draft_key.encode(), hashlib.sha256).hexdigest()
        return "h:" + digest[:40]

    def committed(self, user_ref: str, head: tuple[int, str]) -> None:
        """Remember the head `append` returned, once its transaction has committed."""
        self._heads[user_ref] = head

    def forget(self, user_ref: str) -> bool:
        """Drop the remembered head (erased, or moved by another writer); True if there was one."""
        return self._heads.pop(user_ref, None) is not None

    async def _upgrade(self, ref_key: bytes) -> None:
        """Migrations 5 and 6 need the keys: chain older revisions, hash older draft keys."""
        key = chain_key(ref_key)
        async with self.db.transaction() as conn:
            built = list(
                await conn.execute_fetchall(
                    "SELECT 1 FROM journal_chains WHERE user_ref = ?", (CHAIN_BUILT,)
                )
            )
            if not built:
                await self._chain_older_rows(conn, key)
                await conn.execute(
                    "INSERT INTO journal_chains (user_ref, head) VALUES (?, ?)",
                    (CHAIN_BUILT, self.cipher.seal(b"built", head_context(CHAIN_BUILT))),
                )
            old_keys = list(
                await conn.execute_fetchall(
                    "SELECT id, draft_key FROM incidents WHERE draft_key LIKE 'event:%'"
                )
            )
            for incident_id, draft_key in old_keys:
                await conn.execute(
                    "UPDATE incidents SET draft_key = ? WHERE id = ?",
                    (self.draft_ref(ref_key, str(draft_key)[len("event:") :]), incident_id),
                )

    async def _chain_older_rows(self, conn: aiosqlite.Connection, key: bytes) -> None:
        rows = list(
            await conn.execute_fetchall(
                "SELECT r.id, r.user_ref, r.incident_id, i.number, i.recorded_at, r.revision, "
                "r.recorded_at, r.kind, r.body FROM incident_revisions r JOIN incidents i "
                "ON i.id = r.incident_id WHERE r.mac IS NULL "
                "ORDER BY r.user_ref, i.number, r.revision"
            )
        )
        heads: dict[str, tuple[int, str]] = {}
        for row_id, user, incident_id, number, inc_recorded, revision, recorded, kind, body in rows:
            seq, prev = heads.get(user, (0, ""))
            seq += 1
            mac = entry_mac(
                key,
                user,
                seq,
                incident_id,
                number,
                inc_recorded,
                revision,
                recorded,
                kind,
                body,
                prev,
            )
            await conn.execute(
                "UPDATE incident_revisions SET seq = ?, prev = ?, mac = ? WHERE id = ?",
                (seq, prev, mac, row_id),
            )
            heads[user] = (seq, mac)
        for user, (seq, mac) in heads.items():
            await self._write_head(conn, user, seq, mac)

    async def _write_head(
        self, conn: aiosqlite.Connection, user_ref: str, seq: int, mac: str
    ) -> None:
        sealed = self.cipher.seal(_dumps({"seq": seq, "mac": mac}), head_context(user_ref))
        await conn.execute(
            "INSERT INTO journal_chains (user_ref, head) VALUES (?, ?) "
            "ON CONFLICT (user_ref) DO UPDATE SET head = excluded.head",
            (user_ref, sealed),
        )

    async def _head(self, conn: aiosqlite.Connection, user_ref: str) -> tuple[int, str]:
        """The user's newest (seq, mac): remembered, else the sealed head, else the rows."""
        cached = self._heads.get(user_ref)
        if cached:
            return cached
        rows = list(
            await conn.execute_fetchall(
                "SELECT head FROM journal_chains WHERE user_ref = ?", (user_ref,)
            )
        )
        if not rows:
            return 0, ""
        try:
            opened = json.loads(self.cipher.open(bytes(rows[0][0]), head_context(user_ref)))
            return int(opened["seq"]), str(opened["mac"])
        except Exception:  # noqa: BLE001 - a forged head: carry on from the rows; verify says so
            found = list(
                await conn.execute_fetchall(
                    "SELECT seq, mac FROM incident_revisions WHERE user_ref = ? "
                    "AND seq IS NOT NULL ORDER BY seq DESC LIMIT 1",
                    (user_ref,),
                )
            )
            return (int(found[0][0]), str(found[0][1])) if found else (0, "")

    async def append(
        self,
        conn: aiosqlite.Connection,
        key: bytes,
        user_ref: str,
        incident_id: int,
        number: int,
        incident_recorded: str,
        revision: int,
        recorded: str,
        kind: str,
        body: bytes,
    ) -> tuple[int, str]:
        """Insert a revision as the next entry of the user's chain (inside the transaction);
        returns the new head, for the caller to pass to `committed` once it committed."""
        seq, prev = await self._head(conn, user_ref)
        seq += 1
        mac = entry_mac(
            key,
            user_ref,
            seq,
            incident_id,
            number,
            incident_recorded,
            revision,
            recorded,
            kind,
            body,
            prev,
        )
        await conn.execute(
            "INSERT INTO incident_revisions "
            "(incident_id, user_ref, revision, recorded_at, kind, body, seq, prev, mac) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (incident_id, user_ref, revision, recorded, kind, body, seq, prev, mac),
        )
        await self._write_head(conn, user_ref, seq, mac)
        return seq, mac

    async def verify(self, user_ref: str) -> Integrity:
        """Check the user's whole chain against the file: what changed behind the bot's back."""
        _, key = await self.keys()
        rows = await self.db.fetchall(CHAIN_ROWS_SQL, (user_ref,))
        head = await self.db.fetchone(
            "SELECT head FROM journal_chains WHERE user_ref = ?", (user_ref,)
        )
        orphans = await self.db.fetchall(ORPHAN_INCIDENTS_SQL, (user_ref,))
        fingerprint, problems = check_chain(
            key, self.cipher, user_ref, rows, bytes(head[0]) if head else None, orphans
        )
        return Integrity(fingerprint, tuple(problems))
