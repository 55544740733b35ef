"""`safety-bot backup PATH`: a consistent copy of the database, safe while the bot runs.

SQLite's online backup API copies the whole database in one step inside one read transaction:
in WAL mode the bot keeps writing meanwhile, and the copy is the database as of one commit.
The copy is written beside its destination, checked with `PRAGMA integrity_check`, made a
single self-contained file (journal_mode DELETE, mode 0600), then renamed into place.

The key is not in the backup, on purpose: a backup that leaks is unreadable without the key, so
the two are kept in different places.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from bot.ops.doctor import open_readonly
from bot.settings import Settings
from bot.store.crypto import Cipher, KeyProblem, load_or_create_key
from bot.store.db import DB_FILE_NAME
from bot.store.keys import CHECK_PLAINTEXT
from bot.store.sealed import SealedData


class BackupError(Exception):
    """The backup could not be made; the message says why."""


@dataclass
class BackupResult:
    path: Path
    size: int
    tables: dict[str, int]
    key_id: str | None  # fingerprint of the key that opens the copy, when the key is at hand
    files_dir: Path | None = None
    files: int = 0
    notes: list[str] = field(default_factory=list)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _destination(given: str | Path) -> Path:
    """Where the copy goes. A folder (one that exists, or a path ending in /) gets a dated file
    in it, and is created (0700) if missing. A missing path without a file suffix is refused:
    it could be either, and guessing wrong would write a file named like the folder."""
    text = str(given)
    dest = Path(text).expanduser()
    as_folder = text.endswith(("/", os.sep))
    if as_folder and not dest.is_dir():
        if dest.exists():
            raise BackupError(f"{dest} is a file, not a folder")
        try:
            dest.mkdir(parents=True, mode=0o700)
        except OSError as exc:
            raise BackupError(f"the folder {dest} could not be created: {exc.strerror}") from None
    if dest.is_dir():
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        return dest / f"safety-bot-{stamp}.db"
    if not dest.exists() and not dest.suffix:
        raise BackupError(
            f"{dest} does not exist. To back up into a new folder, end the path with / "
            f"({dest}/); to write one file, give it a name such as {dest}.db"
        )
    return dest


def backup_database(
    settings: Settings, dest: str | Path, sealed: SealedData, *, force: bool = False
) -> BackupResult:
    """Copy the database to `dest` (checked), and the folders of sealed files `sealed` lists."""
    db_path = settings.data_dir / DB_FILE_NAME
    if not db_path.exists():
        raise BackupError(f"there is no database to back up at {db_path}")
    dest = _destination(dest)
    if dest.resolve() == db_path.resolve():
        raise BackupError("the backup path is the live database itself")
    if dest.exists() and not force:
        raise BackupError(f"{dest} exists; choose another path or add --force to replace it")
    if not dest.parent.is_dir():
        raise BackupError(f"the folder {dest.parent} does not exist")
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        src = open_readonly(db_path)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # pages=-1: everything in one step, one consistent snapshot
            finally:
                dst.close()
        finally:
            src.close()
        dst = sqlite3.connect(partial, isolation_level=None)
        try:
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the copy failed its integrity check: {check}")
            tables = {
                name: dst.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                for (name,) in dst.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            }
            meta = _meta(dst)
        finally:
            dst.close()
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, dest)
        _fsync_dir(dest.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    result = BackupResult(dest, dest.stat().st_size, tables, None)
    if dest.resolve().is_relative_to(settings.data_dir.resolve()):
        result.notes.append(
            f"this copy is inside the data dir ({settings.data_dir}): it sits beside the key and "
            "is lost with the disk. Move it elsewhere, and next time back up to another disk"
        )
    _note_key(settings, meta, result)
    _copy_sealed_files(settings, dest, sealed, result)
    return result


def _meta(conn: sqlite3.Connection) -> dict[str, object]:
    try:
        return dict(conn.execute("SELECT name, value FROM meta").fetchall())
    except sqlite3.Error:
        return {}


def _note_key(settings: Settings, meta: dict[str, object], result: BackupResult) -> None:
    if "key_rotation" in meta:
        result.notes.append(
            "a key rotation was unfinished when this copy was taken: restoring it needs both the "
            "old and the new key; finish the rotation and back up again"
        )
    check = meta.get("key_check")
    try:
        cipher = Cipher(
            load_or_create_key(settings.data_dir, settings.key, True, settings.key_origin)
        )
    except KeyProblem:
        result.notes.append("the key was not found, so the copy could not be checked against it")
        return
    if not isinstance(check, bytes):
        return
    try:
        if cipher.open(check, b"meta:key_check") == CHECK_PLAINTEXT:
            result.key_id = cipher.fingerprint
    except KeyProblem:
        result.notes.append("the current key does not open this copy")


def _copy_sealed_files(
    settings: Settings, dest: Path, sealed: SealedData, result: BackupResult
) -> None:
    """Sealed files (e.g. journal attachments) go beside the copy, after it: every file a row in
    the copy refers to was written before that row committed, so it is there to copy."""
    files_dir = dest.with_name(dest.name + ".files")
    count = 0
    for spec in sealed.files:
        root = settings.data_dir / spec.directory
        if not root.is_dir():
            continue
        for source in sorted(root.glob(spec.pattern)):
            if not source.is_file():
                continue
            target = files_dir / spec.directory / source.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                shutil.copy2(source, target)
            except FileNotFoundError:  # deleted since the snapshot (a user erased their data)
                continue
            os.chmod(target, 0o600)
            count += 1
    if count:
        os.chmod(files_dir, 0o700)
        result.files_dir, result.files = files_dir, count


def describe(result: BackupResult, settings: Settings) -> str:
    counts = ", ".join(f"{name} {n}" for name, n in result.tables.items())
    lines = [
        f"Backed up the database to {result.path} ({result.size} bytes; rows: {counts}).",
        "The copy passed PRAGMA integrity_check.",
    ]
    if result.files_dir:
        lines.append(f"Copied {result.files} sealed file(s) to {result.files_dir}.")
    lines.extend(f"Note: {note}" for note in result.notes)
    where = (
        settings.key_origin
        if settings.key
        else str(settings.data_dir / "secret.key") + " (the key file)"
    )
    key_id = f" (key id {result.key_id})" if result.key_id else ""
    lines.append(
        f"The encryption key is NOT in the backup. Without it the backup cannot be read: keep a "
        f"copy of the key from {where}{key_id} somewhere else than the backup."
    )
    return "\n".join(lines)
