"""Browsing saved incidents, and adding to one: the list (`/incidents`), one incident, and the
details flow's actions (flows/incident_details.yaml): a note, a police reference, a correction.

The list and one incident pass the button that shows them again (`again=`), so they join the
engine's history: Back from an incident returns to the list page it was opened from, Back from
the list to where the person was before. Every incident id is checked against its owner by the
store; a forged or foreign id reads as "not found". Every addition is a new revision: what was
written first stays.
"""

from __future__ import annotations

from typing import Any

from bot.engine.engine import Turn
from bot.engine.events import Button
from bot.journal import buttons as jb
from bot.journal import steps
from bot.journal.buttons import as_int
from bot.journal.common import (
    DETAILS,
    RECORD,
    catalog_of,
    saving,
    short,
    store_of,
    text,
    value,
)
from bot.journal.drafting import EDITING, TARGET
from bot.journal.render import (
    FIELD_TO_SLOT,
    field_text,
    incident_rows,
    phone_text,
    revision_lines,
    when_reading,
    when_with_words,
)
from bot.store.incidents import KIND_NOTE, KIND_POLICE, Incident, NotFound

PAGE_SIZE = 5

# ---------------------------------------------------------------------- the list, one incident


async def incidents_command(turn: Turn) -> None:
    """`/incidents` lists; `/incidents 3` opens incident 3."""
    typed = turn.event.args.strip()
    number = as_int(typed.lstrip("#")) if typed else None
    if number is None:
        await show_list(turn, 0)
        return
    try:
        incident = await store_of(turn).by_number(turn.user_ref, number)
    except NotFound:
        turn.say("journal.not_found")
        await show_list(turn, 0)
        return
    show_incident(turn, incident)


