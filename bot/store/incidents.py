"""The incident journal's storage: incidents, their append-only revisions, and their files.

Layout (migration 2, in `bot/store/migrations.py`):

- `incidents`: one row per incident, never updated. The id is random (63 bits) so ids that travel
  in buttons reveal nothing about how many incidents exist; `number` is the user's own count
  (1, 2, 3...) shown to them. `draft_key` makes saving a confirmed draft idempotent.
- `incident_revisions`: append-only (a trigger refuses UPDATE). Revision 1 is the original record;
  later ones are corrections, notes and police references, each with when it was written.
  `body` is sealed JSON.
- `incident_files`: the evidence. Its `meta` (file name, type, SHA-256, forwarded-from...) is
  sealed; the bytes live in sealed files under `<data dir>/attachments/<user_ref>/<id>.bin`.
  A file may wait with no incident (`incident_id` NULL) while the user decides where it goes;
  once linked it can never be moved (trigger).

Why attachments are files and not BLOBs: a photo or a 20 MB video inside the database would pass
through the WAL and the checkpoint, slow every other user's commit, and make the database (and its
backups) grow with every file. As files, each is written and fsynced once, sealed whole with
AES-GCM under a context that binds it to its owner and id (so a file moved or swapped on disk does
not open), and removing a user's folder removes them. The database row is committed only after the
file is safely on disk, so a committed row never points at a missing file.

Every method takes the owner's `user_ref` and checks it on every id: a forged or foreign id is
`NotFound`, exactly like an id that does not exist. Nothing here imports the engine.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import metrics
from bot.store.crypto import Cipher
from bot.store.db import Database

FILES_DIR_NAME = "attachments"
MAX_FILE_BYTES = 20 * 1024 * 1024  # the Telegram Bot API lets bots download up to 20 MB

KIND_ORIGINAL = "original"
KIND_CORRECTION = "correction"
KIND_NOTE = "note"
KIND_POLICE = "police"
REVISION_KINDS = (KIND_ORIGINAL, KIND_CORRECTION, KIND_NOTE, KIND_POLICE)

# The fields of an incident, in the order a diary shows them.
FIELDS = (
    "kind",
    "occurred_at",
    "place",
    "description",
    "person",
    "vehicle",
    "caller_number",
    "witnesses",
    "effect",
    "forwarded_from",
    "forwarded_date",
    "source",
)


class NotFound(Exception):
    """No such incident or file for this user (it may exist for someone else: never say so)."""


class FileTooLarge(Exception):
    """A file over MAX_FILE_BYTES."""


def _now_iso(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).isoformat(timespec="seconds")


def _random_id() -> int:
    return secrets.randbits(62) + 1  # positive, fits SQLite's signed 64-bit INTEGER


def revision_context(user_ref: str, incident_id: int, revision: int) -> bytes:
    return f"incident:{user_ref}:{incident_id}:{revision}".encode()


def file_meta_context(user_ref: str, file_id: int) -> bytes:
    return f"file-meta:{user_ref}:{file_id}".encode()


def file_relpath(user_ref: str, file_id: int) -> str:
    return f"{user_ref}/{file_id}.bin"


def file_context(relpath: str) -> bytes:
    return f"attachment:{relpath}".encode()


@dataclass(frozen=True)
class Revision:
    revision: int
    kind: str
    recorded_at: dt.datetime
    body: dict[str, Any]


@dataclass(frozen=True)
class StoredFile:
    id: int
    incident_id: int | None
    added_at: dt.datetime
    size: int
    kind: str
    file_name: str
    mime_type: str
    sha256: str
    forwarded_from: str | None = None
    forwarded_date: str | None = None


@dataclass
class Incident:
    id: int
    number: int
    recorded_at: dt.datetime
    revisions: list[Revision] = field(default_factory=list)
    files: list[StoredFile] = field(default_factory=list)

    @property
    def fields(self) -> dict[str, Any]:
        """The current value of every field: the original with corrections applied in order."""
        current: dict[str, Any] = {}
        for rev in self.revisions:
            if rev.kind in (KIND_ORIGINAL, KIND_CORRECTION):
                current.update(rev.body.get("fields", {}))
        return {k: v for k, v in current.items() if v not in (None, "", [])}

    @property
    def original(self) -> dict[str, Any]:
        first = next((r for r in self.revisions if r.kind == KIND_ORIGINAL), None)
        return dict(first.body.get("fields", {})) if first else {}

    @property
    def notes(self) -> list[Revision]:
        return [r for r in self.revisions if r.kind == KIND_NOTE]

    @property
    def police(self) -> list[Revision]:
        return [r for r in self.revisions if r.kind == KIND_POLICE]

    @property
    def corrections(self) -> list[Revision]:
        return [r for r in self.revisions if r.kind == KIND_CORRECTION]


@dataclass(frozen=True)
class Saved:
    """The outcome of a save: committed before this is returned."""

    id: int
    number: int
    created: bool  # False: this draft had been saved already; nothing new was written


def _dumps(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


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


class IncidentStore:
    """The repository of incidents. One per database; safe for many users at once."""

    def __init__(self, db: Database, cipher: Cipher, data_dir: Path) -> None:
        self.db = db
        self.cipher = cipher
        self.files_dir = data_dir / FILES_DIR_NAME

    # ------------------------------------------------------------------ writing

    async def create(
        self,
        user_ref: str,
        fields: Mapping[str, Any],
        *,
        now: dt.datetime,
        draft_key: str | None = None,
        file_ids: Sequence[int] = (),
    ) -> Saved:
        """Record a new incident (revision 1) and link waiting files; returns once committed.

        With a `draft_key`, saving the same draft twice returns the first incident unchanged.
        """
        incident_id = _random_id()
        recorded = _now_iso(now)
        body = self.cipher.seal(
            _dumps({"fields": {k: v for k, v in fields.items() if k in FIELDS}}),
            revision_context(user_ref, incident_id, 1),
        )
        async with self.db.transaction() as conn:
            rows = await conn.execute_fetchall(
                "INSERT INTO incidents (id, user_ref, number, recorded_at, draft_key) "
                "VALUES (?, ?, (SELECT COALESCE(MAX(number), 0) + 1 FROM incidents "
                "WHERE user_ref = ?), ?, ?) "
                "ON CONFLICT (user_ref, draft_key) DO NOTHING RETURNING number",
                (incident_id, user_ref, user_ref, recorded, draft_key),
            )
            rows = list(rows)
            if not rows:  # this draft was saved before
                existing = await conn.execute_fetchall(
                    "SELECT id, number FROM incidents WHERE user_ref = ? AND draft_key = ?",
                    (user_ref, draft_key),
                )
                found = list(existing)[0]
                return Saved(int(found[0]), int(found[1]), created=False)
            await conn.execute(
                "INSERT INTO incident_revisions "
                "(incident_id, user_ref, revision, recorded_at, kind, body) "
                "VALUES (?, ?, 1, ?, ?, ?)",
                (incident_id, user_ref, recorded, KIND_ORIGINAL, body),
            )
            if file_ids:
                await self._link(conn, user_ref, incident_id, file_ids)
        metrics.INCIDENTS_SAVED.inc()
        return Saved(incident_id, int(rows[0][0]), created=True)

    async def add_revision(
        self,
        user_ref: str,
        incident_id: int,
        kind: str,
        body: Mapping[str, Any],
        *,
        now: dt.datetime,
        file_ids: Sequence[int] = (),
    ) -> int:
        """Append a correction, note or police reference; returns its revision number."""
        if kind not in REVISION_KINDS or kind == KIND_ORIGINAL:
            raise ValueError(f"not a revision kind one can append: {kind}")
        if kind == KIND_CORRECTION:
            body = {"fields": {k: v for k, v in body.get("fields", {}).items() if k in FIELDS}}
        recorded = _now_iso(now)
        async with self.db.transaction() as conn:
            rows = list(
                await conn.execute_fetchall(
                    "SELECT (SELECT COALESCE(MAX(revision), 0) FROM incident_revisions "
                    "WHERE incident_id = i.id) FROM incidents i WHERE i.id = ? AND i.user_ref = ?",
                    (incident_id, user_ref),
                )
            )
            if not rows:
                raise NotFound()
            revision = int(rows[0][0]) + 1
            sealed = self.cipher.seal(
                _dumps(body), revision_context(user_ref, incident_id, revision)
            )
            await conn.execute(
                "INSERT INTO incident_revisions "
                "(incident_id, user_ref, revision, recorded_at, kind, body) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (incident_id, user_ref, revision, recorded, kind, sealed),
            )
            if file_ids:
                await self._link(conn, user_ref, incident_id, file_ids)
        return revision

    async def _link(
        self, conn: Any, user_ref: str, incident_id: int, file_ids: Iterable[int]
    ) -> None:
        ids = [int(i) for i in file_ids]
        marks = ",".join("?" * len(ids))
        await conn.execute(
            f"UPDATE incident_files SET incident_id = ? WHERE user_ref = ? "
            f"AND incident_id IS NULL AND id IN ({marks})",
            (incident_id, user_ref, *ids),
        )

    async def attach_files(self, user_ref: str, incident_id: int, file_ids: Sequence[int]) -> int:
        """Link waiting files to one of the user's incidents; returns how many were linked."""
        async with self.db.transaction() as conn:
            owned = await conn.execute_fetchall(
                "SELECT 1 FROM incidents WHERE id = ? AND user_ref = ?", (incident_id, user_ref)
            )
            if not list(owned):
                raise NotFound()
            before = conn.total_changes
            await self._link(conn, user_ref, incident_id, file_ids)
            return conn.total_changes - before

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

    async def discard_waiting_files(self, user_ref: str, file_ids: Sequence[int]) -> int:
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
            (self.files_dir / file_relpath(user_ref, int(file_id))).unlink(missing_ok=True)
        return len(rows)

    async def delete_user(self, user_ref: str) -> int:
        """Erase every incident, revision and file of a user; returns how many incidents.

        `secure_delete` zeroes the deleted rows in the database pages; `scrub()` then checkpoints
        the WAL so no older copy of those pages stays in the -wal file either.
        """
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM incident_files WHERE user_ref = ?", (user_ref,))
            await conn.execute("DELETE FROM incident_revisions WHERE user_ref = ?", (user_ref,))
            rows = list(
                await conn.execute_fetchall(
                    "DELETE FROM incidents WHERE user_ref = ? RETURNING id", (user_ref,)
                )
            )
        folder = self.files_dir / user_ref
        if folder.is_dir():
            await asyncio.to_thread(shutil.rmtree, folder, True)
        return len(rows)

    async def scrub(self) -> None:
        """Copy the WAL into the database and truncate it, so deleted pages leave no old copy."""
        # The write lock keeps this out of any open transaction on the shared connection.
        async with self.db._write_lock:  # noqa: SLF001 - see the report: a public checkpoint() would be better
            await self.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

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

    async def waiting_files(self, user_ref: str, file_ids: Sequence[int]) -> list[StoredFile]:
        ids = [int(i) for i in file_ids]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self.db.fetchall(
            f"SELECT id, incident_id, added_at, size, meta FROM incident_files "
            f"WHERE user_ref = ? AND id IN ({marks})",
            (user_ref, *ids),
        )
        return [self._file(user_ref, row) for row in rows]

    async def read_file(self, user_ref: str, file_id: int) -> bytes:
        row = await self.db.fetchone(
            "SELECT id FROM incident_files WHERE id = ? AND user_ref = ?", (int(file_id), user_ref)
        )
        if row is None:
            raise NotFound()
        rel = file_relpath(user_ref, int(file_id))
        sealed = await asyncio.to_thread((self.files_dir / rel).read_bytes)
        return self.cipher.open(sealed, file_context(rel))

    def _file(self, user_ref: str, row: Sequence[Any]) -> StoredFile:
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

    async def _load(self, user_ref: str, where: str, params: tuple[Any, ...]) -> list[Incident]:
        heads = await self.db.fetchall(
            f"SELECT i.id, i.number, i.recorded_at FROM incidents i "
            f"WHERE i.user_ref = ? {where} ORDER BY i.number",
            (user_ref, *params),
        )
        if not heads:
            return []
        incidents = {
            int(r[0]): Incident(int(r[0]), int(r[1]), dt.datetime.fromisoformat(r[2]))
            for r in heads
        }
        ids = list(incidents)
        # Revisions and files of exactly these incidents (by the owner's ref, as every query).
        scope, scope_params = "", ()
        if where:
            marks = ",".join("?" * len(ids))
            scope, scope_params = f"AND incident_id IN ({marks})", tuple(ids)
        revisions = await self.db.fetchall(
            f"SELECT incident_id, revision, recorded_at, kind, body FROM incident_revisions "
            f"WHERE user_ref = ? {scope} ORDER BY incident_id, revision",
            (user_ref, *scope_params),
        )
        for incident_id, revision, recorded_at, kind, sealed in revisions:
            body = json.loads(
                self.cipher.open(
                    sealed, revision_context(user_ref, int(incident_id), int(revision))
                )
            )
            incidents[int(incident_id)].revisions.append(
                Revision(int(revision), kind, dt.datetime.fromisoformat(recorded_at), body)
            )
        files = await self.db.fetchall(
            f"SELECT id, incident_id, added_at, size, meta FROM incident_files "
            f"WHERE user_ref = ? AND incident_id IS NOT NULL {scope} ORDER BY added_at, id",
            (user_ref, *scope_params),
        )
        for row in files:
            stored = self._file(user_ref, row)
            if stored.incident_id in incidents:
                incidents[stored.incident_id].files.append(stored)
        return list(incidents.values())


def register_sealed() -> None:
    """Tell key rotation (bot.store.sealed, when present) where the journal keeps sealed data."""
    try:
        from bot.store.sealed import (
            SEALED_FILES,
            SEALED_TABLES,
            SealedFiles,
            SealedTable,
            register_sealed_files,
            register_sealed_table,
        )
    except ImportError:  # key rotation is not built yet
        return
    if not any(t.table == "incident_revisions" for t in SEALED_TABLES):
        register_sealed_table(
            SealedTable(
                "incident_revisions",
                ("user_ref", "incident_id", "revision"),
                ("body",),
                lambda row, column: revision_context(
                    row["user_ref"], int(row["incident_id"]), int(row["revision"])
                ),
            )
        )
    if not any(t.table == "incident_files" for t in SEALED_TABLES):
        register_sealed_table(
            SealedTable(
                "incident_files",
                ("user_ref", "id"),
                ("meta",),
                lambda row, column: file_meta_context(row["user_ref"], int(row["id"])),
            )
        )
    if not any(f.directory == FILES_DIR_NAME for f in SEALED_FILES):
        register_sealed_files(SealedFiles(FILES_DIR_NAME, "*/*.bin", file_context))
