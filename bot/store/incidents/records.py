"""What the journal stores, as the rest of the bot sees it: kinds, fields, records, errors.

Also the AEAD contexts every sealed value of the journal is bound to (its owner, incident,
revision or file): a value copied to another row or file does not open there. Key rotation
(`bot/store/sealed.py`) reseals with the same contexts, so they never change.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FILES_DIR_NAME = "attachments"
MAX_FILE_BYTES = 20 * 1024 * 1024  # the Telegram Bot API lets bots download up to 20 MB

KIND_ORIGINAL = "original"
KIND_CORRECTION = "correction"
KIND_NOTE = "note"
KIND_POLICE = "police"
REVISION_KINDS = (KIND_ORIGINAL, KIND_CORRECTION, KIND_NOTE, KIND_POLICE)

# The fields of an incident, in the order a diary shows them.
FIELDS = (
    "kind",
    "who",
    "occurred_at",
    "place",
    "description",
    "person",
    "vehicle",
    "caller_number",
    "account",
    "witnesses",
    "effect",
    "forwarded_from",
    "forwarded_date",
    "source",
)


class NotFound(Exception):
    """No such incident or file for this user (it may exist for someone else: never say so)."""


class FileTooLarge(Exception):
    """A file over MAX_FILE_BYTES."""


def revision_context(user_ref: str, incident_id: int, revision: int) -> bytes:
    return f"incident:{user_ref}:{incident_id}:{revision}".encode()


def file_meta_context(user_ref: str, file_id: int) -> bytes:
    return f"file-meta:{user_ref}:{file_id}".encode()


def file_relpath(user_ref: str, file_id: int) -> str:
    return f"{user_ref}/{file_id}.bin"


def file_context(relpath: str) -> bytes:
    return f"attachment:{relpath}".encode()


def head_context(user_ref: str) -> bytes:
    return f"journal-chain:{user_ref}".encode()


def _now_iso(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).isoformat(timespec="seconds")


def _random_id() -> int:
    return secrets.randbits(62) + 1  # positive, fits SQLite's signed 64-bit INTEGER


def _dumps(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class Revision:
    revision: int
    kind: str
    recorded_at: dt.datetime
    body: dict[str, Any]


@dataclass(frozen=True)
class StoredFile:
    id: int
    incident_id: int | None
    added_at: dt.datetime
    size: int
    kind: str
    file_name: str
    mime_type: str
    sha256: str
    forwarded_from: str | None = None
    forwarded_date: str | None = None


@dataclass
class Incident:
    id: int
    number: int
    recorded_at: dt.datetime
    revisions: list[Revision] = field(default_factory=list)
    files: list[StoredFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # changes made outside the bot

    @property
    def fields(self) -> dict[str, Any]:
        """The current value of every field: the original with corrections applied in order."""
        current: dict[str, Any] = {}
        for rev in self.revisions:
            if rev.kind in (KIND_ORIGINAL, KIND_CORRECTION):
                current.update(rev.body.get("fields", {}))
        return {k: v for k, v in current.items() if v not in (None, "", [])}

    @property
    def original(self) -> dict[str, Any]:
        first = next((r for r in self.revisions if r.kind == KIND_ORIGINAL), None)
        return dict(first.body.get("fields", {})) if first else {}

    @property
    def notes(self) -> list[Revision]:
        return [r for r in self.revisions if r.kind == KIND_NOTE]

    @property
    def police(self) -> list[Revision]:
        return [r for r in self.revisions if r.kind == KIND_POLICE]

    @property
    def corrections(self) -> list[Revision]:
        return [r for r in self.revisions if r.kind == KIND_CORRECTION]


@dataclass(frozen=True, slots=True)
class Integrity:
    """What the keyed hash chain says about one user's diary (see `IncidentStore.verify`)."""

    fingerprint: str  # the chain's head, grouped for reading: equal for equal diaries
    problems: tuple[str, ...] = ()

    @property
    def intact(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Saved:
    """The outcome of a save: committed before this is returned."""

    id: int
    number: int
    created: bool  # False: this draft had been saved already; nothing new was written