async def show_list(turn: Turn, page: int) -> None:
    store = store_of(turn)
    total = await store.count(turn.user_ref)
    if total == 0:
        turn.show_screen(text(turn, "journal.list_empty"), [], again=jb.data(jb.ListPage(0)))
        return
    page = max(0, min(page, (total - 1) // PAGE_SIZE))
    incidents = await store.page(turn.user_ref, page * PAGE_SIZE, PAGE_SIZE)
    catalog = catalog_of(turn)
    integrity = await store.verify(turn.user_ref)
    lines = [] if integrity.intact else [text(turn, "journal.integrity_warning")]
    first, last = page * PAGE_SIZE + 1, page * PAGE_SIZE + len(incidents)
    lines.append(
        text(turn, "journal.list_heading", first=str(first), last=str(last), total=str(total))
    )
    shown = []
    for incident in incidents:
        when = when_reading(catalog, incident.fields.get("occurred_at"))
        kind = field_text(catalog, "kind", incident.fields.get("kind"))
        lines.append(f"{incident.number}. {when}" + (f" · {kind}" if kind else ""))
        label = text(turn, "journal.btn_open", number=str(incident.number))
        shown.append(Button(label, jb.data(jb.OpenIncident(incident.id))))
    if (page + 1) * PAGE_SIZE < total:
        shown.append(Button(text(turn, "journal.btn_older"), jb.data(jb.ListPage(page + 1))))
    if page > 0:
        shown.append(Button(text(turn, "journal.btn_newer"), jb.data(jb.ListPage(page - 1))))
    turn.show_screen("\n".join(lines), shown, again=jb.data(jb.ListPage(page)))


def show_incident(turn: Turn, incident: Incident) -> None:
    catalog = catalog_of(turn)
    lines = [f"{catalog.text('journal.field_number_label')} {incident.number}"]
    if incident.problems:
        lines.insert(0, catalog.text("journal.integrity_warning"))
    for label, words in incident_rows(catalog, incident, full_hash=False):
        lines.append(f"{label}: {short(words)}")
    revisions = revision_lines(catalog, incident)
    if len(revisions) > 1:
        lines.append(f"{catalog.text('journal.field_revisions')}:")
        lines.extend(f"  {short(line, 300)}" for line in revisions)
    shown = [
        Button(text(turn, "journal.btn_add_note"), jb.data(jb.AddNote(incident.id))),
        Button(text(turn, "journal.btn_add_police"), jb.data(jb.AddPolice(incident.id))),
        Button(text(turn, "journal.btn_correct"), jb.data(jb.Correct(incident.id))),
        Button(text(turn, "journal.btn_list"), jb.data(jb.ListPage(0))),
    ]
    turn.show_screen("\n".join(lines), shown, again=jb.data(jb.OpenIncident(incident.id)))


async def user_turns_a_page(turn: Turn, button: jb.ListPage) -> None:
    await show_list(turn, button.page)


async def user_opens_an_incident(turn: Turn, incident: Incident) -> None:
    show_incident(turn, incident)


async def user_adds_a_note(turn: Turn, incident: Incident) -> None:
    await _open_details(turn, incident, steps.ASK_NOTE)


async def user_adds_a_police_reference(turn: Turn, incident: Incident) -> None:
    await _open_details(turn, incident, steps.ASK_POLICE_REF)


async def user_corrects_an_incident(turn: Turn, incident: Incident) -> None:
    turn.place.data[TARGET] = incident.id
    await journal_start_correction(turn)


async def user_changes_when(turn: Turn, incident: Incident) -> None:
    """ "Change when" after a quick save: a correction of that one answer."""
    turn.place.data[TARGET] = incident.id
    await journal_start_correction(turn)
    turn.place.data[EDITING] = True
    await turn.go(RECORD, steps.ASK_WHEN, fresh=False)


# ---------------------------------------------------------------------- the details flow


async def _target(turn: Turn) -> Incident | None:
    """The incident the details flow works on, checked against its owner."""
    target = turn.place.data.get(TARGET)
    if target is None:
        return None
    try:
        return await store_of(turn).get(turn.user_ref, int(target))
    except NotFound:
        turn.place.data.pop(TARGET, None)
        return None


async def _no_target(turn: Turn) -> None:
    turn.say("journal.no_target")
    await turn.go("menu")


def _details_of(turn: Turn, incident: Incident) -> None:
    turn.place.slots[DETAILS] = {"_number": {"v": incident.number, "d": str(incident.number)}}


async def _open_details(turn: Turn, incident: Incident, step: str) -> None:
    turn.place.data[TARGET] = incident.id
    _details_of(turn, incident)
    await turn.go(DETAILS, step, fresh=False)


async def journal_details_begin(turn: Turn) -> None:
    incident = await _target(turn)
    if incident is None:
        await _no_target(turn)
        return
    _details_of(turn, incident)


async def journal_save_note(turn: Turn) -> None:
    incident = await _target(turn)
    if incident is None:
        await _no_target(turn)
        return
    note = value(turn, DETAILS, "note")
    if isinstance(note, dict):  # a shared location as a note
        note = field_text(catalog_of(turn), "place", note)
    with saving("saving a note"):
        await store_of(turn).add_revision(
            turn.user_ref, incident.id, KIND_NOTE, {"text": str(note or "")}, now=turn.now
        )
    turn.place.slots.get(DETAILS, {}).pop("note", None)


async def journal_save_police(turn: Turn) -> None:
    incident = await _target(turn)
    if incident is None:
        await _no_target(turn)
        return
    details = turn.place.slots.get(DETAILS, {})
    reference = value(turn, DETAILS, "reference")
    officer = value(turn, DETAILS, "officer")
    details.pop("reference", None)
    details.pop("officer", None)
    if not reference and not officer:
        turn.say("journal.nothing_added")
        await turn.go(DETAILS, steps.CHOOSE, fresh=False)
        return
    body = {"reference": str(reference or ""), "officer": str(officer or "")}
    with saving("saving a police reference"):
        await store_of(turn).add_revision(
            turn.user_ref, incident.id, KIND_POLICE, body, now=turn.now
        )


async def journal_start_correction(turn: Turn) -> None:
    """Load the incident's current answers into a draft and show its summary to change."""
    incident = await _target(turn)
    if incident is None:
        await _no_target(turn)
        return
    catalog = catalog_of(turn)
    slots: dict[str, dict[str, Any]] = {
        "_correcting": {"v": incident.id, "d": str(incident.number)},
    }
    for name, stored in incident.fields.items():
        slot = FIELD_TO_SLOT.get(name)
        if slot is None:
            continue
        if name == "caller_number":
            display = phone_text(stored)
        elif name == "occurred_at":
            display = when_with_words(catalog, stored)
        else:
            display = field_text(catalog, name, stored)
        slots[slot] = {"v": stored, "d": display}
    turn.place.slots[RECORD] = slots
    turn.place.data.pop(EDITING, None)
    await turn.go(RECORD, steps.SUMMARY, fresh=False)
