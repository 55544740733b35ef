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

Tamper evidence (migration 5): every revision is an entry in a keyed hash chain per user. Its
MAC (HMAC-SHA256 under a key derived from the pseudonym key) covers the user, the entry's place
in the chain (`seq`), the incident's id, number and recorded time, the revision's number, time
and kind, the SHA-256 of its sealed body, and the previous entry's MAC; the chain's head (newest
seq and MAC) is sealed in `journal_chains`. So a field edited in the file, rows swapped, a time
moved back, or an entry deleted (in the middle or the newest) shows up in `verify`, which
loading, /export and `safety-bot doctor` all use. What it cannot see: the whole database
replaced by an older copy of itself, and rows written before the chain was built (migration 5
chains what it finds, once, and marks the chains as built).

`draft_key` never holds a channel's ids: an event key ("m:<chat id>:<message id>") is stored as
"h:" + a keyed hash of it (migration 6 rewrites older rows).

Every method takes the owner's `user_ref` and checks it on every id: a forged or foreign id is
`NotFound`, exactly like an id that does not exist. Nothing here imports the engine.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import metrics
from bot.store.crypto import Cipher, KeyProblem
from bot.store.db import Database
from bot.store.keys import unlock

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
    "who",
    "occurred_at",
    "place",
    "description",
    "person",
    "vehicle",
    "caller_number",
    "account",
    "witnesses",
    "effect",
    "forwarded_from",
    "forwarded_date",
    "source",
)


CHAIN_BUILT = "*"  # the journal_chains row that says the chains were built (migration 5)


def chain_key(ref_key: bytes) -> bytes:
    return hmac.new(ref_key, b"safety-bot journal chain v1", hashlib.sha256).digest()


def head_context(user_ref: str) -> bytes:
    return f"journal-chain:{user_ref}".encode()


def entry_mac(
    key: bytes,
    user_ref: str,
    seq: int,
    incident_id: int,
    number: int,
    incident_recorded: str,
    revision: int,
    recorded: str,
    kind: str,
    body: bytes,
    prev: str,
) -> str:
    """The MAC of one chain entry: every stored field of the revision and its incident."""
    fields = [
        user_ref,
        int(seq),
        int(incident_id),
        int(number),
        incident_recorded,
        int(revision),
        recorded,
        kind,
        hashlib.sha256(bytes(body)).hexdigest(),
        prev,
    ]
    message = json.dumps(fields, separators=(",", ":")).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def fingerprint_text(mac: str) -> str:
    short = mac[:32].upper()
    return " ".join(short[i : i + 4] for i in range(0, len(short), 4))


# The rows `check_chain` reads, in seq order (the same query from aiosqlite and from sqlite3).
CHAIN_ROWS_SQL = (
    "SELECT r.seq, r.prev, r.mac, r.incident_id, i.number, i.recorded_at, r.revision, "
    "r.recorded_at, r.kind, r.body FROM incident_revisions r LEFT JOIN incidents i "
    "ON i.id = r.incident_id AND i.user_ref = r.user_ref WHERE r.user_ref = ? "
    "ORDER BY r.seq IS NULL, r.seq, r.incident_id, r.revision"
)
ORPHAN_INCIDENTS_SQL = (
    "SELECT number FROM incidents i WHERE user_ref = ? AND NOT EXISTS "
    "(SELECT 1 FROM incident_revisions r WHERE r.incident_id = i.id AND r.revision = 1)"
)


