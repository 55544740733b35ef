"""The work of `safety-bot rotate-key` on a locked database (the driver is `bot/ops/rotate.py`).

`Rotation` keeps the marker row, re-seals each table in batches (each batch and the marker's
move in one transaction, the table's guard triggers dropped and re-created inside it), re-seals
each file beside itself and renames it over the old one, and checks that everything opens with
the new key. A value that already opens with the new key is left alone, so running it again
after a crash only finishes the work.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bot.store.crypto import Cipher, KeyProblem, fsync_dir
from bot.store.sealed import SealedFiles, SealedTable

MARKER = "key_rotation"

BatchHook = Callable[[str, int], None]  # (table, rows re-sealed so far in it), after each commit


class RotationError(Exception):
    """Rotation cannot start or go on; the message says why and what to do."""


def _q(name: str) -> str:
    """An SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def write_secret(path: Path, text: str) -> None:
    """Create `path` (mode 0600, never over an existing file) holding `text`, durably."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    fsync_dir(path.parent)


def table_columns(conn: sqlite3.Connection) -> dict[str, list[tuple[str, str]]]:
    """Every table's (column, declared type) pairs."""
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


class Rotation:
    """One rotation's work on a locked database: its marker, the tables, the files, the check."""

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
        self.columns = table_columns(conn)

    # -- the marker ---------------------------------------------------------------------------
    def marker(self) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT value FROM meta WHERE name = ?", (MARKER,)).fetchone()
        if row is None:
            return None
        value = row[0]
        marker: dict[str, Any] = json.loads(value.decode() if isinstance(value, bytes) else value)
        return marker

    def _save_marker(self, marker: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT INTO meta (name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (MARKER, json.dumps(marker)),
        )

    def start_marker(self) -> dict[str, Any]:
        marker: dict[str, Any] = {
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
            params: tuple[Any, ...] = ()
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
            write_secret(temp, "")  # created 0600, then filled
            with open(temp, "wb") as handle:
                handle.write(sealed)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
            count += 1
        return count

    # -- check --------------------------------------------------------------------------------
    def verify(self, tables: Iterable[SealedTable], folders: Iterable[SealedFiles]) -> None:
        """Every listed value and file opens with the new key, or RotationError."""
        for spec in tables:
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
        for folder in folders:
            for path, rel in self._files(folder):
                try:
                    self.new.open(path.read_bytes(), folder.context(rel))
                except KeyProblem:
                    raise RotationError(f"check failed: file {path} does not open") from None
