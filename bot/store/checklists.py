"""Answered checklists (the stalking risk questions): each set kept whole, sealed and dated.

One row per time the person answered. Retaking adds a row; nothing is ever updated, so the
older sets stay as they were given. The row's id is random (62 bits, like an incident's) so an id
in a button says nothing about how many sets exist. The body (the questions as they were asked
and the answers as given) is sealed under a context that binds the owner, the id and the time
it was answered: a body moved to another row, another user or another date does not open.

The table is migration 20 (`bot/store/migrations.py`). Nothing here imports the engine.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.store.crypto import Cipher
from bot.store.db import Database
from bot.store.sealed import SealedTable


def checklist_context(user_ref: str, checklist_id: int, answered_at: str) -> bytes:
    return f"checklist:{user_ref}:{checklist_id}:{answered_at}".encode()


# Where the answered checklists are sealed: declared on the registry by bot/risk (`registry.seal`).
CHECKLIST_TABLE = SealedTable(
    "checklists",
    ("user_ref", "id", "answered_at"),
    ("body",),
    lambda row, column: checklist_context(row["user_ref"], int(row["id"]), row["answered_at"]),
)


@dataclass(frozen=True, slots=True)
class Answer:
    question: str  # the question as it was asked
    answer: str  # the answer as given ("Yes", "No", "Not sure", "Skipped")


@dataclass(frozen=True, slots=True)
class Checklist:
    id: int
    kind: str  # e.g. "sdash"
    answered_at: dt.datetime  # UTC
    answers: tuple[Answer, ...]


class ChecklistStore:
    """The answered checklists of every user, each checked against its owner."""

    def __init__(self, db: Database, cipher: Cipher) -> None:
        self.db = db
        self.cipher = cipher

    async def add(
        self, user_ref: str, kind: str, answers: list[Answer], now: dt.datetime
    ) -> Checklist:
        """Keep one answered set; returns only after the commit."""
        checklist_id = secrets.randbits(62) + 1
        answered_at = now.astimezone(dt.UTC).isoformat(timespec="seconds")
        body = json.dumps(
            {"kind": kind, "answers": [[a.question, a.answer] for a in answers]},
            ensure_ascii=False,
        ).encode()
        sealed = self.cipher.seal(body, checklist_context(user_ref, checklist_id, answered_at))
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO checklists (id, user_ref, answered_at, body) VALUES (?, ?, ?, ?)",
                (checklist_id, user_ref, answered_at, sealed),
            )
        return Checklist(checklist_id, kind, dt.datetime.fromisoformat(answered_at), tuple(answers))

    def _open(self, user_ref: str, row: Sequence[Any]) -> Checklist:
        checklist_id, answered_at, sealed = int(row[0]), str(row[1]), bytes(row[2])
        raw = json.loads(
            self.cipher.open(sealed, checklist_context(user_ref, checklist_id, answered_at))
        )
        answers = tuple(Answer(str(q), str(a)) for q, a in raw["answers"])
        return Checklist(checklist_id, raw["kind"], dt.datetime.fromisoformat(answered_at), answers)

    async def all(self, user_ref: str) -> list[Checklist]:
        """Every set of a user, oldest first."""
        rows = await self.db.fetchall(
            "SELECT id, answered_at, body FROM checklists WHERE user_ref = ? "
            "ORDER BY answered_at, id",
            (user_ref,),
        )
        return [self._open(user_ref, row) for row in rows]

    async def get(self, user_ref: str, checklist_id: int) -> Checklist | None:
        """One set, or None when it does not exist or is someone else's (never say which)."""
        row = await self.db.fetchone(
            "SELECT id, answered_at, body FROM checklists WHERE user_ref = ? AND id = ?",
            (user_ref, checklist_id),
        )
        return self._open(user_ref, row) if row else None

    async def delete_user(self, user_ref: str) -> int:
        async with self.db.transaction() as conn:
            rows = await conn.execute_fetchall(
                "DELETE FROM checklists WHERE user_ref = ? RETURNING id", (user_ref,)
            )
        return len(list(rows))
