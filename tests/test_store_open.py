"""Opening the database while another process writes to it: WAL is switched on, or the open
fails with SQLite's own error after the busy timeout, never at once.

The lock below is the one that broke CI about one run in twenty (six processes starting on a new
data dir, `tests/test_key_file.py`): a write transaction on a file not yet in WAL mode. SQLite
answers `PRAGMA journal_mode = WAL` there with "database is locked" at once, without calling
its busy handler, so `busy_timeout` alone does not help.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store.db import Database


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection holding a write lock on a new, not-yet-WAL database file."""
    conn = sqlite3.connect(tmp_path / "new.db", isolation_level=None, check_same_thread=False)
    conn.execute("CREATE TABLE earlier (x)")
    conn.execute("BEGIN IMMEDIATE")
    yield conn
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    conn.close()


def test_sqlite_refuses_wal_at_once_under_a_writer(
    writer: sqlite3.Connection, tmp_path: Path
) -> None:
    # the hazard itself: if SQLite ever waits here, the retry in Database.open is dead weight
    other = sqlite3.connect(tmp_path / "new.db", isolation_level=None)
    other.execute("PRAGMA busy_timeout = 60000")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("PRAGMA journal_mode = WAL")
    other.close()


async def test_open_waits_for_the_writer_then_switches_to_wal(
    writer: sqlite3.Connection, tmp_path: Path
) -> None:
    # the writer finishes a moment after the open begins; the open must outlast it. An asyncio
    # sleep, not a threading.Timer: under libfaketime (.ci/run's second pass) the timer's
    # condition wait never returned and the worker hung.
    opening = asyncio.create_task(Database.open(tmp_path / "new.db", busy_timeout_ms=10_000))
    await asyncio.sleep(0.3)
    assert not opening.done()  # still waiting on the writer, not failed
    writer.execute("ROLLBACK")
    db = await opening
    try:
        assert (await db.fetchone("PRAGMA journal_mode")) == ("wal",)
        assert await db.user_version() > 0  # and the migrations ran after it
    finally:
        await db.close()


async def test_open_gives_up_after_the_busy_timeout(
    writer: sqlite3.Connection, tmp_path: Path
) -> None:
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        await Database.open(tmp_path / "new.db", busy_timeout_ms=100)
