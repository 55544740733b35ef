"""Browsing saved incidents, and adding to one: the list (`/incidents`), one incident, and the
details flow's actions (flows/incident_details.yaml): a note, a police reference, a correction.

The list and one incident pass the button that shows them again (`again=`), so they join the
engine's history: Back from an incident returns to the list page it was opened from, Back from
the list to where the person was before. Every incident id is checked against its owner by the
store; a forged or foreign id reads as "not found". Every addition is a new revision: what was
written first stays.
"""

from __future__ import annotations

from bot.engine.events import Button
from bot.engine.place import Slot
from bot.engine.turn import Turn
from bot.journal import buttons as jb
from bot.journal import steps
from bot.journal.buttons import as_int
from bot.journal.common import DETAILS, RECORD, saving, short, state_of, store_of, value
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
        turn.show_screen(turn.text("journal.list_empty"), [], again=jb.data(jb.ListPage(0)))
        return
    page = max(0, min(page, (total - 1) // PAGE_SIZE))
    incidents = await store.page(turn.user_ref, page * PAGE_SIZE, PAGE_SIZE)
    catalog = turn.catalog
    integrity = await store.verify(turn.user_ref)
    lines = [] if integrity.intact else [turn.text("journal.integrity_warning")]
    first, last = page * PAGE_SIZE + 1, page * PAGE_SIZE + len(incidents)
    lines.append(
        turn.text("journal.list_heading", first=str(first), last=str(last), total=str(total))
    )
    shown = []
    for incident in incidents:
        when = when_reading(catalog, incident.fields.get("occurred_at"))
        kind = field_text(catalog, "kind", incident.fields.get("kind"))
        lines.append(f"{incident.number}. {when}" + (f" · {kind}" if kind else ""))
        label = turn.text("journal.btn_open", number=str(incident.number))
        shown.append(Button(label, jb.data(jb.OpenIncident(incident.id))))
    if (page + 1) * PAGE_SIZE < total:
        shown.append(Button(turn.text("journal.btn_older"), jb.data(jb.ListPage(page + 1))))
    if page > 0:
        shown.append(Button(turn.text("journal.btn_newer"), jb.data(jb.ListPage(page - 1))))
    turn.show_screen("\n".join(lines), shown, again=jb.data(jb.ListPage(page)))


def show_incident(turn: Turn, incident: Incident) -> None:
    catalog = turn.catalog
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
        Button(turn.text("journal.btn_add_note"), jb.data(jb.AddNote(incident.id))),
        Button(turn.text("journal.btn_add_police"), jb.data(jb.AddPolice(incident.id))),
        Button(turn.text("journal.btn_correct"), jb.data(jb.Correct(incident.id))),
        Button(turn.text("journal.btn_list"), jb.data(jb.ListPage(0))),
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
    state_of(turn).target = incident.id
    await journal_start_correction(turn)


async def user_changes_when(turn: Turn, incident: Incident) -> None:
    """ "Change when" after a quick save: a correction of that one answer."""
    state_of(turn).target = incident.id
    await journal_start_correction(turn)
    state_of(turn).editing = True
    await turn.go(RECORD, steps.ASK_WHEN, fresh=False)


# ---------------------------------------------------------------------- the details flow


async def _target(turn: Turn) -> Incident | None:
    """The incident the details flow works on, checked against its owner."""
    state = state_of(turn)
    if state.target is None:
        return None
    try:
        return await store_of(turn).get(turn.user_ref, state.target)
    except NotFound:
        state.target = None
        return None


async def _no_target(turn: Turn) -> None:
    turn.say("journal.no_target")
    await turn.go("menu")


def _details_of(turn: Turn, incident: Incident) -> None:
    turn.replace_slots(DETAILS, {"_number": Slot(incident.number, str(incident.number))})


async def _open_details(turn: Turn, incident: Incident, step: str) -> None:
    state_of(turn).target = incident.id
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
        note = field_text(turn.catalog, "place", note)
    with saving("saving a note"):
        await store_of(turn).add_revision(
            turn.user_ref, incident.id, KIND_NOTE, {"text": str(note or "")}, now=turn.now
        )
    turn.drop_slot("note", DETAILS)


async def journal_save_police(turn: Turn) -> None:
    incident = await _target(turn)
    if incident is None:
        await _no_target(turn)
        return
    reference = value(turn, DETAILS, "reference")
    officer = value(turn, DETAILS, "officer")
    turn.drop_slot("reference", DETAILS)
    turn.drop_slot("officer", DETAILS)
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
    catalog = turn.catalog
    slots = {"_correcting": Slot(incident.id, str(incident.number))}
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
        slots[slot] = Slot(stored, display)
    turn.replace_slots(RECORD, slots)
    state_of(turn).editing = False
    await turn.go(RECORD, steps.SUMMARY, fresh=False)