def check_chain(
    key: bytes,
    cipher: Cipher,
    user_ref: str,
    rows: Sequence[Sequence[Any]],
    head: bytes | None,
    orphans: Sequence[Sequence[Any]] = (),
) -> tuple[str, list[str]]:
    """(fingerprint, problems) of one user's chain. Problems name entries, never contents."""
    problems: list[str] = []
    prev = ""
    expected_seq = 1
    seen_revisions: dict[int, int] = {}
    for row in rows:
        seq, stored_prev, mac, incident_id, number, inc_recorded, revision, recorded, kind, body = (
            row
        )
        label = f"entry {seq if seq is not None else '?'}"
        if number is not None:
            label += f" (incident {number}, revision {revision})"
        if mac is None or seq is None:
            problems.append(f"{label} is outside the chain (added behind the bot's back)")
            continue
        if int(seq) != expected_seq:
            if int(seq) > expected_seq:
                missing = int(seq) - expected_seq
                problems.append(
                    f"{missing} entr{'y' if missing == 1 else 'ies'} before {label} "
                    "are missing (deleted)"
                )
            else:
                problems.append(f"{label} appears twice")
        expected_seq = int(seq) + 1
        if number is None:
            problems.append(f"{label}: its incident was deleted")
            prev = mac
            continue
        if stored_prev != prev and not problems:
            problems.append(f"{label} is out of order")
        want = entry_mac(
            key,
            user_ref,
            int(seq),
            int(incident_id),
            int(number),
            str(inc_recorded),
            int(revision),
            str(recorded),
            str(kind),
            bytes(body),
            str(stored_prev or ""),
        )
        if not hmac.compare_digest(want, str(mac)):
            problems.append(f"{label} was changed (a time, number, kind, order or content)")
        last = seen_revisions.get(int(incident_id), 0)
        if int(revision) != last + 1:
            problems.append(f"{label}: revisions of incident {number} are not in order")
        seen_revisions[int(incident_id)] = int(revision)
        prev = str(mac)
    for (number,) in orphans:
        problems.append(f"incident {number} has no first record (deleted)")
    head_seq, head_mac = 0, ""
    if head is not None:
        try:
            opened = json.loads(cipher.open(bytes(head), head_context(user_ref)))
            head_seq, head_mac = int(opened["seq"]), str(opened["mac"])
        except Exception:  # noqa: BLE001 - a forged or moved head
            problems.append("the chain's head was changed")
    elif rows:
        problems.append("the chain's head is missing")
    if head is not None and (head_seq != expected_seq - 1 or head_mac != prev):
        if head_seq > expected_seq - 1:
            problems.append(
                f"the newest {head_seq - expected_seq + 1} entr"
                f"{'y was' if head_seq - expected_seq + 1 == 1 else 'ies were'} deleted"
            )
        elif not problems:
            problems.append("the chain's head does not match its newest entry")
    return fingerprint_text(head_mac or prev or "0" * 32), problems


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
    problems: list[str] = field(default_factory=list)  # changes made outside the bot

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


