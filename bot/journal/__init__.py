"""The incident journal: a diary of incidents, kept encrypted, good enough to hand to the police.

`register(registry)` adds the journal's flow actions, commands (/record, /log, /incidents,
/export, /delete_my_data), its `j:` buttons, and the fallbacks that offer to keep unexpected
text and files. Storage is `bot.store.incidents`; the words are in `content/journal.yaml`; the
guided record is `flows/record_incident.yaml` and additions `flows/incident_details.yaml`.

What the journal lock (`bot.journal.lock`, /lock) guards is declared with the registry
(`registry.private`): here, reading the list or an incident, exporting, adding to a saved
incident, deleting; other features declare theirs (the risk check's answered checklists).
`guard(registry)`, called after every feature registered, puts all of it behind the lock.
Recording something new is never behind it.

Where things are (one concern per module):
- drafting.py: the guided record's actions, from a fresh draft to the saved incident;
- capture.py: /log, and the offer to keep typed or forwarded text;
- files.py: photos, documents, voice notes and videos;
- browsing.py: the list, one incident, and the details flow (note, police reference, correction);
- erasing.py: /delete_my_data and erase_everything; export.py: /export (diary_pdf.py with
  diary_chart.py, diary_csv.py lay the diary out; render.py says each field in words);
- buttons.py: the `j:` button data (one dataclass per kind); pressing.py: which handler takes each;
- steps.py: the steps of the flows the code depends on (checked when the flows load);
- state.py: what the journal keeps per person (its typed section of the place);
- common.py: the services, a draft's answers, and `saving`, the one rule for a failed save;
- when.py reads when it happened from the person's words (`read_when`), taking the phrase apart
  with when_pieces.py and when_words.py into a `When` (when_value.py);
- lock.py (the gate), lock_pin.py (the PIN prompt, /lock), lock_state.py: the journal lock;
- limits.py: the operator's limits; handlers.py: what bot/ask uses of the journal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.engine.actions import Registry
from bot.engine.place import Place
from bot.engine.slots import slot_type
from bot.engine.turn import Turn
from bot.journal import browsing, capture, drafting, erasing, export, files, lock, pressing, steps
from bot.journal import buttons as jb
from bot.journal.common import DETAILS, INCIDENTS, LIMITS, RECORD, SWEEPS, DraftSweeps
from bot.journal.limits import JournalLimits
from bot.journal.lock_state import LOCK_STORE
from bot.store.incidents import JOURNAL_FILES, JOURNAL_TABLES


def _on_a_saved_incident(place: Place) -> bool:
    """Adding to or correcting a saved incident (its answers are on screen)."""
    if place.flow == DETAILS:
        return True
    return place.flow == RECORD and place.slot(RECORD, "_correcting") is not None


erase_everything = erasing.erase_everything  # the forgotten-PIN erasure uses it

# the list, one incident, a note, a police reference, a correction, delete (both answers: the
# question says how many incidents), a file into a saved incident
PRIVATE_BUTTONS = tuple(
    f"{jb.PREFIX}{code}:"
    for code in (
        jb.ListPage.code,
        jb.OpenIncident.code,
        jb.AddNote.code,
        jb.AddPolice.code,
        jb.Correct.code,
        jb.DeleteYes.code.split(":")[0],
        jb.FileTo.code,
    )
)


def register(registry: Registry) -> None:
    """Add everything the journal offers to the registry."""
    actions = {
        "journal_begin": drafting.journal_begin,
        "journal_resume": drafting.journal_resume,
        "journal_start_again": drafting.journal_start_again,
        "journal_continue": drafting.journal_continue,
        "journal_who": drafting.journal_who,
        "journal_when_understood": drafting.journal_when_understood,
        "journal_change": drafting.journal_change,
        "journal_summary": drafting.journal_summary,
        "save_incident": drafting.save_incident,
        "journal_discard": drafting.journal_discard,
        "journal_details_begin": browsing.journal_details_begin,
        "journal_save_note": browsing.journal_save_note,
        "journal_save_police": browsing.journal_save_police,
        "journal_start_correction": browsing.journal_start_correction,
    }
    slot_type("when")(drafting.parse_when_answer)
    for name, action in actions.items():
        registry.action(name)(action)
    steps.declare(registry)  # a flow set without them does not load
    # the incident store (INCIDENTS) is built in bot/app.py, which has the database
    registry.provide(LIMITS, JournalLimits.from_env())
    registry.provide(SWEEPS, DraftSweeps())
    registry.on_erase(erasing.erase_journal)  # first: the journal goes before the rest
    registry.after_erase.append(erasing.scrub)  # last: the freed pages are overwritten
    registry.command_opens_flow("record", RECORD)
    registry.command("log")(pressing.saying_what_failed(capture.log_command))
    registry.command("incidents")(browsing.incidents_command)
    registry.command("export")(export.export_command)
    registry.command("delete_my_data", menu_rank=80)(erasing.delete_command)
    registry.button(jb.PREFIX)(pressing.user_presses_a_journal_button)
    registry.text_fallback = capture.text_fallback
    registry.attachment_handler = files.attachment_handler
    registry.on_cancel.append(drafting.journal_discard)  # /cancel: a draft's files go at once
    registry.private(
        commands=("incidents", "export", "delete_my_data"),
        buttons=PRIVATE_BUTTONS,
        place=_on_a_saved_incident,
    )
    registry.seal(tables=JOURNAL_TABLES, files=(JOURNAL_FILES,))


def guard(registry: Registry) -> None:
    """Put what every feature declared private behind the journal lock, and add /lock. Call it
    after every feature registered: it wraps the handlers registered by then."""
    lock.register(registry, erase_everything)


async def on_open(services: Registry, turn_for: Callable[[str], Turn], now: dt.datetime) -> None:
    """At start-up: carry out planned erasures (forgotten PINs) that came due while stopped
    (`turn_for`: a turn of no event for a person, `Engine.turn_without_event`)."""
    await lock.sweep(services, turn_for, now)


__all__ = ["INCIDENTS", "LOCK_STORE", "guard", "on_open", "register"]
