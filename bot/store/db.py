"""The database: one SQLite file in WAL mode, opened with aiosqlite.

One aiosqlite connection does not isolate concurrent coroutines' transactions, so every write
goes through `transaction()`: a lock, `BEGIN IMMEDIATE`, then commit, or rollback on any
exception (cancellation included). Commits use `synchronous=FULL`: when the bot tells a user
something was saved, it survives a crash and a power cut.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import aiosqlite

from bot import metrics
from bot.store.migrations import MIGRATIONS

DB_FILE_NAME = "safety-bot.db"
BUSY_TIMEOUT_MS = 5000


class StoreError(Exception):
    """A storage problem to report in one line (e.g. a database from a newer version)."""


PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA secure_delete = ON",
)


async def _execute_when_unlocked(conn: aiosqlite.Connection, sql: str, patience_s: float) -> None:
    """Run `sql`, retrying while another connection's write lock is in the way.

    SQLite does not call the busy handler where waiting could deadlock: switching a new file to
    WAL while another process holds a write lock (its first migration) fails at once with
    "database is locked", whatever `busy_timeout` says. Six processes starting together on a
    new data dir met this about one run in twenty; they now wait up to the same busy timeout.
    """
    deadline = time.monotonic() + patience_s
    pause = 0.005
    while True:
        try:
            await conn.execute(sql)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.1)


class Database:
    def __init__(self, path: Path, conn: aiosqlite.Connection) -> None:
        self.path = path
        self.conn = conn
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Database:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            for pragma in PRAGMAS:
                await _execute_when_unlocked(conn, pragma, busy_timeout_ms / 1000)
            db = cls(path, conn)
            await db._migrate()
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        await self.conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction at a time; commit on success, roll back on anything else."""
        async with self._write_lock:
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:  # busy past the timeout, disk I/O, read-only file
                metrics.storage_failed(exc)
                raise
            except asyncio.CancelledError:
                # the BEGIN still runs in the database thread: end it, or the next one fails
                await asyncio.shield(self._rollback_quietly())
                raise
            try:
                yield self.conn
            except BaseException as exc:
                metrics.storage_failed(exc)
                # shield: a cancelled caller must still leave the connection clean
                await asyncio.shield(self.conn.execute("ROLLBACK"))
                raise
            else:
                try:
                    await asyncio.shield(self.conn.execute("COMMIT"))
                except asyncio.CancelledError:
                    # the caller was cancelled, not the COMMIT: it runs on in the database
                    # thread, before anything queued after it. Rolling back here would fail.
                    raise
                except BaseException as exc:
                    metrics.storage_failed(exc)
                    if self.conn.in_transaction:
                        await asyncio.shield(self.conn.execute("ROLLBACK"))
                    raise

    async def checkpoint(self) -> None:
        """Copy the WAL into the database and truncate it, so deleted pages leave no old copy."""
        # The write lock keeps this out of any open transaction on the shared connection.
        async with self._write_lock:
            await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def _rollback_quietly(self) -> None:
        try:
            await self.conn.execute("ROLLBACK")
        except sqlite3.OperationalError:
            pass  # the BEGIN had failed (e.g. busy): there was nothing to roll back

    # Reads use `execute_fetchall`: one trip to the database thread instead of three (execute,
    # fetch, close), which halved the cost of a journal screen. Queries here return few rows.
    # Rows are plain tuples: no row_factory is set (aiosqlite's types say sqlite3.Row).
    async def fetchone(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return cast("list[tuple[Any, ...]]", list(await self.conn.execute_fetchall(sql, params)))

    async def user_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        current = await self.user_version()
        newest = max(v for v, _, _ in MIGRATIONS)
        if current > newest:
            raise StoreError(
                f"{self.path} has schema version {current}, newer than this bot knows ({newest}); "
                "upgrade the bot instead of downgrading"
            )
        for version, _title, statements in MIGRATIONS:
            if version <= current:
                continue
            async with self.transaction() as conn:
                # another process starting at once on a new data dir may have applied it while
                # this one waited for the write lock
                if await self.user_version() >= version:
                    continue
                for statement in statements:
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {int(version)}")

    async def integrity_check(self) -> str:
        row = await self.fetchone("PRAGMA integrity_check")
        return str(row[0]) if row else "no answer"
