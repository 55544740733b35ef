"""The journal's evidence files: sealed on disk, described by a sealed row in `incident_files`.

Why attachments are files and not BLOBs: a photo or a 20 MB video inside the database would pass
through the WAL and the checkpoint, slow every other user's commit, and make the database (and its
backups) grow with every file. As files, each is written and fsynced once, sealed whole with
AES-GCM under a context that binds it to its owner and id (so a file moved or swapped on disk does
not open), and removing a user's folder removes them. The database row is committed only after the
file is safely on disk, so a committed row never points at a missing file.

A file may wait with no incident (`incident_id` NULL) while the user decides where it goes;
once linked it can never be moved (a trigger refuses it).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.crypto import Cipher
from bot.store.db import Database
from bot.store.incidents.records import (
    MAX_FILE_BYTES,
    FileTooLarge,
    NotFound,
    StoredFile,
    _dumps,
    _now_iso,
    _random_id,
    file_context,
    file_meta_context,
    file_relpath,
)

FILE_COLUMNS = "id, incident_id, added_at, size, meta"  # the row `EvidenceFiles.decode` reads


def _write_sealed_file(path: Path, sealed: bytes) -> None:
    """Write, fsync the file and its folder: the bytes are on disk before the row commits."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(sealed)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


async def link_files(
    conn: aiosqlite.Connection, user_ref: str, incident_id: int, file_ids: Iterable[int]
) -> None:
    """Link the user's waiting files to an incident (inside the caller's transaction)."""
    ids = [int(i) for i in file_ids]
    marks = ",".join("?" * len(ids))
    await conn.execute(
        f"UPDATE incident_files SET incident_id = ? WHERE user_ref = ? "
        f"AND incident_id IS NULL AND id IN ({marks})",
        (incident_id, user_ref, *ids),
    )


class EvidenceFiles:
    """Every user's evidence files: kept, linked, read and deleted, always by owner."""

    def __init__(self, db: Database, cipher: Cipher, files_dir: Path) -> None:
        self.db = db
        self.cipher = cipher
        self.files_dir = files_dir

    def _path(self, user_ref: str, file_id: int) -> Path:
        return self.files_dir / file_relpath(user_ref, file_id)

    async def add(
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
        if len(content) > MAX_FILE_BYTES:
            raise FileTooLarge()
        file_id = _random_id()
        rel = file_relpath(user_ref, file_id)
        stored = StoredFile(
            id=file_id,
            incident_id=None,
            added_at=dt.datetime.fromisoformat(_now_iso(now)),
            size=len(content),
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
            sha256=hashlib.sha256(content).hexdigest(),
            forwarded_from=forwarded_from,
            forwarded_date=forwarded_date,
        )
        meta = {
            "kind": kind,
            "file_name": file_name,
            "mime_type": mime_type,
            "sha256": stored.sha256,
            "forwarded_from": forwarded_from,
            "forwarded_date": forwarded_date,
        }
        sealed_meta = self.cipher.seal(_dumps(meta), file_meta_context(user_ref, file_id))
        path = self.files_dir / rel
        sealed = await asyncio.to_thread(self.cipher.seal, content, file_context(rel))
        await asyncio.to_thread(_write_sealed_file, path, sealed)
        try:
            async with self.db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO incident_files (id, user_ref, incident_id, added_at, size, meta) "
                    "VALUES (?, ?, NULL, ?, ?, ?)",
                    (file_id, user_ref, _now_iso(now), len(content), sealed_meta),
                )
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return stored

    async def attach(self, user_ref: str, incident_id: int, file_ids: Sequence[int]) -> int:
        """Link waiting files to one of the user's incidents; returns how many were linked."""
        async with self.db.transaction() as conn:
            owned = await conn.execute_fetchall(
                "SELECT 1 FROM incidents WHERE id = ? AND user_ref = ?", (incident_id, user_ref)
            )
            if not list(owned):
                raise NotFound()
            before = conn.total_changes
            await link_files(conn, user_ref, incident_id, file_ids)
            return conn.total_changes - before

    async def discard_waiting(self, user_ref: str, file_ids: Sequence[int]) -> int:
        """Delete files that were never linked to an incident (a discarded draft)."""
        ids = [int(i) for i in file_ids]
        if not ids:
            return 0
        marks = ",".join("?" * len(ids))
        async with self.db.transaction() as conn:
            rows = list(
                await conn.execute_fetchall(
                    f"DELETE FROM incident_files WHERE user_ref = ? AND incident_id IS NULL "
                    f"AND id IN ({marks}) RETURNING id",
                    (user_ref, *ids),
                )
            )
        for (file_id,) in rows:
            self._path(user_ref, int(file_id)).unlink(missing_ok=True)
        return len(rows)

    async def sweep_waiting(self, older_than: dt.datetime) -> int:
        """Delete files still waiting for an incident since before `older_than` (drafts that
        were never finished), rows and sealed files; returns how many."""
        async with self.db.transaction() as conn:
            rows = list(
                await conn.execute_fetchall(
                    "DELETE FROM incident_files WHERE incident_id IS NULL AND added_at < ? "
                    "RETURNING id, user_ref",
                    (_now_iso(older_than),),
                )
            )
        for file_id, user in rows:
            self._path(str(user), int(file_id)).unlink(missing_ok=True)
        return len(rows)

    async def usage(self, user_ref: str) -> tuple[int, int]:
        """(how many files, how many bytes) the user keeps, waiting or linked."""
        row = await self.db.fetchone(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM incident_files WHERE user_ref = ?",
            (user_ref,),
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def waiting(self, user_ref: str, file_ids: Sequence[int]) -> list[StoredFile]:
        ids = [int(i) for i in file_ids]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self.db.fetchall(
            f"SELECT {FILE_COLUMNS} FROM incident_files WHERE user_ref = ? AND id IN ({marks})",
            (user_ref, *ids),
        )
        return [self.decode(user_ref, row) for row in rows]

    async def read(self, user_ref: str, file_id: int) -> bytes:
        row = await self.db.fetchone(
            "SELECT id FROM incident_files WHERE id = ? AND user_ref = ?", (int(file_id), user_ref)
        )
        if row is None:
            raise NotFound()
        rel = file_relpath(user_ref, int(file_id))
        sealed = await asyncio.to_thread((self.files_dir / rel).read_bytes)
        return self.cipher.open(sealed, file_context(rel))

    def decode(self, user_ref: str, row: Sequence[Any]) -> StoredFile:
        """A `FILE_COLUMNS` row as a `StoredFile` (its sealed meta opened)."""
        file_id, incident_id, added_at, size, sealed = row
        meta = json.loads(self.cipher.open(sealed, file_meta_context(user_ref, int(file_id))))
        return StoredFile(
            id=int(file_id),
            incident_id=int(incident_id) if incident_id is not None else None,
            added_at=dt.datetime.fromisoformat(added_at),
            size=int(size),
            kind=meta.get("kind", "document"),
            file_name=meta.get("file_name", ""),
            mime_type=meta.get("mime_type", "application/octet-stream"),
            sha256=meta.get("sha256", ""),
            forwarded_from=meta.get("forwarded_from"),
            forwarded_date=meta.get("forwarded_date"),
        )
