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
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.engine.actions import Registry
from bot.engine.engine import Place
from bot.engine.slots import slot_type
from bot.journal import handlers, lock
from bot.store.incidents import register_sealed

if TYPE_CHECKING:
    from bot.engine.engine import Engine


def _on_a_saved_incident(place: Place) -> bool:
    """Adding to or correcting a saved incident (its answers are on screen)."""
    if place.flow == handlers.DETAILS:
        return True
    return place.flow == handlers.RECORD and "_correcting" in place.slots.get(handlers.RECORD, {})


erase_everything = handlers.erase_everything  # the forgotten-PIN erasure uses it


P = handlers.PREFIX
# the list, one incident, a note, a police reference, a correction, delete, file to incident
PRIVATE_BUTTONS = (f"{P}l:", f"{P}v:", f"{P}n:", f"{P}p:", f"{P}c:", f"{P}d:", f"{P}f:to:")


def register(registry: Registry) -> None:
    """Add everything the journal offers to the registry."""
    actions = {
        "journal_begin": handlers.journal_begin,
        "journal_resume": handlers.journal_resume,
        "journal_start_again": handlers.journal_start_again,
        "journal_continue": handlers.journal_continue,
        "journal_who": handlers.journal_who,
        "journal_when_understood": handlers.journal_when_understood,
        "journal_change": handlers.journal_change,
        "journal_summary": handlers.journal_summary,
        "save_incident": handlers.save_incident,
        "journal_discard": handlers.journal_discard,
        "journal_details_begin": handlers.journal_details_begin,
        "journal_save_note": handlers.journal_save_note,
        "journal_save_police": handlers.journal_save_police,
        "journal_start_correction": handlers.journal_start_correction,
    }
    slot_type("when")(handlers.parse_when_answer)
    for name, action in actions.items():
        registry.action(name)(action)
    registry.command_opens_flow("record", handlers.RECORD)
    registry.command("log")(handlers.log_command)
    registry.command("incidents")(handlers.incidents_command)
    registry.command("export")(handlers.export_command)
    registry.command("delete_my_data", menu_rank=80)(handlers.delete_command)
    registry.button(handlers.PREFIX)(handlers.button_handler)
    registry.text_fallback = handlers.text_fallback
    registry.attachment_handler = handlers.attachment_handler
    registry.on_cancel.append(handlers.journal_discard)  # /cancel: a draft's files go at once
    registry.private(
        commands=("incidents", "export", "delete_my_data"),
        buttons=PRIVATE_BUTTONS,
        place=_on_a_saved_incident,
    )
    register_sealed()


def guard(registry: Registry) -> None:
    """Put what every feature declared private behind the journal lock, and add /lock. Call it
    after every feature registered: it wraps the handlers registered by then."""
    lock.register(registry, erase_everything)


async def on_open(engine: Engine) -> None:
    """At start-up: carry out planned erasures (forgotten PINs) that came due while stopped."""
    await lock.sweep(engine)


__all__ = ["guard", "on_open", "register"]
