"""Loading a user's incidents: rows, revisions opened and checked one by one, and files.

Each entry is checked on its own as it loads (its MAC, and that its sealed body opens under its
own row's context); the links between entries and the chain's head are checked by
`JournalChain.verify` (the list, /export, doctor).
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections.abc import Sequence
from typing import Any

from bot.store.crypto import Cipher, KeyProblem
from bot.store.db import Database
from bot.store.incidents.chain import entry_mac
from bot.store.incidents.files import FILE_COLUMNS, EvidenceFiles
from bot.store.incidents.records import Incident, Revision, revision_context


class IncidentLoader:
    """Reads one user's incidents, `where` narrowing them (SQL on the alias `i`)."""

    __slots__ = ("db", "cipher", "files", "key", "user_ref")

    def __init__(
        self, db: Database, cipher: Cipher, files: EvidenceFiles, key: bytes, user_ref: str
    ) -> None:
        self.db = db
        self.cipher = cipher
        self.files = files
        self.key = key
        self.user_ref = user_ref

    async def load(self, where: str, params: tuple[Any, ...]) -> list[Incident]:
        heads = await self.db.fetchall(
            f"SELECT i.id, i.number, i.recorded_at FROM incidents i "
            f"WHERE i.user_ref = ? {where} ORDER BY i.number",
            (self.user_ref, *params),
        )
        if not heads:
            return []
        incidents = {
            int(r[0]): Incident(int(r[0]), int(r[1]), dt.datetime.fromisoformat(r[2]))
            for r in heads
        }
        # Revisions and files of exactly these incidents (by the owner's ref, as every query).
        scope: str = ""
        scope_params: tuple[int, ...] = ()
        if where:
            marks = ",".join("?" * len(incidents))
            scope, scope_params = f"AND incident_id IN ({marks})", tuple(incidents)
        revisions = await self.db.fetchall(
            f"SELECT incident_id, revision, recorded_at, kind, body, seq, prev, mac "
            f"FROM incident_revisions WHERE user_ref = ? {scope} ORDER BY incident_id, revision",
            (self.user_ref, *scope_params),
        )
        recorded = {int(r[0]): str(r[2]) for r in heads}  # as stored: the MAC covers the text
        for row in revisions:
            incident = incidents.get(int(row[0]))
            if incident is not None:
                self._revision(incident, recorded[incident.id], row)
        for incident in incidents.values():
            numbers = [r.revision for r in incident.revisions]
            if numbers != list(range(1, len(numbers) + 1)):
                incident.problems.append("a revision is missing or out of order")
        files = await self.db.fetchall(
            f"SELECT {FILE_COLUMNS} FROM incident_files "
            f"WHERE user_ref = ? AND incident_id IS NOT NULL {scope} ORDER BY added_at, id",
            (self.user_ref, *scope_params),
        )
        for row in files:
            stored = self.files.decode(self.user_ref, row)
            if stored.incident_id in incidents:
                incidents[stored.incident_id].files.append(stored)
        return list(incidents.values())

    def _revision(self, incident: Incident, inc_recorded: str, row: Sequence[Any]) -> None:
        """Check one revision's MAC, open its body, and add it (or a problem) to `incident`."""
        incident_id, revision, recorded_at, kind, sealed, seq, prev, mac = row
        if mac is None or seq is None:
            incident.problems.append(f"revision {revision} is outside the chain")
        elif not hmac.compare_digest(
            str(mac),
            entry_mac(
                self.key,
                self.user_ref,
                int(seq),
                int(incident_id),
                incident.number,
                inc_recorded,
                int(revision),
                str(recorded_at),
                str(kind),
                bytes(sealed),
                str(prev or ""),
            ),
        ):
            incident.problems.append(f"revision {revision} was changed outside the bot")
        try:
            body = json.loads(
                self.cipher.open(
                    sealed, revision_context(self.user_ref, int(incident_id), int(revision))
                )
            )
        except KeyProblem:  # copied from another row: it does not open here
            incident.problems.append(f"revision {revision} does not belong here")
            return
        incident.revisions.append(
            Revision(int(revision), kind, dt.datetime.fromisoformat(recorded_at), body)
        )
