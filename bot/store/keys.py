"""Binding the master key to the database: a check value, and the key for user pseudonyms.

The pseudonym key is random and stored sealed under the master key, so rotating the master key
re-seals it without changing any user's pseudonym.
"""

from __future__ import annotations

import secrets

from bot.store.crypto import KEY_BYTES, Cipher, KeyProblem
from bot.store.db import Database

CHECK_PLAINTEXT = b"safety-bot key check v1"


async def unlock(db: Database, cipher: Cipher) -> bytes:
    """Check the key against the database (first run: record it); return the pseudonym key."""
    rows = dict(
        await db.fetchall(
            "SELECT name, value FROM meta WHERE name IN ('key_check', 'ref_key', 'key_rotation')"
        )
    )
    if "key_rotation" in rows:  # written by `safety-bot rotate-key` until it finishes
        raise KeyProblem(
            f"a key rotation of {db.path} is unfinished: run `safety-bot rotate-key` to finish it"
        )
    if not rows:
        ref_key = secrets.token_bytes(KEY_BYTES)
        async with db.transaction() as conn:
            # OR IGNORE: another process starting at once may have recorded its values first;
            # theirs are then the ones read below (they were sealed under the same key file)
            await conn.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES ('key_check', ?), ('ref_key', ?)",
                (
                    cipher.seal(CHECK_PLAINTEXT, b"meta:key_check"),
                    cipher.seal(ref_key, b"meta:ref_key"),
                ),
            )
        rows = dict(
            await db.fetchall("SELECT name, value FROM meta WHERE name IN ('key_check', 'ref_key')")
        )
    try:
        if cipher.open(rows["key_check"], b"meta:key_check") != CHECK_PLAINTEXT:
            raise KeyProblem("bad check value")
        return cipher.open(rows["ref_key"], b"meta:ref_key")
    except (KeyProblem, KeyError):
        raise KeyProblem(
            f"the encryption key does not open the database {db.path}: it was created with another "
            "key. Use the key from when it was created (SAFETY_BOT_KEY or the key file)."
        ) from None
