"""`safety-bot rotate-key`: re-seal every sealed value and file under a new key, resumably.

How it stays safe when interrupted at any point:

1. The new key is written first, to `secret.key.new` (mode 0600, fsynced), before anything is
   re-sealed with it.
2. A marker row `key_rotation` in `meta` records both key ids and how far the work got; the bot
   refuses to start while it is there.
3. Each table in `bot/store/sealed.py` is walked in key order, in batches; each batch re-seals its
   rows and moves the marker forward in one transaction. A value that opens with the new key is
   already done, one that opens with the old key is re-sealed: re-running after a crash only
   finishes the work.
4. Files are re-sealed one by one, each written beside itself and renamed over the old one.
5. Everything is checked to open with the new key; then the key file is switched
   (`secret.key.new` renamed over `secret.key`) and the marker removed.

The whole run holds SQLite's exclusive lock: it refuses to start while the bot has the database
open, and the bot cannot open it until the rotation stops.

With SAFETY_BOT_KEY (no key file) the switch is the operator's: the new key stays in
`secret.key.new` until SAFETY_BOT_KEY holds it; the next `rotate-key` then deletes the file.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.settings import Settings
from bot.store.crypto import (
    KEY_BYTES,
    KEY_FILE_NAME,
    Cipher,
    KeyProblem,
    decode_key,
    encode_key,
    load_or_create_key,
)
from bot.store.db import DB_FILE_NAME
from bot.store.migrations import MIGRATIONS
from bot.store.sealed import SEALED_FILES, SEALED_TABLES, SealedFiles, SealedTable

PENDING_FILE_NAME = KEY_FILE_NAME + ".new"
MARKER = "key_rotation"
BATCH_SIZE = 200
MIN_SEALED_BYTES = 12 + 16  # nonce + tag: anything shorter cannot be a sealed value


class RotationError(Exception):
    """Rotation cannot start or go on; the message says why and what to do."""


@dataclass
class RotationResult:
    old_id: str | None
    new_id: str
    resealed: dict[str, int] = field(default_factory=dict)
    files: int = 0
    switched: bool = False  # the key file now holds the new key
    pending_path: Path | None = None  # with SAFETY_BOT_KEY: where the new key waits
    already_done: bool = False


BatchHook = Callable[[str, int], None]  # (table, rows re-sealed so far in it), after each commit


def _q(name: str) -> str:
    """An SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_secret(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    _fsync_dir(path.parent)


def _lock(db_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path, isolation_level=None, timeout=0)
    try:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA secure_delete = ON")  # old ciphertext is overwritten, not left behind
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("COMMIT")  # the exclusive lock stays with this connection until it closes
    except sqlite3.OperationalError as exc:
        conn.close()
        if "locked" in str(exc) or "busy" in str(exc):
            raise RotationError(
                "the database is in use: stop the bot (and any backup) before rotating the key"
            ) from None
        raise
    return conn


def _table_columns(conn: sqlite3.Connection) -> dict[str, list[tuple[str, str]]]:
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {
        t: [(row[1], str(row[2]).upper()) for row in conn.execute(f"PRAGMA table_info({_q(t)})")]
        for t in tables
    }


def unlisted_sealed_columns(conn: sqlite3.Connection) -> list[str]:
    """`table.column` for every column holding binary values that sealed.py does not list."""
    specs = {spec.table: spec for spec in SEALED_TABLES}
    found = []
    for table, columns in sorted(_table_columns(conn).items()):
        spec = specs.get(table)
        for column, _type in columns:
            condition = (
                f"typeof({_q(column)}) = 'blob' AND length({_q(column)}) >= {MIN_SEALED_BYTES}"
            )
            if spec and column in spec.sealed_columns:
                if not spec.where:
                    continue
                condition += f" AND NOT ({spec.where})"
            if conn.execute(f"SELECT 1 FROM {_q(table)} WHERE {condition} LIMIT 1").fetchone():
                found.append(f"{table}.{column}")
    return found


class _Rotation:
    def __init__(
        self,
        conn: sqlite3.Connection,
        data_dir: Path,
        old: Cipher | None,
        new: Cipher,
        batch_size: int,
        on_batch: BatchHook | None,
    ) -> None:
        self.conn = conn
        self.data_dir = data_dir
        self.old = old
        self.new = new
        self.batch_size = batch_size
        self.on_batch = on_batch
        self.columns = _table_columns(conn)

    # -- the marker ---------------------------------------------------------------------------
    def marker(self) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT value FROM meta WHERE name = ?", (MARKER,)).fetchone()
        if row is None:
            return None
        value = row[0]
        return json.loads(value.decode() if isinstance(value, bytes) else value)

    def _save_marker(self, marker: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT INTO meta (name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (MARKER, json.dumps(marker)),
        )

    def start_marker(self) -> dict[str, Any]:
        marker = {
            "old": self.old.fingerprint if self.old else None,
            "new": self.new.fingerprint,
            "done": [],
            "table": None,
            "after": None,
        }
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self._save_marker(marker)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return marker

    # -- values -------------------------------------------------------------------------------
    def _reseal(self, value: object, context: bytes, where: str) -> bytes | None:
        """The value sealed under the new key, or None when it already is."""
        if not isinstance(value, bytes):
            raise RotationError(f"{where}: expected a sealed (binary) value, found {type(value)}")
        try:
            self.new.open(value, context)
            return None
        except KeyProblem:
            pass
        if self.old is not None:
            try:
                return self.new.seal(self.old.open(value, context), context)
            except KeyProblem:
                pass
        raise RotationError(
            f"{where}: the value opens with neither the old nor the new key; nothing was lost, "
            "the rotation stopped here"
        )

    def _suspend_triggers(self, table: str) -> list[str]:
        """Drop the table's triggers inside the current transaction; return their SQL to restore.

        Guards such as "revisions are append-only" refuse every UPDATE, but re-sealing the same
        plaintext under a new key is the one rewrite they must let through. The triggers are
        re-created before the batch commits, so no other writer ever sees the table without them.
        """
        found = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
        ).fetchall()
        for name, _sql in found:
            self.conn.execute(f"DROP TRIGGER {_q(name)}")
        return [sql for _name, sql in found]

    def _spec_columns(self, spec: SealedTable) -> tuple[str, ...]:
        present = {name for name, _ in self.columns.get(spec.table, [])}
        return tuple(c for c in spec.sealed_columns if c in present)

    def rotate_table(self, spec: SealedTable, marker: dict[str, Any]) -> int:
        columns = self._spec_columns(spec)
        if spec.table in marker["done"] or not columns:
            return 0
        keys = spec.key_columns
        key_list = ", ".join(_q(k) for k in keys)
        select = f"SELECT {key_list}, {', '.join(_q(c) for c in columns)} FROM {_q(spec.table)}"
        after = marker["after"] if marker["table"] == spec.table else None
        total = 0
        while True:
            conditions = [f"({spec.where})"] if spec.where else []
            params: tuple = ()
            if after is not None:
                conditions.append(f"({key_list}) > ({', '.join('?' for _ in keys)})")
                params = tuple(after)
            sql = select + (" WHERE " + " AND ".join(conditions) if conditions else "")
            sql += f" ORDER BY {key_list} LIMIT {int(self.batch_size)}"
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                rows = self.conn.execute(sql, params).fetchall()
                triggers = self._suspend_triggers(spec.table) if rows else []
                for row in rows:
                    key = dict(zip(keys, row[: len(keys)], strict=True))
                    for column, value in zip(columns, row[len(keys) :], strict=True):
                        if value is None:
                            continue
                        where = f"{spec.table}.{column} at {key}"
                        sealed = self._reseal(value, spec.context(key, column), where)
                        if sealed is not None:
                            match = " AND ".join(f"{_q(k)} = ?" for k in keys)
                            self.conn.execute(
                                f"UPDATE {_q(spec.table)} SET {_q(column)} = ? WHERE {match}",
                                (sealed, *row[: len(keys)]),
                            )
                for trigger_sql in triggers:
                    self.conn.execute(trigger_sql)
                if rows:
                    after = list(rows[-1][: len(keys)])
                    marker.update(table=spec.table, after=after)
                else:
                    marker["done"].append(spec.table)
                    marker.update(table=None, after=None)
                self._save_marker(marker)
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            if not rows:
                return total
            total += len(rows)
            if self.on_batch is not None:
                self.on_batch(spec.table, total)

    # -- files --------------------------------------------------------------------------------
    def _files(self, spec: SealedFiles) -> list[tuple[Path, str]]:
        root = self.data_dir / spec.directory
        if not root.is_dir():
            return []
        return [
            (path, path.relative_to(root).as_posix())
            for path in sorted(root.glob(spec.pattern))
            if path.is_file() and not path.name.endswith(".rotating")
        ]

    def rotate_files(self, spec: SealedFiles) -> int:
        count = 0
        for path, rel in self._files(spec):
            path.with_name(path.name + ".rotating").unlink(missing_ok=True)
            sealed = self._reseal(path.read_bytes(), spec.context(rel), f"file {path}")
            if sealed is None:
                continue
            temp = path.with_name(path.name + ".rotating")
            _write_secret(temp, "")  # created 0600, then filled
            with open(temp, "wb") as handle:
                handle.write(sealed)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
            count += 1
        return count

    # -- check --------------------------------------------------------------------------------
    def verify(self) -> None:
        for spec in SEALED_TABLES:
            columns = self._spec_columns(spec)
            if not columns:
                continue
            keys = spec.key_columns
            sql = (
                f"SELECT {', '.join(_q(k) for k in keys)}, "
                f"{', '.join(_q(c) for c in columns)} FROM {_q(spec.table)}"
            )
            if spec.where:
                sql += f" WHERE {spec.where}"
            for row in self.conn.execute(sql):
                key = dict(zip(keys, row[: len(keys)], strict=True))
                for column, value in zip(columns, row[len(keys) :], strict=True):
                    if value is not None:
                        try:
                            self.new.open(value, spec.context(key, column))
                        except KeyProblem:
                            raise RotationError(
                                f"check failed: {spec.table}.{column} at {key} does not open "
                                "with the new key; run rotate-key again"
                            ) from None
        for spec in SEALED_FILES:
            for path, rel in self._files(spec):
                try:
                    self.new.open(path.read_bytes(), spec.context(rel))
                except KeyProblem:
                    raise RotationError(f"check failed: file {path} does not open") from None


def rotate_key(
    settings: Settings,
    *,
    batch_size: int = BATCH_SIZE,
    on_batch: BatchHook | None = None,
) -> RotationResult:
    """Rotate the master key, or finish a rotation that was interrupted."""
    data_dir = settings.data_dir
    db_path = data_dir / DB_FILE_NAME
    if not db_path.exists():
        raise RotationError(f"there is no database at {db_path}: nothing to rotate")
    key_path = data_dir / KEY_FILE_NAME
    pending_path = data_dir / PENDING_FILE_NAME
    current = Cipher(load_or_create_key(data_dir, settings.key, True, settings.key_origin))
    conn = _lock(db_path)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        newest = max(v for v, _, _ in MIGRATIONS)
        if version > newest:
            raise RotationError(
                f"the database has schema version {version}, newer than this bot knows ({newest}): "
                "rotate with the newer bot, which knows all its sealed columns"
            )
        unlisted = unlisted_sealed_columns(conn)
        if unlisted:
            raise RotationError(
                "these columns hold binary values that bot/store/sealed.py does not list, so "
                f"rotation would leave them under the old key: {', '.join(unlisted)}"
            )
        probe = _Rotation(conn, data_dir, None, current, batch_size, on_batch)
        marker = probe.marker() if "meta" in probe.columns else None
        pending = (
            Cipher(decode_key(pending_path.read_text(encoding="ascii"), str(pending_path)))
            if pending_path.exists()
            else None
        )
        old: Cipher | None = current
        if marker is None and pending is None:
            new_key = secrets.token_bytes(KEY_BYTES)
            _write_secret(pending_path, encode_key(new_key) + "\n")
            new = Cipher(new_key)
        elif marker is None and pending is not None:
            new = pending
            if new.fingerprint == current.fingerprint:
                # SAFETY_BOT_KEY now holds the new key: the rotation is complete
                pending_path.unlink()
                return RotationResult(None, new.fingerprint, already_done=True)
        elif marker is not None and pending is not None:
            new = pending
            if marker["new"] != new.fingerprint:
                raise RotationError(
                    f"{pending_path} does not hold the key this rotation started with "
                    f"(key id {marker['new']}); restore the right file"
                )
            if current.fingerprint == new.fingerprint:
                old = None  # the old key is gone: only already re-sealed values can be opened
            elif marker["old"] != current.fingerprint:
                raise RotationError(
                    f"the current key (id {current.fingerprint}) is not the one this rotation "
                    f"started from (id {marker['old']})"
                )
        else:
            assert marker is not None
            if current.fingerprint != marker["new"]:
                raise RotationError(
                    f"a key rotation had started but its new key ({pending_path}) is missing. "
                    "Values already re-sealed cannot be read without it: restore that file, then "
                    "run rotate-key again"
                )
            new, old = current, None  # switched already; finish the check and the marker
        work = _Rotation(conn, data_dir, old, new, batch_size, on_batch)
        old_id = old.fingerprint if old else (marker or {}).get("old")
        result = RotationResult(old_id, new.fingerprint)
        if marker is None:
            marker = work.start_marker()
        for spec in SEALED_TABLES:
            if spec.table in work.columns:
                result.resealed[spec.table] = work.rotate_table(spec, marker)
        for files in SEALED_FILES:
            result.files += work.rotate_files(files)
        work.verify()
        if settings.key:
            result.pending_path = pending_path  # the operator moves it into SAFETY_BOT_KEY
        elif pending_path.exists():
            os.replace(pending_path, key_path)
            _fsync_dir(data_dir)
            result.switched = True
        else:
            result.switched = True  # renamed before an interruption
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM meta WHERE name = ?", (MARKER,))
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # old page images leave the WAL
        return result
    finally:
        conn.close()


def describe(result: RotationResult, settings: Settings) -> str:
    if result.already_done:
        return (
            f"The rotation is complete: {settings.key_origin} holds the new key "
            f"(id {result.new_id}). "
            f"Removed {settings.data_dir / PENDING_FILE_NAME}."
        )
    counts = ", ".join(f"{t} {n}" for t, n in result.resealed.items())
    lines = [
        f"Re-sealed under the new key (id {result.new_id}): rows checked {counts}; files {result.files}."
    ]
    if result.switched:
        lines.append(
            f"{settings.data_dir / KEY_FILE_NAME} now holds the new key. Back it up now, "
            "separately from the database backups. Backups made before today still need the old "
            f"key (id {result.old_id}): keep it with them, or make a new backup and retire them."
        )
    else:
        lines.append(
            f"The new key is in {result.pending_path}. Put its contents into "
            f"{settings.key_origin}, "
            "restart the bot, then run `safety-bot rotate-key` once more to delete that file. "
            "Until then the bot refuses to start with the old key."
        )
    return "\n".join(lines)
