"""`IncidentStore`: the journal's one door, for the journal feature and the ops commands.

It writes incidents and their append-only revisions (each a new entry of the user's hash chain,
`ledger.py`), keeps evidence files (`files.py`) and reads it all back (`reading.py`). Every
method takes the owner's `user_ref` and checks it on every id: a forged or foreign id is
`NotFound`, exactly like an id that does not exist. Nothing here imports the engine.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import sqlite3
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from bot import metrics
from bot.store.crypto import Cipher
from bot.store.db import Database
from bot.store.incidents.files import EvidenceFiles, link_files
from bot.store.incidents.ledger import JournalChain
from bot.store.incidents.reading import IncidentLoader
from bot.store.incidents.records import (
    FIELDS,
    FILES_DIR_NAME,
    KIND_CORRECTION,
    KIND_ORIGINAL,
    REVISION_KINDS,
    Incident,
    Integrity,
    NotFound,
    Saved,
    StoredFile,
    _dumps,
    _now_iso,
    _random_id,
    revision_context,
)

_T = TypeVar("_T")


class IncidentStore:
    """The repository of incidents. One per database; safe for many users at once."""

    def __init__(self, db: Database, cipher: Cipher, data_dir: Path) -> None:
        self.db = db
        self.cipher = cipher
        self.files_dir = data_dir / FILES_DIR_NAME
        self.chain = JournalChain(db, cipher)
        self.files = EvidenceFiles(db, cipher, self.files_dir)

    def draft_ref(self, ref_key: bytes, draft_key: str) -> str:
        """A draft or event key as stored: a keyed hash, so no chat or message id is kept."""
        return self.chain.draft_ref(ref_key, draft_key)

    async def verify(self, user_ref: str) -> Integrity:
        """Check the user's whole chain against the file: what changed behind the bot's back."""
        return await self.chain.verify(user_ref)

    # ------------------------------------------------------------------ writing

    async def create(self, user_ref: str, fields: Mapping[str, Any], **options: Any) -> Saved:
        """Record a new incident (revision 1) and link waiting files; returns once committed.

        With a `draft_key`, saving the same draft twice returns the first incident unchanged.
        Options: `now` (required), `draft_key`, `file_ids`.
        """
        return await self._with_fresh_head(
            user_ref, lambda: self._create(user_ref, fields, **options)
        )

    async def add_revision(
        self, user_ref: str, incident_id: int, kind: str, body: Mapping[str, Any], **options: Any
    ) -> int:
        """Append a correction, note or police reference; returns its revision number.

        Options: `now` (required), `file_ids`.
        """
        return await self._with_fresh_head(
            user_ref, lambda: self._add_revision(user_ref, incident_id, kind, body, **options)
        )

    async def _with_fresh_head(self, user_ref: str, write: Callable[[], Awaitable[_T]]) -> _T:
        # Another IncidentStore on the same file may have moved the head this one remembers:
        # the unique (user_ref, seq) index refuses the write; read the head and write again.
        try:
            return await write()
        except sqlite3.IntegrityError:
            if not self.chain.forget(user_ref):
                raise
            return await write()

    async def _create(
        self,
        user_ref: str,
        fields: Mapping[str, Any],
        *,
        now: dt.datetime,
        draft_key: str | None = None,
        file_ids: Sequence[int] = (),
    ) -> Saved:
        ref_key, key = await self.chain.keys()
        if draft_key is not None:
            draft_key = self.chain.draft_ref(ref_key, draft_key)
        incident_id = _random_id()
        recorded = _now_iso(now)
        body = self.cipher.seal(
            _dumps({"fields": {k: v for k, v in fields.items() if k in FIELDS}}),
            revision_context(user_ref, incident_id, 1),
        )
        async with self.db.transaction() as conn:
            rows = list(
                await conn.execute_fetchall(
                    "INSERT INTO incidents (id, user_ref, number, recorded_at, draft_key) "
                    "VALUES (?, ?, (SELECT COALESCE(MAX(number), 0) + 1 FROM incidents "
                    "WHERE user_ref = ?), ?, ?) "
                    "ON CONFLICT (user_ref, draft_key) DO NOTHING RETURNING number",
                    (incident_id, user_ref, user_ref, recorded, draft_key),
                )
            )
            if not rows:  # this draft was saved before
                existing = await conn.execute_fetchall(
                    "SELECT id, number FROM incidents WHERE user_ref = ? AND draft_key = ?",
                    (user_ref, draft_key),
                )
                found = list(existing)[0]
                return Saved(int(found[0]), int(found[1]), created=False)
            number = int(rows[0][0])
            head = await self.chain.append(
                conn, key, user_ref, incident_id, number, recorded, 1, recorded, KIND_ORIGINAL, body
            )
            if file_ids:
                await link_files(conn, user_ref, incident_id, file_ids)
        self.chain.committed(user_ref, head)
        metrics.INCIDENTS_SAVED.inc()
        return Saved(incident_id, number, created=True)

    async def _add_revision(
        self,
        user_ref: str,
        incident_id: int,
        kind: str,
        body: Mapping[str, Any],
        *,
        now: dt.datetime,
        file_ids: Sequence[int] = (),
    ) -> int:
        if kind not in REVISION_KINDS or kind == KIND_ORIGINAL:
            raise ValueError(f"not a revision kind one can append: {kind}")
        if kind == KIND_CORRECTION:
            body = {"fields": {k: v for k, v in body.get("fields", {}).items() if k in FIELDS}}
        recorded = _now_iso(now)
        _, key = await self.chain.keys()
        async with self.db.transaction() as conn:
            rows = list(
                await conn.execute_fetchall(
                    "SELECT (SELECT COALESCE(MAX(revision), 0) FROM incident_revisions "
                    "WHERE incident_id = i.id), i.number, i.recorded_at "
                    "FROM incidents i WHERE i.id = ? AND i.user_ref = ?",
                    (incident_id, user_ref),
                )
            )
            if not rows:
                raise NotFound()
            revision = int(rows[0][0]) + 1
            sealed = self.cipher.seal(
                _dumps(body), revision_context(user_ref, incident_id, revision)
            )
            head = await self.chain.append(
                conn,
                key,
                user_ref,
                incident_id,
                int(rows[0][1]),
                str(rows[0][2]),
                revision,
                recorded,
                kind,
                sealed,
            )
            if file_ids:
                await link_files(conn, user_ref, incident_id, file_ids)
        self.chain.committed(user_ref, head)
        return revision

    async def delete_user(self, user_ref: str) -> int:
        """Erase every incident, revision and file of a user; returns how many incidents.

        `secure_delete` zeroes the deleted rows in the database pages; `scrub()` then checkpoints
        the WAL so no older copy of those pages stays in the -wal file either.
        """
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM incident_files WHERE user_ref = ?", (user_ref,))
            await conn.execute("DELETE FROM incident_revisions WHERE user_ref = ?", (user_ref,))
            await conn.execute("DELETE FROM journal_chains WHERE user_ref = ?", (user_ref,))
            rows = list(
                await conn.execute_fetchall(
                    "DELETE FROM incidents WHERE user_ref = ? RETURNING id", (user_ref,)
                )
            )
        self.chain.forget(user_ref)
        folder = self.files_dir / user_ref
        if folder.is_dir():
            await asyncio.to_thread(shutil.rmtree, folder, True)
        return len(rows)

    async def scrub(self) -> None:
        """Copy the WAL into the database and truncate it, so deleted pages leave no old copy."""
        await self.db.checkpoint()

    # ------------------------------------------------------------------ files

    async def add_file(
        self,
        user_ref: str,
        content: bytes,
        *,
        now: dt.datetime,
        kind: str,
        file_name: str,
        mime_type: str,
        forwarded_from: str | None = None,
        forwarded_date: str | None = None,
    ) -> StoredFile:
        """Keep a file, sealed, waiting for an incident; returns once file and row are durable."""
        return await self.files.add(
            user_ref,
            content,
            now=now,
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
            forwarded_from=forwarded_from,
            forwarded_date=forwarded_date,
        )

    async def attach_files(self, user_ref: str, incident_id: int, file_ids: Sequence[int]) -> int:
        """Link waiting files to one of the user's incidents; returns how many were linked."""
        return await self.files.attach(user_ref, incident_id, file_ids)

    async def discard_waiting_files(self, user_ref: str, file_ids: Sequence[int]) -> int:
        """Delete files that were never linked to an incident (a discarded draft)."""
        return await self.files.discard_waiting(user_ref, file_ids)

    async def sweep_waiting_files(self, older_than: dt.datetime) -> int:
        """Delete files still waiting for an incident since before `older_than`; how many."""
        return await self.files.sweep_waiting(older_than)

    async def file_usage(self, user_ref: str) -> tuple[int, int]:
        """(how many files, how many bytes) the user keeps, waiting or linked."""
        return await self.files.usage(user_ref)

    async def waiting_files(self, user_ref: str, file_ids: Sequence[int]) -> list[StoredFile]:
        return await self.files.waiting(user_ref, file_ids)

    async def read_file(self, user_ref: str, file_id: int) -> bytes:
        return await self.files.read(user_ref, file_id)

    # ------------------------------------------------------------------ reading

    async def count(self, user_ref: str) -> int:
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM incidents WHERE user_ref = ?", (user_ref,)
        )
        return int(row[0]) if row else 0

    async def get(self, user_ref: str, incident_id: int) -> Incident:
        found = await self._load(user_ref, "AND i.id = ?", (int(incident_id),))
        if not found:
            raise NotFound()
        return found[0]

    async def by_number(self, user_ref: str, number: int) -> Incident:
        found = await self._load(user_ref, "AND i.number = ?", (int(number),))
        if not found:
            raise NotFound()
        return found[0]

    async def page(self, user_ref: str, offset: int, limit: int) -> list[Incident]:
        """Newest first."""
        rows = await self.db.fetchall(
            "SELECT id FROM incidents WHERE user_ref = ? ORDER BY number DESC LIMIT ? OFFSET ?",
            (user_ref, int(limit), int(offset)),
        )
        if not rows:
            return []
        ids = [int(r[0]) for r in rows]
        marks = ",".join("?" * len(ids))
        found = await self._load(user_ref, f"AND i.id IN ({marks})", tuple(ids))
        return sorted(found, key=lambda i: -i.number)

    async def all(self, user_ref: str) -> list[Incident]:
        """Every incident of the user, oldest first (the order of a diary)."""
        return await self._load(user_ref, "", ())

    async def _load(self, user_ref: str, where: str, params: tuple[Any, ...]) -> list[Incident]:
        _, key = await self.chain.keys()
        loader = IncidentLoader(self.db, self.cipher, self.files, key, user_ref)
        return await loader.load(where, params)
