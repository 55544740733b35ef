"""Doctor's checks of the database, opened read-only: integrity, schema, key, inbox, diaries."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.ops.doctor.report import FAIL, OK, WARN, Report
from bot.settings import Settings
from bot.store.crypto import Cipher, KeyProblem
from bot.store.db import DB_FILE_NAME
from bot.store.incidents import doctor_chain_report
from bot.store.keys import CHECK_PLAINTEXT
from bot.store.migrations import MIGRATIONS

ROTATION_MARKER = "key_rotation"  # meta row present while a rotation is unfinished


def open_readonly(db_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path.resolve().as_uri() + "?mode=ro", uri=True, timeout=5)
    conn.execute("PRAGMA query_only = ON")
    return conn


def check_database(
    settings: Settings, report: Report, cipher: Cipher | None, quick: bool = False
) -> None:
    db_path = settings.data_dir / DB_FILE_NAME
    if not db_path.exists():
        report.add(OK, "database", "none yet: created (and migrated) on first start")
        return
    try:
        conn = open_readonly(db_path)
    except sqlite3.Error as exc:
        report.add(FAIL, "database", f"{db_path} cannot be opened: {exc}")
        return
    try:
        if quick:  # a healthcheck: the file opens and its schema reads (no full scan)
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            report.add(OK, "database", f"{db_path} opens ({tables} schema entries)")
        else:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
            result = "; ".join(str(r[0]) for r in rows[:5])
            if result != "ok":
                report.add(FAIL, "database", f"{db_path}: PRAGMA integrity_check: {result}")
                return
            report.add(OK, "database", f"{db_path}: PRAGMA integrity_check ok")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        newest = max(v for v, _, _ in MIGRATIONS)
        if version > newest:
            report.add(
                FAIL,
                "database",
                f"schema version {version} is newer than this bot knows ({newest}): upgrade the bot",
            )
        elif version < newest:
            report.add(
                OK, "database", f"schema version {version}; start-up migrates it to {newest}"
            )
        else:
            report.add(OK, "database", f"schema version {version} (current)")
        _check_key_opens(conn, report, cipher)
        if not quick:
            _check_inbox(conn, report)
            _check_journal_chains(conn, report, cipher)
    except sqlite3.Error as exc:
        report.add(FAIL, "database", f"{db_path}: {exc}")
    finally:
        conn.close()


def _check_inbox(conn: sqlite3.Connection, report: Report) -> None:
    """Updates accepted from Telegram and not yet handled (bot/store/inbox.py)."""
    try:
        waiting, tries = conn.execute(
            "SELECT COUNT(*), COALESCE(MAX(attempts), 0) FROM inbox"
        ).fetchone()
    except sqlite3.Error:
        return  # an older schema: no inbox yet
    if not waiting:
        report.add(OK, "inbox", "no updates waiting")
    elif tries:
        report.add(
            WARN,
            "inbox",
            f"{waiting} update(s) waiting, some already retried {tries} time(s) after a crash; "
            "each is dropped after 3 (look for crashes in the log)",
        )
    else:
        report.add(
            OK,
            "inbox",
            f"{waiting} update(s) accepted but not handled when the bot last stopped: the next "
            "start handles them",
        )


def _check_journal_chains(conn: sqlite3.Connection, report: Report, cipher: Cipher | None) -> None:
    """Every user's diary against its keyed hash chain (bot/store/incidents/chain.py)."""
    if cipher is None:
        return
    for status, message in doctor_chain_report(conn, cipher):
        report.add({"ok": OK, "warn": WARN}.get(status, FAIL), "journal", message)


def _check_key_opens(conn: sqlite3.Connection, report: Report, cipher: Cipher | None) -> None:
    try:
        rows = dict(conn.execute("SELECT name, value FROM meta").fetchall())
    except sqlite3.Error:
        return  # not migrated yet: nothing sealed
    if ROTATION_MARKER in rows:
        report.add(
            FAIL,
            "key",
            "a key rotation is unfinished: the bot will not start until `safety-bot rotate-key` "
            "finishes it",
        )
    check = rows.get("key_check")
    if check is None or cipher is None:
        return
    try:
        opened = cipher.open(check, b"meta:key_check") == CHECK_PLAINTEXT
    except KeyProblem:
        opened = False
    if opened:
        report.add(OK, "key", f"the key opens this database (key id {cipher.fingerprint})")
    elif ROTATION_MARKER not in rows:
        report.add(
            FAIL,
            "key",
            "the key does not open this database: it was created with another key. Use the key "
            "from when it was created (SAFETY_BOT_KEY or the key file from your backup)",
        )
