"""`safety-bot rotate-key`: re-seal every sealed value and file under a new key, resumably.

How it stays safe when interrupted at any point:

1. The new key is written first, to `secret.key.new` (mode 0600, fsynced), before anything is
   re-sealed with it.
2. A marker row `key_rotation` in `meta` records both key ids and how far the work got; the bot
   refuses to start while it is there.
3. Each sealed table (`SealedData`: the store's and every feature's, from the registry) is walked in key order, in batches; each batch re-seals its
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

import os
import secrets
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.ops.rotation import (
    MARKER,
    BatchHook,
    Rotation,
    RotationError,
    _q,
    table_columns,
    write_secret,
)
from bot.settings import Settings
from bot.store.crypto import (
    KEY_BYTES,
    KEY_FILE_NAME,
    Cipher,
    decode_key,
    encode_key,
    load_or_create_key,
)
from bot.store.crypto import fsync_dir as _fsync_dir  # looked up here at the key switch
from bot.store.db import DB_FILE_NAME
from bot.store.migrations import MIGRATIONS
from bot.store.sealed import SealedData

__all__ = [
    "BATCH_SIZE",
    "MARKER",
    "PENDING_FILE_NAME",
    "BatchHook",
    "RotationError",
    "RotationResult",
    "describe",
    "rotate_key",
    "unlisted_sealed_columns",
]

PENDING_FILE_NAME = KEY_FILE_NAME + ".new"
BATCH_SIZE = 200
MIN_SEALED_BYTES = 12 + 16  # nonce + tag: anything shorter cannot be a sealed value


@dataclass
class RotationResult:
    old_id: str | None
    new_id: str
    resealed: dict[str, int] = field(default_factory=dict)
    files: int = 0
    switched: bool = False  # the key file now holds the new key
    pending_path: Path | None = None  # with SAFETY_BOT_KEY: where the new key waits
    already_done: bool = False


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


def unlisted_sealed_columns(conn: sqlite3.Connection, sealed: SealedData) -> list[str]:
    """`table.column` for every column holding binary values that `sealed` does not list."""
    specs = {spec.table: spec for spec in sealed.tables}
    found = []
    for table, columns in sorted(table_columns(conn).items()):
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


def _refuse_unknown_data(conn: sqlite3.Connection, sealed: SealedData) -> None:
    """A newer schema, or a sealed column nobody listed, would stay under the old key."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    newest = max(v for v, _, _ in MIGRATIONS)
    if version > newest:
        raise RotationError(
            f"the database has schema version {version}, newer than this bot knows ({newest}): "
            "rotate with the newer bot, which knows all its sealed columns"
        )
    unlisted = unlisted_sealed_columns(conn, sealed)
    if unlisted:
        raise RotationError(
            "these columns hold binary values that no feature declared sealed (registry.seal), so "
            f"rotation would leave them under the old key: {', '.join(unlisted)}"
        )


def _resume(
    current: Cipher, marker: dict[str, Any], pending: Cipher | None, pending_path: Path
) -> tuple[Cipher | None, Cipher]:
    """(old, new) to finish an interrupted rotation with, or RotationError if a key is wrong."""
    if pending is None:
        if current.fingerprint != marker["new"]:
            raise RotationError(
                f"a key rotation had started but its new key ({pending_path}) is missing. "
                "Values already re-sealed cannot be read without it: restore that file, then "
                "run rotate-key again"
            )
        return None, current  # switched already; finish the check and the marker
    if marker["new"] != pending.fingerprint:
        raise RotationError(
            f"{pending_path} does not hold the key this rotation started with "
            f"(key id {marker['new']}); restore the right file"
        )
    if current.fingerprint == pending.fingerprint:
        return None, pending  # the old key is gone: only already re-sealed values can be opened
    if marker["old"] != current.fingerprint:
        raise RotationError(
            f"the current key (id {current.fingerprint}) is not the one this rotation "
            f"started from (id {marker['old']})"
        )
    return current, pending


def _choose_keys(
    current: Cipher, marker: dict[str, Any] | None, pending_path: Path
) -> tuple[Cipher | None, Cipher] | RotationResult:
    """(old, new) for this run; a RotationResult when there is nothing left to do."""
    pending = (
        Cipher(decode_key(pending_path.read_text(encoding="ascii"), str(pending_path)))
        if pending_path.exists()
        else None
    )
    if marker is not None:
        return _resume(current, marker, pending, pending_path)
    if pending is None:
        new_key = secrets.token_bytes(KEY_BYTES)
        write_secret(pending_path, encode_key(new_key) + "\n")
        return current, Cipher(new_key)
    if pending.fingerprint == current.fingerprint:
        # SAFETY_BOT_KEY now holds the new key: the rotation is complete
        pending_path.unlink()
        return RotationResult(None, pending.fingerprint, already_done=True)
    return current, pending


def _switch_key(settings: Settings, result: RotationResult, pending_path: Path) -> None:
    """Put the new key in the key file (or leave it for the operator, with SAFETY_BOT_KEY)."""
    if settings.key:
        result.pending_path = pending_path  # the operator moves it into SAFETY_BOT_KEY
    elif pending_path.exists():
        os.replace(pending_path, settings.data_dir / KEY_FILE_NAME)
        _fsync_dir(settings.data_dir)
        result.switched = True
    else:
        result.switched = True  # renamed before an interruption


def rotate_key(
    settings: Settings,
    sealed: SealedData,
    *,
    batch_size: int = BATCH_SIZE,
    on_batch: BatchHook | None = None,
) -> RotationResult:
    """Rotate the master key, or finish a rotation that was interrupted."""
    data_dir = settings.data_dir
    db_path = data_dir / DB_FILE_NAME
    if not db_path.exists():
        raise RotationError(f"there is no database at {db_path}: nothing to rotate")
    pending_path = data_dir / PENDING_FILE_NAME
    current = Cipher(load_or_create_key(data_dir, settings.key, True, settings.key_origin))
    conn = _lock(db_path)
    try:
        _refuse_unknown_data(conn, sealed)
        probe = Rotation(conn, data_dir, None, current, batch_size, on_batch)
        marker = probe.marker() if "meta" in probe.columns else None
        keys = _choose_keys(current, marker, pending_path)
        if isinstance(keys, RotationResult):
            return keys
        old, new = keys
        work = Rotation(conn, data_dir, old, new, batch_size, on_batch)
        old_id = old.fingerprint if old else (marker or {}).get("old")
        result = RotationResult(old_id, new.fingerprint)
        if marker is None:
            marker = work.start_marker()
        for spec in sealed.tables:
            if spec.table in work.columns:
                result.resealed[spec.table] = work.rotate_table(spec, marker)
        for files in sealed.files:
            result.files += work.rotate_files(files)
        work.verify(list(sealed.tables), list(sealed.files))
        _switch_key(settings, result, pending_path)
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
