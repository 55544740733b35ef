"""The guided record (flows/record_incident.yaml): the actions its steps call, from a fresh draft
to the saved incident.

Where a draft lives while the person is busy:
- Its answers are slots of the `record_incident` flow, kept (sealed) with the person's place, so a
  draft survives a restart. Slots starting with `_` are the journal's own: `_draft` (the draft's
  key: one draft saves at most one incident), `_correcting` (the id of the incident being
  corrected), `_summary`/`_heading`/`_number` (texts the screens show).
- Files sent while recording are stored at once (sealed, waiting) and their ids kept in the
  `evidence` slot; saving links them to the incident in the same transaction.
- A copy of an unfinished new record is kept aside (`JournalState.draft`, bot/journal/state.py),
  so that starting a record again offers to carry on with it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from bot.engine.actions import ActionFailed
from bot.engine.events import Button, Event, Kind
from bot.engine.place import Slot
from bot.engine.slots import Answer, Invalid, clean_text
from bot.engine.turn import Turn
from bot.journal import buttons as jb
from bot.journal import steps
from bot.journal.common import (
    FUTURE_SLACK,
    RECORD,
    SWEEPS,
    evidence_ids,
    limits_of,
    log,
    saving,
    short,
    state_of,
    store_of,
    value,
)
from bot.journal.render import (
    FIELD_ROWS,
    SLOT_TO_FIELD,
    field_text,
    phone_text,
    when_reading,
    when_with_words,
)
from bot.journal.when import ASK_AM_PM, When, read_when
from bot.store.incidents import KIND_CORRECTION, NotFound

SWEEP_EVERY = dt.timedelta(hours=1)


# ---------------------------------------------------------------------- the `when` question


def parse_when_answer(event: Event, now: dt.datetime) -> Answer | Invalid:
    """The `when` question type: the person's words kept whole, with what was understood.

    The whole answer is read first; failing that, a time phrase inside it ("last night about 10
    when I got home"). Said back by `journal_when_understood`, which has the content's words.
    """
    typed = clean_text(event.text)
    if event.kind != Kind.TEXT or not typed:
        return Invalid("check.datetime")
    when = read_when(typed, now) or read_when(typed, now, within=True)
    if when is None:
        return Invalid("check.datetime")
    if when.ask == ASK_AM_PM:
        return Invalid("journal.when_am_pm")
    if when.start is not None and when.start > now + FUTURE_SLACK:
        return Invalid("check.datetime_future")
    kept = When(when.precision, typed[:300], when.start, when.end, when.part)
    return Answer(kept.to_dict(), typed)


# ---------------------------------------------------------------------- a draft, kept or fresh


def _answers(slots: dict[str, Slot]) -> int:
    return sum(1 for name in slots if not name.startswith("_"))


def keep_draft(turn: Turn) -> None:
    """Keep a copy of an unfinished new record, so that starting a record again offers it."""
    slots = turn.slots_of(RECORD)
    if "_draft" in slots and "_correcting" not in slots:
        kept = {k: v for k, v in slots.items() if k not in ("_summary", "_heading", "change")}
        state_of(turn).keep_draft(kept)


async def sweep_old_draft_files(turn: Turn) -> None:
    """At most once an hour: files of drafts left unfinished for longer than the limit go."""
    sweeps = turn.service(SWEEPS)
    if sweeps.last is not None and turn.now - sweeps.last < SWEEP_EVERY:
        return
    sweeps.last = turn.now
    age = dt.timedelta(hours=limits_of(turn).draft_files_max_age_hours)
    try:
        await store_of(turn).sweep_waiting_files(turn.now - age)
    except Exception as exc:  # noqa: BLE001 - the next sweep tries again
        log.error("sweeping draft files failed: %s", type(exc).__name__)


async def journal_begin(turn: Turn) -> None:
    """A fresh draft, or, when one was left unfinished, the offer to carry on with it."""
    await sweep_old_draft_files(turn)
    kept = state_of(turn).kept_draft()
    if kept and (_answers(kept) or kept.get("evidence")):
        info = turn.count("journal.draft_info", _answers(kept))
        turn.replace_slots(RECORD, {"_draft_info": Slot(None, info)})
        raise ActionFailed("journal.resume_lead")  # the flow's on_error: resume_offer
    _fresh_draft(turn)


def _fresh_draft(turn: Turn) -> None:
    turn.replace_slots(RECORD, {"_draft": Slot(secrets.token_hex(8), "")})
    state = state_of(turn)
    state.editing = False
    state.draft = None


async def journal_resume(turn: Turn) -> None:
    """Carry on with the unfinished record: its answers and files, then its summary."""
    kept = state_of(turn).kept_draft()
    kept.setdefault("_draft", Slot(secrets.token_hex(8), ""))
    turn.replace_slots(RECORD, kept)
    state_of(turn).editing = False


async def journal_start_again(turn: Turn) -> None:
    """Start again: the unfinished record's files are deleted now, rows and sealed files."""
    evidence = state_of(turn).kept_draft().get("evidence")
    files = [int(i) for i in (evidence.value if evidence is not None else None) or []]
    if files:
        await store_of(turn).discard_waiting_files(turn.user_ref, files)
    _fresh_draft(turn)
    turn.say("journal.started_again")


async def journal_discard(turn: Turn) -> None:
    """Discard (and /cancel): the draft's files are deleted now (rows and sealed files), so
    "Nothing from that record was kept" is true."""
    files = evidence_ids(turn)
    if files:
        await store_of(turn).discard_waiting_files(turn.user_ref, files)
    turn.replace_slots(RECORD, {})
    state = state_of(turn)
    state.editing = False
    state.draft = None


# ---------------------------------------------------------------------- after each answer


async def journal_continue(turn: Turn) -> None:
    """After an answer: back to the summary if the person was changing one answer, else on to
    the next question that fits the kind of incident."""
    _keep_number_as_typed(turn)
    keep_draft(turn)
    state = state_of(turn)
    if state.editing:
        state.editing = False
        await turn.go(RECORD, steps.SUMMARY, fresh=False)
        return
    step = turn.step
    following = step.next.step if step is not None and step.next is not None else None
    kind = value(turn, RECORD, "kind")
    if kind and following in steps.ASKED_FOR and kind not in steps.ASKED_FOR[following]:
        skipped = following.removeprefix("ask_")
        turn.drop_slot(skipped, RECORD)
        await turn.go(RECORD, steps.after(skipped), fresh=False)


def _keep_number_as_typed(turn: Turn) -> None:
    """The number as typed, with its normalised (E.164) form beside it."""
    slot = turn.slot("number", RECORD)
    if slot is None or isinstance(slot.value, dict):
        return
    number = {"typed": slot.display, "e164": slot.value}
    turn.set_slot("number", number, phone_text(number), RECORD)


async def journal_who(turn: Turn) -> None:
    """ "Do you know who it is?": people named before are offered, so nobody retypes them."""
    known = state_of(turn).people
    if not known:
        return  # on to the question
    offered = [Button(name, jb.data(jb.KnownPerson(str(i)))) for i, name in enumerate(known)]
    offered.append(
        Button(turn.text("journal.btn_who_someone_else"), jb.data(jb.KnownPerson("new")))
    )
    offered.append(Button(turn.text("journal.btn_who_dont_know"), jb.data(jb.KnownPerson("skip"))))
    turn.show_screen(turn.text("journal.ask_who_again"), offered)
    turn.wait_on(steps.ASK_WHO)  # typed text still answers the question


async def user_picks_a_known_person(turn: Turn, button: jb.KnownPerson) -> None:
    known = state_of(turn).people
    if turn.flow != RECORD or turn.step_id != steps.ASK_WHO:
        turn.say("journal.stale")
        await turn.show_current()
        return
    choice = button.choice
    if choice == "new":
        await turn.go(RECORD, steps.ASK_WHO, fresh=False)
        return
    if choice.isdigit() and int(choice) < len(known):
        name = known[int(choice)]
        turn.set_slot("who", name, name, RECORD)
    else:
        turn.drop_slot("who", RECORD)
    await turn.go(RECORD, steps.AFTER_WHO, fresh=False)


async def journal_when_understood(turn: Turn) -> None:
    """After "When did it happen?": say what was understood, beside the person's words."""
    when = turn.slot("when", RECORD)
    if when is not None:
        turn.say("journal.when_understood", reading=when_reading(turn.catalog, when.value))
        turn.set_slot("when", when.value, when_with_words(turn.catalog, when.value), RECORD)
    await journal_continue(turn)


# ---------------------------------------------------------------------- the summary


async def journal_change(turn: Turn) -> None:
    """ "Change one answer": to its question, then (journal_continue) back to the summary."""
    field = value(turn, RECORD, "change")
    turn.drop_slot("change", RECORD)
    if field == "evidence":
        await turn.go(RECORD, steps.ASK_EVIDENCE, fresh=False)
        return
    if field == "contact":  # one choice for both: the one that fits the kind
        kind = value(turn, RECORD, "kind")
        field = "account" if kind in ("social_media", "email") else "number"
    if field in SLOT_TO_FIELD:
        state_of(turn).editing = True
        await turn.go(RECORD, steps.ask(field), fresh=False)


async def journal_summary(turn: Turn) -> None:
    catalog = turn.catalog
    slots = turn.slots_of(RECORD)
    lines = []
    for name, key, slot_name in FIELD_ROWS:
        slot = slots.get(slot_name)
        if slot is None or slot.value in (None, ""):
            continue
        shown = slot.display if name != "kind" else field_text(catalog, name, slot.value)
        lines.append(f"{catalog.text(key)}: {short(str(shown), 300)}")
    evidence = evidence_ids(turn)
    if evidence:
        files = await store_of(turn).waiting_files(turn.user_ref, evidence)
        names = ", ".join(f.file_name for f in files)
        lines.append(f"{catalog.text('journal.field_evidence')}: {names}")
    summary = "\n".join(lines) or catalog.text("journal.summary_empty")
    correcting = slots.get("_correcting")
    if correcting is not None and correcting.value:
        heading = catalog.text("journal.summary_correcting", {"number": correcting.display})
    else:
        heading = catalog.text("journal.summary_new")
    turn.set_slot("_summary", None, summary, RECORD)
    turn.set_slot("_heading", None, heading, RECORD)


# ---------------------------------------------------------------------- saving


def _fields_from_slots(turn: Turn) -> dict[str, Any]:
    slots = turn.slots_of(RECORD)
    fields: dict[str, Any] = {}
    for slot_name, name in SLOT_TO_FIELD.items():
        slot = slots.get(slot_name)
        if slot is not None and slot.value not in (None, ""):
            fields[name] = slot.value
    return fields


async def save_incident(turn: Turn) -> None:
    """Save the confirmed draft (or the correction); the reply comes after the commit."""
    slots = turn.slots_of(RECORD)
    if "_draft" not in slots and "_correcting" not in slots:
        # Nothing to save: this draft was saved or discarded already.
        raise ActionFailed("journal.stale")
    fields = _fields_from_slots(turn)
    correcting = value(turn, RECORD, "_correcting")
    try:
        with saving("saving an incident"):
            if correcting:
                incident_id, number = await _save_correction(turn, int(correcting), fields)
            else:
                incident_id, number = await _save_new(turn, fields)
    except NotFound:
        raise ActionFailed("journal.not_found") from None
    # Committed: the draft is spent, so an old Save button cannot save it twice.
    turn.replace_slots(RECORD, {"_number": Slot(number, str(number))})
    state = state_of(turn)
    state.draft = None
    state.target = incident_id
    who = str(fields.get("who") or "").strip()
    if who:
        state.remember_person(who)


async def _save_correction(turn: Turn, incident_id: int, fields: dict[str, Any]) -> tuple[int, int]:
    """A new revision with the answers that changed (the first version stays)."""
    store = store_of(turn)
    files = evidence_ids(turn)
    incident = await store.get(turn.user_ref, incident_id)
    current = incident.fields
    changed = {
        name: fields.get(name) for name, _, _ in FIELD_ROWS if fields.get(name) != current.get(name)
    }
    if changed or files:
        await store.add_revision(
            turn.user_ref,
            incident.id,
            KIND_CORRECTION,
            {"fields": changed},
            now=turn.now,
            file_ids=files,
        )
    turn.say("journal.correction_saved", _number=str(incident.number))
    return incident.id, incident.number


async def _save_new(turn: Turn, fields: dict[str, Any]) -> tuple[int, int]:
    store = store_of(turn)
    fields["source"] = "guided"
    limit = limits_of(turn).incidents
    if await store.count(turn.user_ref) >= limit:
        turn.say("journal.limit_incidents", limit=str(limit))
        # as before the split: "not saved, your answers are still here", then the choice
        raise ActionFailed("journal.save_failed")
    saved = await store.create(
        turn.user_ref,
        fields,
        now=turn.now,
        draft_key=str(value(turn, RECORD, "_draft")),
        file_ids=evidence_ids(turn),
    )
    return saved.id, saved.number