@dataclass(frozen=True, slots=True)
class Integrity:
    """What the keyed hash chain says about one user's diary (see `verify`)."""

    fingerprint: str  # the chain's head, grouped for reading: equal for equal diaries
    problems: tuple[str, ...] = ()

    @property
    def intact(self) -> bool:
        return not self.problems


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
        self._ref_key: bytes | None = None
        self._ready_lock = asyncio.Lock()
        # Each user's chain head as last committed by this process: saves one read per save.
        # Only this process writes the journal; `verify` always reads the file.
        self._heads: dict[str, tuple[int, str]] = {}

    # ------------------------------------------------------------------ keys, chain, upgrade

    async def _keys(self) -> tuple[bytes, bytes]:
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

    async def _chain_older_rows(self, conn: Any, key: bytes) -> None:
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

    async def _write_head(self, conn: Any, user_ref: str, seq: int, mac: str) -> None:
        sealed = self.cipher.seal(_dumps({"seq": seq, "mac": mac}), head_context(user_ref))
        await conn.execute(
            "INSERT INTO journal_chains (user_ref, head) VALUES (?, ?) "
            "ON CONFLICT (user_ref) DO UPDATE SET head = excluded.head",
            (user_ref, sealed),
        )

    async def _append(
        self,
        conn: Any,
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
        returns the new head, for the caller to remember once the transaction committed."""
        cached = self._heads.get(user_ref)
        rows = (
            []
            if cached
            else list(
                await conn.execute_fetchall(
                    "SELECT head FROM journal_chains WHERE user_ref = ?", (user_ref,)
                )
            )
        )
        seq, prev = cached or (0, "")
        if rows:
            try:
                opened = json.loads(self.cipher.open(bytes(rows[0][0]), head_context(user_ref)))
                seq, prev = int(opened["seq"]), str(opened["mac"])
            except Exception:  # noqa: BLE001 - a forged head: carry on from the rows; verify says so
                found = list(
                    await conn.execute_fetchall(
                        "SELECT seq, mac FROM incident_revisions WHERE user_ref = ? "
                        "AND seq IS NOT NULL ORDER BY seq DESC LIMIT 1",
                        (user_ref,),
                    )
                )
                seq, prev = (int(found[0][0]), str(found[0][1])) if found else (0, "")
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
        _, key = await self._keys()
        rows = await self.db.fetchall(CHAIN_ROWS_SQL, (user_ref,))
        head = await self.db.fetchone(
            "SELECT head FROM journal_chains WHERE user_ref = ?", (user_ref,)
        )
        orphans = await self.db.fetchall(ORPHAN_INCIDENTS_SQL, (user_ref,))
        fingerprint, problems = check_chain(
            key, self.cipher, user_ref, rows, bytes(head[0]) if head else None, orphans
        )
        return Integrity(fingerprint, tuple(problems))

    # ------------------------------------------------------------------ writing

    async def create(self, user_ref: str, fields: Mapping[str, Any], **options: Any) -> Saved:
        """Record a new incident (revision 1) and link waiting files; returns once committed.

        With a `draft_key`, saving the same draft twice returns the first incident unchanged.
        """
        return await self._with_fresh_head(user_ref, self._create, user_ref, fields, **options)

    async def add_revision(
        self, user_ref: str, incident_id: int, kind: str, body: Mapping[str, Any], **options: Any
    ) -> int:
        """Append a correction, note or police reference; returns its revision number."""
        return await self._with_fresh_head(
            user_ref, self._add_revision, user_ref, incident_id, kind, body, **options
        )

    async def _with_fresh_head(self, user_ref: str, write: Any, *args: Any, **options: Any) -> Any:
        # Another IncidentStore on the same file may have moved the head this one remembers:
        # the unique (user_ref, seq) index refuses the write; read the head and write again.
        try:
            return await write(*args, **options)
        except sqlite3.IntegrityError:
            if self._heads.pop(user_ref, None) is None:
                raise
            return await write(*args, **options)

    async def _create(
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
        ref_key, key = await self._keys()
        if draft_key is not None:
            draft_key = self.draft_ref(ref_key, draft_key)
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
            number = int(rows[0][0])
            head = await self._append(
                conn, key, user_ref, incident_id, number, recorded, 1, recorded, KIND_ORIGINAL, body
            )
            if file_ids:
                await self._link(conn, user_ref, incident_id, file_ids)
        self._heads[user_ref] = head
        metrics.INCIDENTS_SAVED.inc()
        return Saved(incident_id, int(rows[0][0]), created=True)

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
        """Append a correction, note or police reference; returns its revision number."""
        if kind not in REVISION_KINDS or kind == KIND_ORIGINAL:
            raise ValueError(f"not a revision kind one can append: {kind}")
        if kind == KIND_CORRECTION:
            body = {"fields": {k: v for k, v in body.get("fields", {}).items() if k in FIELDS}}
        recorded = _now_iso(now)
        _, key = await self._keys()
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
            head = await self._append(
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
                await self._link(conn, user_ref, incident_id, file_ids)
        self._heads[user_ref] = head
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

    async def sweep_waiting_files(self, older_than: dt.datetime) -> int:
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
            (self.files_dir / file_relpath(str(user), int(file_id))).unlink(missing_ok=True)
        return len(rows)

    async def file_usage(self, user_ref: str) -> tuple[int, int]:
        """(how many files, how many bytes) the user keeps, waiting or linked."""
        row = await self.db.fetchone(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM incident_files WHERE user_ref = ?",
            (user_ref,),
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

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
        self._heads.pop(user_ref, None)
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
        _, key = await self._keys()
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
            f"SELECT incident_id, revision, recorded_at, kind, body, seq, prev, mac "
            f"FROM incident_revisions WHERE user_ref = ? {scope} ORDER BY incident_id, revision",
            (user_ref, *scope_params),
        )
        heads_by_id = {int(r[0]): (int(r[1]), str(r[2])) for r in heads}
        for incident_id, revision, recorded_at, kind, sealed, seq, prev, mac in revisions:
            if int(incident_id) not in incidents:
                continue
            incident = incidents[int(incident_id)]
            # Each entry checked on its own as it loads; the links between entries and the
            # head are checked by `verify` (the list, /export, doctor).
            number, inc_recorded = heads_by_id[int(incident_id)]
            if mac is None or seq is None:
                incident.problems.append(f"revision {revision} is outside the chain")
            elif not hmac.compare_digest(
                str(mac),
                entry_mac(
                    key,
                    user_ref,
                    int(seq),
                    int(incident_id),
                    number,
                    inc_recorded,
                    int(revision),
                    str(recorded_at),
                    str(kind),
                    bytes(sealed),
                    str(prev or ""),
                ),
            ):
                incident.problems.append(f"revision {revision} was changed outside the bot")
            try:
                body = json.loads(
                    self.cipher.open(
                        sealed, revision_context(user_ref, int(incident_id), int(revision))
                    )
                )
            except KeyProblem:  # copied from another row: it does not open here
                incident.problems.append(f"revision {revision} does not belong here")
                continue
            incident.revisions.append(
                Revision(int(revision), kind, dt.datetime.fromisoformat(recorded_at), body)
            )
        for incident in incidents.values():
            numbers = [r.revision for r in incident.revisions]
            if numbers != list(range(1, len(numbers) + 1)):
                incident.problems.append("a revision is missing or out of order")
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


def doctor_chain_report(conn: sqlite3.Connection, cipher: Cipher) -> list[tuple[str, str]]:
    """For `safety-bot doctor` (read-only, sync): ("ok" | "warn" | "fail", message) lines.

    Users are counted, never named: a problem names its entry and incident numbers only.
    """
    try:
        built = conn.execute(
            "SELECT 1 FROM journal_chains WHERE user_ref = ?", (CHAIN_BUILT,)
        ).fetchone()
        row = conn.execute("SELECT value FROM meta WHERE name = 'ref_key'").fetchone()
    except sqlite3.Error:
        return []  # not migrated yet: nothing to check
    if row is None:
        return []
    users = [r[0] for r in conn.execute("SELECT DISTINCT user_ref FROM incident_revisions")]
    if not built:
        if users:
            return [("warn", "the diaries' hash chains are built at the next start-up")]
        return [("ok", "no diaries yet")]
    try:
        key = chain_key(cipher.open(bytes(row[0]), b"meta:ref_key"))
    except Exception:  # noqa: BLE001 - the key check above already says so
        return []
    damaged: list[str] = []
    for index, user in enumerate(users, start=1):
        rows = conn.execute(CHAIN_ROWS_SQL, (user,)).fetchall()
        head = conn.execute(
            "SELECT head FROM journal_chains WHERE user_ref = ?", (user,)
        ).fetchone()
        orphans = conn.execute(ORPHAN_INCIDENTS_SQL, (user,)).fetchall()
        _, problems = check_chain(
            key, cipher, user, rows, bytes(head[0]) if head else None, orphans
        )
        damaged.extend(f"diary {index}: {problem}" for problem in problems)
    if damaged:
        shown = "; ".join(damaged[:10]) + (
            f"; … {len(damaged) - 10} more" if len(damaged) > 10 else ""
        )
        return [("fail", f"changed outside the bot: {shown}")]
    return [
        ("ok", f"{len(users)} diar{'y' if len(users) == 1 else 'ies'}: every hash chain intact")
    ]


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
    if not any(t.table == "journal_chains" for t in SEALED_TABLES):
        register_sealed_table(
            SealedTable(
                "journal_chains",
                ("user_ref",),
                ("head",),
                lambda row, column: head_context(row["user_ref"]),
            )
        )
    if not any(f.directory == FILES_DIR_NAME for f in SEALED_FILES):
        register_sealed_files(SealedFiles(FILES_DIR_NAME, "*/*.bin", file_context))
