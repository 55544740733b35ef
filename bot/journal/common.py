"""What every part of the journal shares: its flows' names, its store and limits, its words, the
answers of a draft, and the one rule for a save that failed (`saving`).

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
from typing import Any

from bot.content.catalog import Catalog
from bot.engine.actions import ActionFailed
from bot.engine.engine import Turn
from bot.flows.model import Step
from bot.journal.limits import JournalLimits
from bot.store.incidents import IncidentStore, NotFound

log = logging.getLogger("bot.journal")

RECORD = "record_incident"  # the guided record (flows/record_incident.yaml)
DETAILS = "incident_details"  # adding to a saved incident (flows/incident_details.yaml)
VIEW_FIELD_LIMIT = 700  # characters of one field shown in the chat; the export has it whole
FUTURE_SLACK = dt.timedelta(minutes=5)  # a clock a little ahead is not "in the future"


# ---------------------------------------------------------------------- the store and limits


def store_of(turn: Turn) -> IncidentStore:
    """The incident repository, made once from the app's services."""
    services = turn.services
    store = services.get("incidents")
    if store is None:
        store = IncidentStore(services["db"], services["cipher"], services["settings"].data_dir)
        services["incidents"] = store
    return store


def limits_of(turn: Turn) -> JournalLimits:
    """The operator's limits (from the environment once, unless a test put its own)."""
    limits = turn.services.get("journal_limits")
    if limits is None:
        limits = turn.services["journal_limits"] = JournalLimits.from_env()
    return limits


# ---------------------------------------------------------------------- words


def catalog_of(turn: Turn) -> Catalog:
    return turn.engine.catalog


def text(turn: Turn, key: str, **values: str) -> str:
    return catalog_of(turn).text(key, values)


def count(turn: Turn, key: str, number: int) -> str:
    """A number with its words from content: "1 incident", "2 incidents"."""
    return catalog_of(turn).count(key, number)


def short(words: str, limit: int = VIEW_FIELD_LIMIT) -> str:
    return words if len(words) <= limit else words[:limit].rstrip() + "…"


# ---------------------------------------------------------------------- where the person is


def current_step(turn: Turn) -> Step | None:
    """The step the person is on, or None (outside every flow, or a step that is gone)."""
    flow = turn.place.flow
    machine = turn.engine.machines.get(flow) if flow else None
    return machine.flow.steps.get(turn.place.step or "") if machine is not None else None


# ---------------------------------------------------------------------- a flow's answers


def set_slot(turn: Turn, flow: str, name: str, value: Any, display: str) -> None:
    turn.place.slots.setdefault(flow, {})[name] = {"v": value, "d": display}


def value(turn: Turn, flow: str, name: str) -> Any:
    entry = turn.place.slots.get(flow, {}).get(name)
    return entry["v"] if entry else None


def record_slots(turn: Turn) -> dict[str, dict[str, Any]]:
    """The guided record's answers (created empty when there are none)."""
    return turn.place.slots.setdefault(RECORD, {})


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
