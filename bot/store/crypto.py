"""Encryption at rest: AES-256-GCM for every field a user writes and every file they send.

The master key comes from `SAFETY_BOT_KEY` (base64), from the file `SAFETY_BOT_KEY_FILE` names
(kept outside the data dir: systemd `LoadCredential`, Docker secrets), or from a key file created
in the data dir on first run (mode 0600, fsynced with its folder before first use). Users are stored under a keyed hash of their channel id, so the database file alone does
not reveal who uses the bot.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
KEY_FILE_NAME = "secret.key"


class KeyProblem(Exception):
    """The key is missing, malformed or does not open this database. Message is user-facing."""


class _Nonces:
    """Random 96-bit nonces, read from the OS in blocks (one syscall per 1,024 seals, not one each)."""

    BLOCK = 1024

    def __init__(self) -> None:
        self._buffer = b""
        self._offset = 0

    def take(self) -> bytes:
        if self._offset >= len(self._buffer):
            self._buffer = secrets.token_bytes(NONCE_BYTES * self.BLOCK)
            self._offset = 0
        start = self._offset
        self._offset += NONCE_BYTES
        return self._buffer[start : start + NONCE_BYTES]


class Cipher:
    """Seals and opens small values; `context` binds a value to where it belongs (e.g. its row)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise KeyProblem(f"the encryption key must be {KEY_BYTES} bytes, got {len(key)}")
        self._aead = AESGCM(key)
        self._nonces = _Nonces()
        self.fingerprint = hashlib.sha256(b"safety-bot key id" + key).hexdigest()[:16]

    def seal(self, plaintext: bytes, context: bytes = b"") -> bytes:
        nonce = self._nonces.take()
        return nonce + self._aead.encrypt(nonce, plaintext, context)

    def open(self, sealed: bytes, context: bytes = b"") -> bytes:
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)
        except InvalidTag:
            raise KeyProblem("a stored value could not be decrypted with this key") from None

    def seal_text(self, text: str, context: bytes = b"") -> bytes:
        return self.seal(text.encode("utf-8"), context)

    def open_text(self, sealed: bytes, context: bytes = b"") -> str:
        return self.open(sealed, context).decode("utf-8")


def user_ref(ref_key: bytes, user_id: str) -> str:
    """A stable pseudonym for a channel user id (HMAC-SHA256, 128 bits, hex)."""
    return hmac.new(ref_key, user_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def decode_key(text: str, origin: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (ValueError, TypeError):
        raise KeyProblem(f"{origin} is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise KeyProblem(f"{origin} must decode to {KEY_BYTES} bytes (got {len(raw)})")
    return raw


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii").rstrip("=")


def load_or_create_key(
    data_dir: Path,
    env_value: str | None,
    database_exists: bool,
    origin: str = "SAFETY_BOT_KEY",
) -> bytes:
    """The master key: from the settings (`SAFETY_BOT_KEY`, or the file `SAFETY_BOT_KEY_FILE`
    names, read into `env_value` by bot.settings), else the key file, else a new key file.

    A new key is never created over an existing database: without its key the data is unreadable,
    and a new key would hide that instead of saying it.
    """
    if env_value:
        return decode_key(env_value, origin)
    path = data_dir / KEY_FILE_NAME
    if path.exists():
        return _read_key_file(path)
    if database_exists:
        raise KeyProblem(
            f"the database in {data_dir} exists but its key is missing (no SAFETY_BOT_KEY, no "
            f"SAFETY_BOT_KEY_FILE and no {path}). The data cannot be read without it: restore "
            "the key from your backup."
        )
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return create_key_file(path)


def _read_key_file(path: Path) -> bytes:
    return decode_key(path.read_text(encoding="ascii"), str(path))


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (a new or renamed file's name) survive a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create_key_file(path: Path) -> bytes:
    """A new key in `path` (0600), on disk before it is used; the key in it if another process
    made it first.

    Two processes starting at once on a new data dir must end with one key. Each writes its own
    key to a private temporary file and fsyncs it, then hard-links it to the key's name: the link
    fails if the name exists, so exactly one key wins, and the name never shows a half-written
    key. The loser reads the winner's key. The folder is fsynced before the key is used, so a
    power cut cannot leave a database sealed under a key whose file is gone.
    """
    key = secrets.token_bytes(KEY_BYTES)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(encode_key(key) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
            won = True
        except FileExistsError:
            won = False
        except OSError:  # a filesystem without hard links (some network or container volumes)
            won = _create_in_place(path, key)
    finally:
        temporary.unlink(missing_ok=True)
    fsync_dir(path.parent)
    return key if won else _read_complete_key_file(path)


def _create_in_place(path: Path, key: bytes) -> bool:
    """Without hard links: create the name exclusively and write into it (True if this won)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(encode_key(key) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return True


def _read_complete_key_file(path: Path, attempts: int = 100) -> bytes:
    """The winner's key. With hard links it is whole as soon as its name exists; without them
    (`_create_in_place`) the winner may still be writing it, so wait a little for it."""
    for _ in range(attempts - 1):
        try:
            return _read_key_file(path)
        except KeyProblem:
            time.sleep(0.02)
    return _read_key_file(path)
