"""The journal's keyed hash chain, checked: pure functions shared by the bot and `doctor`.

Every revision is an entry in a keyed hash chain per user (migration 5). Its MAC (HMAC-SHA256
under a key derived from the pseudonym key) covers the user, the entry's place in the chain
(`seq`), the incident's id, number and recorded time, the revision's number, time and kind, the
SHA-256 of its sealed body, and the previous entry's MAC; the chain's head (newest seq and MAC)
is sealed in `journal_chains`. So a field edited in the file, rows swapped, a time moved back, or
an entry deleted (in the middle or the newest) shows up in `check_chain`, which loading, /export
and `safety-bot doctor` all use. What it cannot see: the whole database replaced by an older
copy of itself, and rows written before the chain was built (migration 5 chains what it finds,
once, and marks the chains as built). Writing the chain is `ledger.py`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.store.crypto import Cipher
from bot.store.incidents.records import head_context

CHAIN_BUILT = "*"  # the journal_chains row that says the chains were built (migration 5)

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


def chain_key(ref_key: bytes) -> bytes:
    return hmac.new(ref_key, b"safety-bot journal chain v1", hashlib.sha256).digest()


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


@dataclass(slots=True)
class _ChainWalk:
    """One pass over a user's chain in seq order, collecting what does not fit."""

    key: bytes
    user_ref: str
    prev: str = ""
    expected_seq: int = 1
    seen_revisions: dict[int, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def entry(self, row: Sequence[Any]) -> None:
        seq, stored_prev, mac, incident_id, number, inc_recorded, revision, recorded, kind, body = (
            row
        )
        label = f"entry {seq if seq is not None else '?'}"
        if number is not None:
            label += f" (incident {number}, revision {revision})"
        if mac is None or seq is None:
            self.problems.append(f"{label} is outside the chain (added behind the bot's back)")
            return
        self._place(int(seq), label)
        if number is None:
            self.problems.append(f"{label}: its incident was deleted")
            self.prev = mac
            return
        if stored_prev != self.prev and not self.problems:
            self.problems.append(f"{label} is out of order")
        want = entry_mac(
            self.key,
            self.user_ref,
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
            self.problems.append(f"{label} was changed (a time, number, kind, order or content)")
        last = self.seen_revisions.get(int(incident_id), 0)
        if int(revision) != last + 1:
            self.problems.append(f"{label}: revisions of incident {number} are not in order")
        self.seen_revisions[int(incident_id)] = int(revision)
        self.prev = str(mac)

    def _place(self, seq: int, label: str) -> None:
        """Entries deleted before this one, or this one seen twice."""
        if seq > self.expected_seq:
            missing = seq - self.expected_seq
            self.problems.append(
                f"{missing} entr{'y' if missing == 1 else 'ies'} before {label} "
                "are missing (deleted)"
            )
        elif seq < self.expected_seq:
            self.problems.append(f"{label} appears twice")
        self.expected_seq = seq + 1

    def head(self, cipher: Cipher, head: bytes | None, any_rows: bool) -> str:
        """Check the sealed head against the newest entry; returns the head's MAC ("" if none)."""
        if head is None:
            if any_rows:
                self.problems.append("the chain's head is missing")
            return ""
        head_seq, head_mac = 0, ""
        try:
            opened = json.loads(cipher.open(bytes(head), head_context(self.user_ref)))
            head_seq, head_mac = int(opened["seq"]), str(opened["mac"])
        except Exception:  # noqa: BLE001 - a forged or moved head
            self.problems.append("the chain's head was changed")
        newest = self.expected_seq - 1
        if head_seq == newest and head_mac == self.prev:
            return head_mac
        if head_seq > newest:
            gone = head_seq - newest
            self.problems.append(
                f"the newest {gone} entr{'y was' if gone == 1 else 'ies were'} deleted"
            )
        elif not self.problems:
            self.problems.append("the chain's head does not match its newest entry")
        return head_mac


def check_chain(
    key: bytes,
    cipher: Cipher,
    user_ref: str,
    rows: Sequence[Sequence[Any]],
    head: bytes | None,
    orphans: Sequence[Sequence[Any]] = (),
) -> tuple[str, list[str]]:
    """(fingerprint, problems) of one user's chain. Problems name entries, never contents."""
    walk = _ChainWalk(key, user_ref)
    for row in rows:
        walk.entry(row)
    for (number,) in orphans:
        walk.problems.append(f"incident {number} has no first record (deleted)")
    head_mac = walk.head(cipher, head, bool(rows))
    return fingerprint_text(head_mac or walk.prev or "0" * 32), walk.problems


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
