"""The incident journal: a diary of incidents, kept encrypted, good enough to hand to the police.

`register(registry)` adds the journal's flow actions, commands (/record, /log, /incidents,
/export, /delete_my_data), its `j:` buttons, and the fallbacks that offer to keep unexpected
text and files. Storage is `bot.store.incidents`; the words are in `content/journal.yaml`; the
guided record is `flows/record_incident.yaml` and additions `flows/incident_details.yaml`.
"""

from __future__ import annotations

from bot.engine.actions import Registry
from bot.engine.slots import slot_type
from bot.journal import handlers
from bot.store.incidents import register_sealed


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
    registry.command("delete_my_data")(handlers.delete_command)
    registry.button(handlers.PREFIX)(handlers.button_handler)
    registry.text_fallback = handlers.text_fallback
    registry.attachment_handler = handlers.attachment_handler
    register_sealed()


__all__ = ["register"]
