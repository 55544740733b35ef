"""Every `j:` button the person presses: decoded once (bot/journal/buttons.py), then one table
says which handler takes each kind. Buttons about a saved incident get the incident itself,
already checked against its owner; a forged or foreign id reads as "not found", a malformed or
unknown button as "that was an old button".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.engine.actions import ActionFailed
from bot.engine.turn import Turn
from bot.journal import browsing, capture, drafting, erasing, files
from bot.journal import buttons as jb
from bot.journal.common import store_of
from bot.store.incidents import Incident, NotFound

Handler = Callable[[Turn, Any], Awaitable[None]]
IncidentHandler = Callable[[Turn, Incident], Awaitable[None]]


HANDLERS: dict[type[jb.JournalButton], Handler] = {
    jb.ListPage: browsing.user_turns_a_page,
    jb.KnownPerson: drafting.user_picks_a_known_person,
    jb.SaveOffered: capture.user_answers_the_offer,
    jb.DeclineOffer: capture.user_answers_the_offer,
    jb.FileToNew: files.user_starts_a_record_with_a_file,
    jb.FileTo: files.user_puts_a_file_into_an_incident,
    jb.DropFile: files.user_drops_a_file,
    jb.DeleteYes: erasing.user_deletes_everything,
    jb.DeleteNo: erasing.user_keeps_everything,
}
# Buttons about one saved incident: the handler is given the incident, found for its owner.
ON_AN_INCIDENT: dict[type[jb.AboutAnIncident], IncidentHandler] = {
    jb.OpenIncident: browsing.user_opens_an_incident,
    jb.AddNote: browsing.user_adds_a_note,
    jb.AddPolice: browsing.user_adds_a_police_reference,
    jb.Correct: browsing.user_corrects_an_incident,
    jb.ChangeWhen: browsing.user_changes_when,
}


async def user_presses_a_journal_button(turn: Turn) -> None:
    button = jb.decode(turn.event.data)
    try:
        if button is None:
            await _not_a_button(turn)
        elif isinstance(button, jb.AboutAnIncident):
            await _on_an_incident(turn, button)
        else:
            await HANDLERS[type(button)](turn, button)
    except ActionFailed as failed:  # a save that failed (common.saving): said, nothing lost
        turn.say(failed.content_key)


async def _not_a_button(turn: Turn) -> None:
    if jb.code_of(turn.event.data) in jb.ABOUT_AN_INCIDENT:
        await _not_found(turn)  # a forged incident id: as a foreign one
        return
    turn.say("journal.stale")
    await turn.show_current()


async def _on_an_incident(turn: Turn, button: jb.AboutAnIncident) -> None:
    try:
        incident = await store_of(turn).get(turn.user_ref, button.incident_id)
    except NotFound:
        await _not_found(turn)
        return
    await ON_AN_INCIDENT[type(button)](turn, incident)


async def _not_found(turn: Turn) -> None:
    turn.say("journal.not_found")
    await browsing.show_list(turn, 0)


def saying_what_failed(
    handler: Callable[[Turn], Awaitable[None]],
) -> Callable[[Turn], Awaitable[None]]:
    """A command that saves: a failed save (common.saving) is said, and nothing else happens."""

    async def said(turn: Turn) -> None:
        try:
            await handler(turn)
        except ActionFailed as failed:
            turn.say(failed.content_key)

    return said
