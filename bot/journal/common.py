"""What every part of the journal shares: its flows' names, its services (the incident store,
the operator's limits), a draft's answers, and the one rule for a save that failed (`saving`).

Everything here goes through the engine's narrow `Turn` (bot/engine/turn.py): the journal never
reaches the engine itself. The store is built once in bot/app.py and provided under `INCIDENTS`.

The rule for a save: the person is told it was NOT saved, nothing they gave is lost (the draft,
the note, the typed message stay where they were), and "Saved" is said only after the store
returned, which is after its transaction committed. Every write of the journal goes through
`saving`, so the rule is kept in one place.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bot.engine.actions import ActionFailed, ServiceKey
from bot.engine.turn import Turn
from bot.journal.limits import JournalLimits
from bot.journal.state import JOURNAL, JournalState
from bot.store.incidents import IncidentStore, NotFound

log = logging.getLogger("bot.journal")

RECORD = "record_incident"  # the guided record (flows/record_incident.yaml)
DETAILS = "incident_details"  # adding to a saved incident (flows/incident_details.yaml)
VIEW_FIELD_LIMIT = 700  # characters of one field shown in the chat; the export has it whole
FUTURE_SLACK = dt.timedelta(minutes=5)  # a clock a little ahead is not "in the future"


@dataclass(slots=True)
class DraftSweeps:
    """When this process last swept old drafts' files (at most once an hour)."""

    last: dt.datetime | None = None


# Services: the store is built in bot/app.py; the limits and the sweep clock by `register`.
INCIDENTS: ServiceKey[IncidentStore] = ServiceKey("incidents")
LIMITS: ServiceKey[JournalLimits] = ServiceKey("journal_limits")
SWEEPS: ServiceKey[DraftSweeps] = ServiceKey("journal_draft_sweeps")


def store_of(turn: Turn) -> IncidentStore:
    return turn.service(INCIDENTS)


def limits_of(turn: Turn) -> JournalLimits:
    """The operator's limits (read from the environment at start-up; a test may put its own)."""
    return turn.service(LIMITS)


def state_of(turn: Turn) -> JournalState:
    """What the journal keeps for this person between events (bot/journal/state.py)."""
    return turn.state(JOURNAL)


def short(words: str, limit: int = VIEW_FIELD_LIMIT) -> str:
    return words if len(words) <= limit else words[:limit].rstrip() + "…"


# ---------------------------------------------------------------------- a flow's answers


def value(turn: Turn, flow: str, name: str) -> Any:
    """An answer's value (None when not answered)."""
    slot = turn.slot(name, flow)
    return slot.value if slot is not None else None


def evidence_ids(turn: Turn) -> list[int]:
    """The files waiting in the draft (stored at once, linked to the incident when it is saved)."""
    return [int(i) for i in (value(turn, RECORD, "evidence") or [])]


# ---------------------------------------------------------------------- saving


@contextmanager
def saving(what: str) -> Iterator[None]:
    """Around one write to the store: if it fails, the person hears it was NOT saved
    (`ActionFailed("journal.save_failed")`), and the log names what failed, never its content.

    A missing or foreign incident (`NotFound`) and the journal's own refusals (`ActionFailed`)
    pass through as they are. The caller acknowledges only after the block: the store returns
    after its commit.
    """
    try:
        yield
    except (NotFound, ActionFailed):
        raise
    except Exception as exc:  # noqa: BLE001 - the person hears "not saved"; nothing is lost
        log.error("%s failed: %s", what, type(exc).__name__)
        raise ActionFailed("journal.save_failed") from None
