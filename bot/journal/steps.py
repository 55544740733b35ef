"""The steps of the journal's flows that its code sends people to or reads, named once.

A step renamed in flows/record_incident.yaml or flows/incident_details.yaml but not here would
send the person to the menu without a word. `declare` tells the registry (`needs_steps`), and
`load_project` refuses a flow set that lacks one, naming the flow file and the line of `declare`
below (tests/test_journal_steps.py renames one to prove it). The kinds of incident and the
answers that can be changed are the flow's own choices, read from it, not repeated here.
"""

from __future__ import annotations

from bot.engine.actions import Registry
from bot.journal.common import DETAILS, RECORD
from bot.journal.render import FIELD_ROWS

# record_incident
SUMMARY = "summary"  # the draft's summary: after a change, a resume, a correction's start
ASK_KIND = "ask_kind"  # its choices are the kinds of incident (the chart's order and colours)
ASK_WHO = "ask_who"  # "Do you know who it is?" (people named before are offered there)
AFTER_WHO = "after_who"
ASK_WHEN = "ask_when"  # "Change when" after a quick save
ASK_EVIDENCE = "ask_evidence"  # "Change: evidence"
CHANGE_WHICH = "change_which"  # its choices are the answers that can be changed
# Questions that fit only some kinds of incident (asked for every kind when none was given);
# one skipped goes on to the step after it, `after_<slot>`.
SEEN = {"followed", "turned_up", "damage", "other"}
ASKED_FOR: dict[str, set[str]] = {
    "ask_person": SEEN,
    "ask_vehicle": SEEN,
    "ask_number": {"call", "message", "other"},
    "ask_account": {"social_media", "email", "message", "other"},
}
# Steps where a file sent is not added to the draft (it is saved or gone): offered instead.
NOT_IN_A_DRAFT = ("saved", "discarded", "save", "discard")

# incident_details
CHOOSE = "choose"
ASK_NOTE = "ask_note"
ASK_POLICE_REF = "ask_police_ref"


def ask(slot: str) -> str:
    """The question that collects `slot` (a changed answer goes back to it)."""
    return f"ask_{slot}"


def after(slot: str) -> str:
    """The step after the question that collects `slot` (a question skipped goes there)."""
    return f"after_{slot}"


def declare(registry: Registry) -> None:
    record = (
        SUMMARY,
        ASK_KIND,
        ASK_WHO,
        AFTER_WHO,
        ASK_WHEN,
        ASK_EVIDENCE,
        CHANGE_WHICH,
        *(ask(slot) for _, _, slot in FIELD_ROWS),
        *ASKED_FOR,
        *(after(step.removeprefix("ask_")) for step in ASKED_FOR),
        *NOT_IN_A_DRAFT,
    )
    registry.needs_steps(RECORD, *dict.fromkeys(record))  # each once, in this order
    registry.needs_steps(DETAILS, CHOOSE, ASK_NOTE, ASK_POLICE_REF)
