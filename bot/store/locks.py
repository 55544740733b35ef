"""The journal lock's records: one sealed row per user who set a PIN (table `journal_locks`).

Everything about a lock is one sealed JSON value: the PIN's scrypt salt and digest, the wrong
tries, the lockout and a planned erasure. The database file shows only that a pseudonym has a
lock. Whether a journal is open is not stored at all: it lives in memory (bot/journal/lock.py),
so a restart closes every journal.

The PIN is checked with scrypt (`cryptography`), n = 2**15, r = 8, p = 1: 32 MiB and about
0.1-0.3 s a try on one core. That is what makes each guess cost something; the lockout (five
wrong tries, then 15 minutes, doubling) is what stops guessing through the chat. A 4-digit PIN
cannot resist someone who has both the database and the master key: the PIN guards the chat,
the master key guards the disk. Derivations run in two threads of their own, so a burst of PIN
tries neither blocks the event loop nor takes 32 MiB per waiting user.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hmac
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from bot.store.crypto import Cipher
from bot.store.db import Database
from bot.store.sealed import SealedTable

SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
DIGEST_BYTES = 32
MAX_DERIVING = 2
# its own two threads: a burst of PIN tries waits here, not in the loop's default executor
_deriving = ThreadPoolExecutor(max_workers=MAX_DERIVING, thread_name_prefix="pin-scrypt")


def lock_context(user_ref: str) -> bytes:
    return f"journal_lock:{user_ref}".encode()


def _derive_now(pin: str, salt: bytes, n: int) -> bytes:
    kdf = Scrypt(salt=salt, length=DIGEST_BYTES, n=n, r=SCRYPT_R, p=SCRYPT_P)
    return kdf.derive(pin.encode("utf-8"))


async def derive(pin: str, salt: bytes, n: int = SCRYPT_N) -> bytes:
    """The scrypt digest of a PIN, computed in one of the PIN threads."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_deriving, _derive_now, pin, salt, n)


def new_salt() -> bytes:
    return os.urandom(SALT_BYTES)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text)


def _moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat() if moment else None


@dataclass(slots=True)
class LockRecord:
    """One user's lock: the PIN's digest and what guards it."""

    salt: bytes
    digest: bytes
    n: int = SCRYPT_N
    failures: int = 0  # wrong tries since the last lockout or the last right PIN
    lockouts: int = 0  # lockouts in a row: each one lasts twice the one before
    locked_until: dt.datetime | None = None
    erase_at: dt.datetime | None = None  # a forgotten PIN: everything goes at this moment

    @classmethod
    async def for_pin(cls, pin: str) -> LockRecord:
        salt = new_salt()
        return cls(salt=salt, digest=await derive(pin, salt))

    async def matches(self, pin: str) -> bool:
        return hmac.compare_digest(await derive(pin, self.salt, self.n), self.digest)

    def to_json(self) -> str:
        return json.dumps(
            {
                "salt": _b64(self.salt),
                "digest": _b64(self.digest),
                "n": self.n,
                "failures": self.failures,
                "lockouts": self.lockouts,
                "locked_until": _iso(self.locked_until),
                "erase_at": _iso(self.erase_at),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> LockRecord:
        raw = json.loads(text)
        return cls(
            salt=_unb64(raw["salt"]),
            digest=_unb64(raw["digest"]),
            n=int(raw.get("n", SCRYPT_N)),
            failures=int(raw.get("failures", 0)),
            lockouts=int(raw.get("lockouts", 0)),
            locked_until=_moment(raw.get("locked_until")),
            erase_at=_moment(raw.get("erase_at")),
        )


class LockStore:
    """Reads and writes lock records; knows which users have one without reading them all."""

    def __init__(self, db: Database, cipher: Cipher) -> None:
        self.db = db
        self.cipher = cipher
        self._refs: set[str] | None = None  # users with a lock, loaded on first use

    async def has_lock(self, user_ref: str) -> bool:
        if self._refs is None:
            rows = await self.db.fetchall("SELECT user_ref FROM journal_locks")
            self._refs = {str(row[0]) for row in rows}
        return user_ref in self._refs

    async def get(self, user_ref: str) -> LockRecord | None:
        if not await self.has_lock(user_ref):
            return None
        row = await self.db.fetchone(
            "SELECT body FROM journal_locks WHERE user_ref = ?", (user_ref,)
        )
        if row is None:
            return None
        return LockRecord.from_json(self.cipher.open_text(row[0], lock_context(user_ref)))

    async def put(self, user_ref: str, record: LockRecord) -> None:
        """Returns once committed."""
        sealed = self.cipher.seal_text(record.to_json(), lock_context(user_ref))
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO journal_locks (user_ref, body) VALUES (?, ?) "
                "ON CONFLICT(user_ref) DO UPDATE SET body = excluded.body",
                (user_ref, sealed),
            )
        if self._refs is not None:
            self._refs.add(user_ref)

    async def delete(self, user_ref: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM journal_locks WHERE user_ref = ?", (user_ref,))
        if self._refs is not None:
            self._refs.discard(user_ref)

    async def erasures_due(self, now: dt.datetime) -> list[str]:
        """Users whose planned erasure has come (every lock is opened: there are few)."""
        rows = await self.db.fetchall("SELECT user_ref, body FROM journal_locks")
        due = []
        for user_ref, body in rows:
            record = LockRecord.from_json(self.cipher.open_text(body, lock_context(user_ref)))
            if record.erase_at is not None and record.erase_at <= now:
                due.append(str(user_ref))
        return due


# Where locks are sealed: declared on the registry by bot/journal/lock.py (`registry.seal`).
LOCK_TABLE = SealedTable(
    "journal_locks", ("user_ref",), ("body",), lambda row, column: lock_context(row["user_ref"])
)
