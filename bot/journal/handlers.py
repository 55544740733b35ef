"""The journal's actions (called by flows), commands, buttons and fallbacks.

Where things live while the user is busy:
- A guided record's answers are slots of the `record_incident` flow, kept (sealed) with the
  user's place, so a draft survives a restart. Slots starting with `_` are the journal's own:
  `_draft` (the draft's key: one draft saves at most one incident), `_correcting` (the id of the
  incident being corrected), `_summary`/`_heading`/`_number` (texts the screens show).
- Files sent while recording are stored at once (sealed, waiting) and their ids kept in the
  `evidence` slot; saving links them to the incident in the same transaction.
- `place.data` keys starting with `journal_` hold offers waiting for a button (a text to save,
  a delete confirmation) and the incident the details flow works on.
- Every screen made here is shown with `turn.show_screen`, which ends it with emergency, Back and
  Menu like a flow's. The list and one incident pass the button that shows them again, so they
  join the engine's history: Back from an incident returns to the list page it was opened from,
  Back from the list to where the user was before. Offers and confirmations pass none: Back from
  them returns to the screen under them.

Every incident or file id that comes back from a button is checked against its owner by the
store; a forged or foreign id reads as "not found". A save is acknowledged only after the store
returned, which is after its transaction committed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from typing import Any

from bot import metrics
from bot.engine.actions import ActionFailed
from bot.engine.engine import Turn
from bot.engine.events import Button, Document, Event, Kind
from bot.engine.slots import Answer, Invalid, clean_text
from bot.journal.export import build_export, diary_order, table_csv
from bot.journal.limits import JournalLimits
from bot.journal.render import (
    FIELD_ROWS,
    FIELD_TO_SLOT,
    SLOT_TO_FIELD,
    field_text,
    incident_rows,
    phone_text,
    revision_lines,
    size_text,
    when_reading,
    when_with_words,
)
from bot.journal.when import ASK_AM_PM, EXACT, When, read_when
from bot.store.incidents import (
    KIND_CORRECTION,
    KIND_NOTE,
    KIND_POLICE,
    MAX_FILE_BYTES,
    FileTooLarge,
    Incident,
    IncidentStore,
    NotFound,
)

log = logging.getLogger(__name__)

RECORD = "record_incident"
DETAILS = "incident_details"
PREFIX = "j:"
PAGE_SIZE = 5
RECENT_FOR_FILES = 3
VIEW_FIELD_LIMIT = 700  # characters of one field shown in the chat; the export has it whole
# Steps of record_incident where a file joins the draft (elsewhere it is offered, as outside).
DRAFT_STEPS_EXCLUDED = {"saved", "discarded", "save", "discard"}
NO_OFFER_FLOWS = {RECORD, DETAILS, "emergency", "start"}


# ---------------------------------------------------------------------- helpers


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


# Exports built at once in this process: each is one CPU-bound thread; more would only slow
# everyone (2 cores) and hold more diaries in memory.
EXPORT_BUILDERS = 2
_builders: asyncio.Semaphore | None = None


def _export_slots() -> asyncio.Semaphore:
    global _builders
    if _builders is None:
        _builders = asyncio.Semaphore(EXPORT_BUILDERS)
    return _builders


def _text(turn: Turn, key: str, **values: str) -> str:
    return turn.engine.catalog.text(key, values)


def _count(turn: Turn, key: str, count: int) -> str:
    """A number with its words from content: "1 incident", "2 incidents"."""
    return turn.engine.catalog.count(key, count)


def _record_slots(turn: Turn) -> dict[str, dict[str, Any]]:
    return turn.place.slots.setdefault(RECORD, {})


def _slot(turn: Turn, flow: str, name: str, value: Any, display: str) -> None:
    turn.place.slots.setdefault(flow, {})[name] = {"v": value, "d": display}


def _value(turn: Turn, flow: str, name: str) -> Any:
    entry = turn.place.slots.get(flow, {}).get(name)
    return entry["v"] if entry else None


def _fields_from_slots(turn: Turn) -> dict[str, Any]:
    slots = turn.place.slots.get(RECORD, {})
    fields: dict[str, Any] = {}
    for slot, name in SLOT_TO_FIELD.items():
        entry = slots.get(slot)
        if entry is not None and entry["v"] not in (None, ""):
            fields[name] = entry["v"]
    return fields


def _evidence_ids(turn: Turn) -> list[int]:
    return [int(i) for i in (_value(turn, RECORD, "evidence") or [])]


def _short(text: str, limit: int = VIEW_FIELD_LIMIT) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def _int(text: str) -> int | None:
    """A number from a button or command; None if it is not one SQLite can hold (forged data)."""
    try:
        value = int(text)
    except ValueError:
        return None
    return value if -(2**63) <= value < 2**63 else None


async def _say_saved_quickly(
    turn: Turn, number: int, incident_id: int, when: dict[str, Any]
) -> None:
    reading = when_with_words(turn.engine.catalog, when)
    turn.show_screen(
        _text(turn, "journal.logged", number=str(number), when=reading),
        [
            Button(_text(turn, "journal.btn_change_when"), f"{PREFIX}w:{incident_id}"),
            Button(_text(turn, "journal.btn_add_details"), f"{PREFIX}v:{incident_id}"),
        ],
    )


FUTURE_SLACK = dt.timedelta(minutes=5)


def parse_when_answer(event: Event, now: dt.datetime) -> Answer | Invalid:
    """The `when` question type: the person's words kept whole, with what was understood.

    The whole answer is read first; failing that, a time phrase inside it ("last night about 10
    when I got home"). Said back by `journal_when_understood`, which has the content's words.
    """
    text = clean_text(event.text)
    if event.kind != Kind.TEXT or not text:
        return Invalid("check.datetime")
    when = read_when(text, now) or read_when(text, now, within=True)
    if when is None:
        return Invalid("check.datetime")
    if when.ask == ASK_AM_PM:
        return Invalid("journal.when_am_pm")
    if when.start is not None and when.start > now + FUTURE_SLACK:
        return Invalid("check.datetime_future")
    kept = When(when.precision, text[:300], when.start, when.end, when.part)
    return Answer(kept.to_dict(), text)


# ---------------------------------------------------------------------- flow actions


DRAFT_COPY = "journal_draft"  # place.data: the unfinished new record, kept aside
SWEPT_AT = "journal_swept_at"  # services: when this process last swept old draft files
SWEEP_EVERY = dt.timedelta(hours=1)


def _answers(slots: dict[str, Any]) -> int:
    return sum(1 for name in slots if not name.startswith("_"))


def _keep_draft(turn: Turn) -> None:
    """Keep a copy of an unfinished new record, so that starting a record again offers it."""
    slots = turn.place.slots.get(RECORD, {})
    if "_draft" in slots and "_correcting" not in slots:
        kept = {k: v for k, v in slots.items() if k not in ("_summary", "_heading", "change")}
        turn.place.data[DRAFT_COPY] = kept


async def _sweep_old_draft_files(turn: Turn) -> None:
    """At most once an hour: files of drafts left unfinished for longer than the limit go."""
    last = turn.services.get(SWEPT_AT)
    if last is not None and turn.now - last < SWEEP_EVERY:
        return
    turn.services[SWEPT_AT] = turn.now
    age = dt.timedelta(hours=limits_of(turn).draft_files_max_age_hours)
    try:
        await store_of(turn).sweep_waiting_files(turn.now - age)
    except Exception as exc:  # noqa: BLE001 - the next sweep tries again
        log.error("sweeping draft files failed: %s", type(exc).__name__)


async def journal_begin(turn: Turn) -> None:
    """A fresh draft, or, when one was left unfinished, the offer to carry on with it."""
    await _sweep_old_draft_files(turn)
    kept = turn.place.data.get(DRAFT_COPY)
    if kept and (_answers(kept) or kept.get("evidence")):
        info = _count(turn, "journal.draft_info", _answers(kept))
        turn.place.slots[RECORD] = {"_draft_info": {"v": None, "d": info}}
        raise ActionFailed("journal.resume_lead")  # the flow's on_error: resume_offer
    _fresh_draft(turn)


def _fresh_draft(turn: Turn) -> None:
    turn.place.slots[RECORD] = {}
    turn.place.data.pop("journal_editing", None)
    turn.place.data.pop(DRAFT_COPY, None)
    _slot(turn, RECORD, "_draft", secrets.token_hex(8), "")


async def journal_resume(turn: Turn) -> None:
    """Carry on with the unfinished record: its answers and files, then its summary."""
    kept = turn.place.data.get(DRAFT_COPY) or {}
    turn.place.slots[RECORD] = {k: dict(v) for k, v in kept.items()}
    turn.place.data.pop("journal_editing", None)
    if "_draft" not in turn.place.slots[RECORD]:
        _slot(turn, RECORD, "_draft", secrets.token_hex(8), "")


async def journal_start_again(turn: Turn) -> None:
    """Start again: the unfinished record's files are deleted now, rows and sealed files."""
    kept = turn.place.data.get(DRAFT_COPY) or {}
    files = [int(i) for i in (kept.get("evidence", {}).get("v") or [])]
    if files:
        await store_of(turn).discard_waiting_files(turn.user_ref, files)
    _fresh_draft(turn)
    turn.say("journal.started_again")


# Questions that fit only some kinds of incident (asked for every kind when none was given).
SEEN = {"followed", "turned_up", "damage", "other"}
ASKED_FOR: dict[str, set[str]] = {
    "ask_person": SEEN,
    "ask_vehicle": SEEN,
    "ask_number": {"call", "message", "other"},
    "ask_account": {"social_media", "email", "message", "other"},
}
KNOWN_PEOPLE = "journal_people"  # place.data: who the person named before, newest first
MAX_KNOWN_PEOPLE = 6


async def journal_continue(turn: Turn) -> None:
    """After an answer: back to the summary if the user was changing one answer, else on to
    the next question that fits the kind of incident."""
    _keep_number_as_typed(turn)
    _keep_draft(turn)
    if turn.place.data.pop("journal_editing", None):
        await turn.go(RECORD, "summary", fresh=False)
        return
    step = turn.engine.machines[RECORD].flow.steps.get(turn.place.step or "")
    following = step.next.step if step is not None and step.next is not None else None
    kind = _value(turn, RECORD, "kind")
    if kind and following in ASKED_FOR and kind not in ASKED_FOR[following]:
        _record_slots(turn).pop(following.removeprefix("ask_"), None)
        await turn.go(RECORD, "after_" + following.removeprefix("ask_"), fresh=False)


def _keep_number_as_typed(turn: Turn) -> None:
    """The number as typed, with its normalised (E.164) form beside it."""
    entry = _record_slots(turn).get("number")
    if entry is None or isinstance(entry["v"], dict):
        return
    value = {"typed": entry["d"], "e164": entry["v"]}
    entry["v"] = value
    entry["d"] = phone_text(value)


async def journal_who(turn: Turn) -> None:
    """ "Do you know who it is?": people named before are offered, so nobody retypes them."""
    known = turn.place.data.get(KNOWN_PEOPLE) or []
    if not known:
        return  # on to the question
    buttons = [Button(name, f"{PREFIX}k:{i}") for i, name in enumerate(known)]
    buttons.append(Button(_text(turn, "journal.btn_who_someone_else"), f"{PREFIX}k:new"))
    buttons.append(Button(_text(turn, "journal.btn_who_dont_know"), f"{PREFIX}k:skip"))
    turn.show_screen(_text(turn, "journal.ask_who_again"), buttons)
    turn.place.step = "ask_who"  # typed text still answers the question


async def _who_button(turn: Turn, choice: str) -> None:
    known = turn.place.data.get(KNOWN_PEOPLE) or []
    if turn.place.flow != RECORD or turn.place.step != "ask_who":
        turn.say("journal.stale")
        await turn.show_current()
        return
    if choice == "new":
        await turn.go(RECORD, "ask_who", fresh=False)
        return
    if choice.isdigit() and int(choice) < len(known):
        name = known[int(choice)]
        _slot(turn, RECORD, "who", name, name)
    else:
        _record_slots(turn).pop("who", None)
    await turn.go(RECORD, "after_who", fresh=False)


def _remember_who(turn: Turn, fields: dict[str, Any]) -> None:
    who = str(fields.get("who") or "").strip()
    if not who:
        return
    known = [k for k in turn.place.data.get(KNOWN_PEOPLE) or [] if k.casefold() != who.casefold()]
    turn.place.data[KNOWN_PEOPLE] = [who, *known][:MAX_KNOWN_PEOPLE]


async def journal_when_understood(turn: Turn) -> None:
    """After "When did it happen?": say what was understood, beside the person's words."""
    entry = _record_slots(turn).get("when")
    if entry is not None:
        reading = when_reading(turn.engine.catalog, entry["v"])
        turn.say("journal.when_understood", reading=reading)
        entry["d"] = when_with_words(turn.engine.catalog, entry["v"])
    await journal_continue(turn)


async def journal_change(turn: Turn) -> None:
    field = _value(turn, RECORD, "change")
    _record_slots(turn).pop("change", None)
    if field == "evidence":
        await turn.go(RECORD, "ask_evidence", fresh=False)
        return
    if field == "contact":  # one choice for both: the one that fits the kind
        kind = _value(turn, RECORD, "kind")
        field = "account" if kind in ("social_media", "email") else "number"
    if field in SLOT_TO_FIELD:
        turn.place.data["journal_editing"] = True
        await turn.go(RECORD, f"ask_{field}", fresh=False)


async def journal_summary(turn: Turn) -> None:
    catalog = turn.engine.catalog
    slots = turn.place.slots.get(RECORD, {})
    lines = []
    for name, key, slot in FIELD_ROWS:
        entry = slots.get(slot)
        if entry is None or entry["v"] in (None, ""):
            continue
        shown = entry["d"] if name != "kind" else field_text(catalog, name, entry["v"])
        lines.append(f"{catalog.text(key)}: {_short(str(shown), 300)}")
    evidence = _evidence_ids(turn)
    if evidence:
        files = await store_of(turn).waiting_files(turn.user_ref, evidence)
        names = ", ".join(f.file_name for f in files)
        lines.append(f"{catalog.text('journal.field_evidence')}: {names}")
    summary = "\n".join(lines) or catalog.text("journal.summary_empty")
    correcting = _value(turn, RECORD, "_correcting")
    if correcting:
        number = slots.get("_correcting", {}).get("d", "")
        heading = catalog.text("journal.summary_correcting", {"number": number})
    else:
        heading = catalog.text("journal.summary_new")
    _slot(turn, RECORD, "_summary", None, summary)
    _slot(turn, RECORD, "_heading", None, heading)


async def save_incident(turn: Turn) -> None:
    """Save the confirmed draft (or the correction); the reply comes after the commit."""
    slots = turn.place.slots.get(RECORD, {})
    if "_draft" not in slots and "_correcting" not in slots:
        # Nothing to save: this draft was saved or discarded already.
        raise ActionFailed("journal.stale")
    store = store_of(turn)
    fields = _fields_from_slots(turn)
    files = _evidence_ids(turn)
    correcting = _value(turn, RECORD, "_correcting")
    try:
        if correcting:
            incident = await store.get(turn.user_ref, int(correcting))
            current = incident.fields
            changed = {
                name: fields.get(name)
                for name, _, _ in FIELD_ROWS
                if fields.get(name) != current.get(name)
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
            incident_id, number = incident.id, incident.number
            turn.say("journal.correction_saved", _number=str(number))
        else:
            fields["source"] = "guided"
            limit = limits_of(turn).incidents
            if await store.count(turn.user_ref) >= limit:
                turn.say("journal.limit_incidents", limit=str(limit))
                raise ActionFailed("journal.save_failed_choice")
            saved = await store.create(
                turn.user_ref,
                fields,
                now=turn.now,
                draft_key=str(_value(turn, RECORD, "_draft")),
                file_ids=files,
            )
            incident_id, number = saved.id, saved.number
    except NotFound:
        raise ActionFailed("journal.not_found") from None
    except Exception as exc:  # noqa: BLE001 - the user hears "not saved", the draft stays
        log.error("saving an incident failed: %s", type(exc).__name__)
        raise ActionFailed("journal.save_failed") from None
    # Committed: the draft is spent, so an old Save button cannot save it twice.
    turn.place.slots[RECORD] = {"_number": {"v": number, "d": str(number)}}
    turn.place.data.pop(DRAFT_COPY, None)
    _remember_who(turn, fields)
    turn.place.data["journal_target"] = incident_id


async def journal_discard(turn: Turn) -> None:
    """Discard: the draft's files are deleted now (rows and sealed files), so "Nothing from
    that record was kept" is true."""
    files = _evidence_ids(turn)
    if files:
        await store_of(turn).discard_waiting_files(turn.user_ref, files)
    turn.place.slots[RECORD] = {}
    turn.place.data.pop("journal_editing", None)
    turn.place.data.pop(DRAFT_COPY, None)


async def _target(turn: Turn) -> Incident | None:
    """The incident the details flow works on, checked against its owner."""
    target = turn.place.data.get("journal_target")
    if target is None:
        return None
    try:
        return await store_of(turn).get(turn.user_ref, int(target))
    except NotFound:
        turn.place.data.pop("journal_target", None)
        return None


async def _no_target(turn: Turn) -> None:
    turn.say("journal.no_target")
    await turn.go("menu")


async def journal_save_note(turn: Turn) -> None:
    incident = await _target(turn)
    if incident is None:
        await _no_target(turn)
        return
    note = _value(turn, DETAILS, "note")
    if isinstance(note, dict):  # a shared location as a note
        note = field_text(turn.engine.catalog, "place", note)
    try:
        await store_of(turn).add_revision(
            turn.user_ref, incident.id, KIND_NOTE, {"text": str(note or "")}, now=turn.now
        )
    except Exception as exc:  # noqa: BLE001
        log.error("saving a note failed: %s", type(exc).__name__)
        raise ActionFailed("journal.save_failed") from None
    turn.place.slots.get(DETAILS, {}).pop("note", None)


async def journal_save_police(turn: Turn) -> None:
    incident = await _target(turn)
    if incident is None:
        await _no_target(turn)
        return
    details = turn.place.slots.get(DETAILS, {})
    reference = _value(turn, DETAILS, "reference")
    officer = _value(turn, DETAILS, "officer")
    details.pop("reference", None)
    details.pop("officer", None)
    if not reference and not officer:
        turn.say("journal.nothing_added")
        await turn.go(DETAILS, "choose", fresh=False)
        return
    body = {"reference": str(reference or ""), "officer": str(officer or "")}
    try:
        await store_of(turn).add_revision(
            turn.user_ref, incident.id, KIND_POLICE, body, now=turn.now
        )
    except Exception as exc:  # noqa: BLE001
        log.error("saving a police reference failed: %s", type(exc).__name__)
        raise ActionFailed("journal.save_failed") from None


async def journal_start_correction(turn: Turn) -> None:
    """Load the incident's current answers into a draft and show its summary to change."""
    incident = await _target(turn)
    if incident is None:
        await _no_target(turn)
        return
    catalog = turn.engine.catalog
    slots: dict[str, dict[str, Any]] = {
        "_correcting": {"v": incident.id, "d": str(incident.number)},
    }
    for name, value in incident.fields.items():
        slot = FIELD_TO_SLOT.get(name)
        if slot is None:
            continue
        if name == "caller_number":
            display = phone_text(value)
        elif name == "occurred_at":
            display = when_with_words(catalog, value)
        else:
            display = field_text(catalog, name, value)
        slots[slot] = {"v": value, "d": display}
    turn.place.slots[RECORD] = slots
    turn.place.data.pop("journal_editing", None)
    await turn.go(RECORD, "summary", fresh=False)


async def _open_details(turn: Turn, incident: Incident, step: str) -> None:
    turn.place.data["journal_target"] = incident.id
    turn.place.slots[DETAILS] = {"_number": {"v": incident.number, "d": str(incident.number)}}
    await turn.go(DETAILS, step, fresh=False)


async def journal_details_begin(turn: Turn) -> None:
    incident = await _target(turn)
    if incident is None:
        await _no_target(turn)
        return
    turn.place.slots[DETAILS] = {"_number": {"v": incident.number, "d": str(incident.number)}}


# ---------------------------------------------------------------------- quick capture


async def log_command(turn: Turn) -> None:
    """`/log <text>`: save at once; when it happened is read from the text, or "not given"."""
    text = clean_text(turn.event.args)
    if not text:
        turn.say("journal.log_usage")
        return
    await _quick_save(turn, text, None, None)


async def _quick_save(
    turn: Turn, text: str, forwarded_from: str | None, forwarded_date: str | None
) -> None:
    """Save one message as an incident. When: the channel's date of a forwarded message (exact),
    else a time phrase in the text, else "not given"; never the time of saving, which is kept
    apart as when it was recorded."""
    limit = limits_of(turn).incidents
    if await store_of(turn).count(turn.user_ref) >= limit:
        turn.say("journal.limit_incidents", limit=str(limit))
        return
    fields: dict[str, Any] = {"description": text, "source": "quick"}
    fields["occurred_at"] = _quick_when(turn, text, forwarded_date).to_dict()
    if forwarded_from or forwarded_date:
        fields["forwarded_from"] = forwarded_from
        fields["forwarded_date"] = forwarded_date
        fields["source"] = "forwarded"
    try:
        # The channel's key for this event: the same /log delivered twice saves one incident.
        key = f"event:{turn.event.key}" if turn.event.key else None
        saved = await store_of(turn).create(turn.user_ref, fields, now=turn.now, draft_key=key)
    except Exception as exc:  # noqa: BLE001
        log.error("quick save failed: %s", type(exc).__name__)
        turn.say("journal.save_failed")
        return
    await _say_saved_quickly(turn, saved.number, saved.id, fields["occurred_at"])
    turn.keep_answer = True  # delivered again, the same "Saved as incident N" is said again


def _quick_when(turn: Turn, text: str, forwarded_date: str | None) -> When:
    if forwarded_date:
        moment = dt.datetime.fromisoformat(forwarded_date).astimezone(dt.UTC)
        return When(EXACT, "", moment)
    found = read_when(text, turn.now, within=True)
    if found is None or found.start is None or found.start > turn.now + FUTURE_SLACK:
        return When("not_given", "")
    return found


async def text_fallback(turn: Turn) -> bool:
    """Unexpected plain text outside a question: offer to keep it as an incident."""
    # after a danger message too: the offer stays above the emergency screen (nothing lost)
    if turn.event.kind != Kind.TEXT:
        return False
    place = turn.place
    if place.flow in NO_OFFER_FLOWS:
        return False
    step = turn.engine.machines[place.flow].flow.steps.get(place.step or "") if place.flow else None
    if step is not None and step.kind == "question":
        return False  # the engine asks the question again, with examples
    return offer_to_keep(turn)


def offer_to_keep(turn: Turn, also: list[Button] | None = None, note: str = "") -> bool:
    """Offer to keep the typed message as an incident; `also` (e.g. advice that fits) is offered
    after "Save it", `note` said under the question. False if there is nothing to keep."""
    key = _keep_offer(turn)
    if key is None:
        return False
    forwarded = turn.event.forwarded_from or turn.event.forwarded_date
    text = _text(turn, "journal.offer_forwarded" if forwarded else "journal.offer_text")
    turn.show_screen(
        f"{text}\n\n{note}" if note else text,
        [
            Button(_text(turn, "journal.btn_offer_save"), f"{PREFIX}o:save:{key}"),
            *(also or []),
            Button(_text(turn, "journal.btn_offer_no"), f"{PREFIX}o:no:{key}"),
        ],
    )
    return True


def save_instead_button(turn: Turn, label: str) -> Button | None:
    """A button that keeps the typed message as an incident (offered beside advice)."""
    key = _keep_offer(turn)
    return Button(label, f"{PREFIX}o:save:{key}") if key else None


def _keep_offer(turn: Turn) -> str | None:
    """Hold the typed message (sealed with the place) until a button saves or drops it."""
    text = clean_text(turn.event.text)
    if not text:
        return None
    key = secrets.token_hex(4)
    turn.place.data["journal_offer"] = {
        "k": key,
        "t": text,
        "ff": turn.event.forwarded_from,
        "fd": turn.event.forwarded_date.astimezone(dt.UTC).isoformat()
        if turn.event.forwarded_date
        else None,
    }
    return key


async def _offer_button(turn: Turn, parts: list[str]) -> None:
    offer = turn.place.data.get("journal_offer")
    if len(parts) != 3 or not offer or offer.get("k") != parts[2]:
        turn.say("journal.offer_gone")
        await turn.show_current()
        return
    turn.place.data.pop("journal_offer", None)
    if parts[1] == "save":
        await _quick_save(turn, offer["t"], offer.get("ff"), offer.get("fd"))
    else:
        turn.say("journal.offer_declined")
        await turn.show_current()


# ---------------------------------------------------------------------- files


async def attachment_handler(turn: Turn) -> bool:
    """A photo, document, voice note or video: into the draft, or offered for an incident."""
    attachment = turn.event.attachment
    if attachment is None:
        return False
    limit_mb = str(MAX_FILE_BYTES // (1024 * 1024))
    if attachment.content is None:
        too_big = attachment.size is not None and attachment.size > MAX_FILE_BYTES
        turn.say("journal.file_too_big" if too_big else "journal.file_not_fetched", limit=limit_mb)
        await turn.show_current()
        return True
    await _sweep_old_draft_files(turn)
    limits = limits_of(turn)
    files, used = await store_of(turn).file_usage(turn.user_ref)
    if files >= limits.files or used + len(attachment.content) > limits.file_bytes:
        turn.say("journal.limit_files", files=str(files), size=size_text(used))
        await turn.show_current()
        return True
    forwarded_from = attachment.forwarded_from or turn.event.forwarded_from
    forwarded_date = attachment.forwarded_date or turn.event.forwarded_date
    try:
        stored = await store_of(turn).add_file(
            turn.user_ref,
            attachment.content,
            now=turn.now,
            kind=attachment.kind,
            file_name=attachment.file_name or f"{attachment.kind}",
            mime_type=attachment.mime_type,
            forwarded_from=forwarded_from,
            forwarded_date=forwarded_date.astimezone(dt.UTC).isoformat()
            if forwarded_date
            else None,
        )
    except FileTooLarge:
        turn.say("journal.file_too_big", limit=limit_mb)
        await turn.show_current()
        return True
    place = turn.place
    if place.flow == RECORD and place.step not in DRAFT_STEPS_EXCLUDED:
        ids = [*_evidence_ids(turn), stored.id]
        _slot(turn, RECORD, "evidence", ids, str(len(ids)))
        _keep_draft(turn)
        turn.say("journal.file_added_to_draft", name=stored.file_name)
        await turn.show_current()
        return True
    kind_key = f"journal.file_kind_{attachment.kind}"
    kind = _text(turn, kind_key) if turn.engine.catalog.has(kind_key) else attachment.kind
    buttons = [Button(_text(turn, "journal.btn_file_new"), f"{PREFIX}f:new:{stored.id}")]
    for incident in await store_of(turn).page(turn.user_ref, 0, RECENT_FOR_FILES):
        buttons.append(
            Button(
                _text(
                    turn,
                    "journal.btn_file_to",
                    number=str(incident.number),
                    date=when_reading(turn.engine.catalog, incident.fields.get("occurred_at")),
                ),
                f"{PREFIX}f:to:{stored.id}:{incident.id}",
            )
        )
    buttons.append(Button(_text(turn, "journal.btn_file_drop"), f"{PREFIX}f:drop:{stored.id}"))
    turn.show_screen(_text(turn, "journal.file_offer", kind=kind), buttons)
    return True


async def _file_button(turn: Turn, parts: list[str]) -> None:
    store = store_of(turn)
    file_id = _int(parts[2]) if len(parts) > 2 else None
    waiting = await store.waiting_files(turn.user_ref, [file_id]) if file_id else []
    if not waiting or waiting[0].incident_id is not None:
        turn.say("journal.stale")
        await turn.show_current()
        return
    action = parts[1]
    if action == "drop":
        await store.discard_waiting_files(turn.user_ref, [waiting[0].id])
        turn.say("journal.file_dropped")
        await turn.show_current()
    elif action == "new":
        turn.say("journal.file_for_new")
        await turn.go(RECORD)
        _slot(turn, RECORD, "evidence", [waiting[0].id], "1")
    elif action == "to" and len(parts) == 4 and _int(parts[3]) is not None:
        try:
            incident = await store.get(turn.user_ref, int(parts[3]))
            await store.attach_files(turn.user_ref, incident.id, [waiting[0].id])
        except NotFound:
            turn.say("journal.not_found")
            await _show_list(turn, 0)
            return
        turn.say("journal.file_attached", number=str(incident.number))
        await turn.show_current()
    else:
        turn.say("journal.stale")
        await turn.show_current()


# ---------------------------------------------------------------------- the list, one incident


async def incidents_command(turn: Turn) -> None:
    """`/incidents` lists; `/incidents 3` opens incident 3."""
    number = _int(turn.event.args.strip().lstrip("#")) if turn.event.args.strip() else None
    if number is not None:
        try:
            incident = await store_of(turn).by_number(turn.user_ref, number)
        except NotFound:
            turn.say("journal.not_found")
            await _show_list(turn, 0)
            return
        _show_incident(turn, incident)
        return
    await _show_list(turn, 0)


async def _show_list(turn: Turn, page: int) -> None:
    store = store_of(turn)
    total = await store.count(turn.user_ref)
    if total == 0:
        turn.show_screen(_text(turn, "journal.list_empty"), [], again=f"{PREFIX}l:0")
        return
    page = max(0, min(page, (total - 1) // PAGE_SIZE))
    incidents = await store.page(turn.user_ref, page * PAGE_SIZE, PAGE_SIZE)
    catalog = turn.engine.catalog
    integrity = await store.verify(turn.user_ref)
    lines = [] if integrity.intact else [_text(turn, "journal.integrity_warning")]
    lines += [
        _text(
            turn,
            "journal.list_heading",
            first=str(page * PAGE_SIZE + 1),
            last=str(page * PAGE_SIZE + len(incidents)),
            total=str(total),
        )
    ]
    buttons = []
    for incident in incidents:
        fields = incident.fields
        when = when_reading(catalog, fields.get("occurred_at"))
        kind = field_text(catalog, "kind", fields.get("kind"))
        lines.append(f"{incident.number}. {when}" + (f" · {kind}" if kind else ""))
        buttons.append(
            Button(
                _text(turn, "journal.btn_open", number=str(incident.number)),
                f"{PREFIX}v:{incident.id}",
            )
        )
    if (page + 1) * PAGE_SIZE < total:
        buttons.append(Button(_text(turn, "journal.btn_older"), f"{PREFIX}l:{page + 1}"))
    if page > 0:
        buttons.append(Button(_text(turn, "journal.btn_newer"), f"{PREFIX}l:{page - 1}"))
    turn.show_screen("\n".join(lines), buttons, again=f"{PREFIX}l:{page}")


def _show_incident(turn: Turn, incident: Incident) -> None:
    catalog = turn.engine.catalog
    lines = [f"{catalog.text('journal.field_number_label')} {incident.number}"]
    if incident.problems:
        lines.insert(0, catalog.text("journal.integrity_warning"))
    for label, text in incident_rows(catalog, incident, full_hash=False):
        lines.append(f"{label}: {_short(text)}")
    revisions = revision_lines(catalog, incident)
    if len(revisions) > 1:
        lines.append(f"{catalog.text('journal.field_revisions')}:")
        lines.extend(f"  {_short(line, 300)}" for line in revisions)
    buttons = [
        Button(_text(turn, "journal.btn_add_note"), f"{PREFIX}n:{incident.id}"),
        Button(_text(turn, "journal.btn_add_police"), f"{PREFIX}p:{incident.id}"),
        Button(_text(turn, "journal.btn_correct"), f"{PREFIX}c:{incident.id}"),
        Button(_text(turn, "journal.btn_list"), f"{PREFIX}l:0"),
    ]
    turn.show_screen("\n".join(lines), buttons, again=f"{PREFIX}v:{incident.id}")


async def _incident_button(turn: Turn, parts: list[str]) -> None:
    incident_id = _int(parts[1]) if len(parts) == 2 else None
    try:
        if incident_id is None:
            raise NotFound()
        incident = await store_of(turn).get(turn.user_ref, incident_id)
    except NotFound:
        turn.say("journal.not_found")
        await _show_list(turn, 0)
        return
    action = parts[0]
    if action == "v":
        _show_incident(turn, incident)
    elif action == "n":
        await _open_details(turn, incident, "ask_note")
    elif action == "p":
        await _open_details(turn, incident, "ask_police_ref")
    elif action == "c":
        turn.place.data["journal_target"] = incident.id
        await journal_start_correction(turn)
    elif action == "w":  # "Change when" after a quick save: a correction of that one answer
        turn.place.data["journal_target"] = incident.id
        await journal_start_correction(turn)
        turn.place.data["journal_editing"] = True
        await turn.go(RECORD, "ask_when", fresh=False)


# ---------------------------------------------------------------------- export


async def export_command(turn: Turn) -> None:
    """`/export`: the diary as PDF and CSV, built in a worker thread so that nobody else waits.

    The person's own conversation waits (their lock is held), which is what they expect; one
    export builds at most `export_incidents` incidents, and at most EXPORT_BUILDERS build at once.
    Pages other features add (e.g. the risk questions) follow the incidents.
    """
    store = store_of(turn)
    incidents = await store.all(turn.user_ref)
    appendices = [
        a for a in [await make(turn) for make in turn.engine.registry.diary_appendices] if a
    ]
    if not incidents and not appendices:
        turn.show_screen(_text(turn, "journal.export_empty"), [])
        return
    integrity = await store.verify(turn.user_ref)
    catalog = turn.engine.catalog
    cap = limits_of(turn).export_incidents
    ordered = diary_order(incidents)
    if len(ordered) > cap:
        turn.say("journal.export_capped", shown=str(cap), total=str(len(ordered)))
        ordered = ordered[:cap]
    pages = [page for appendix in appendices for page in appendix.pages]
    async with _export_slots():
        export = await asyncio.to_thread(build_export, catalog, ordered, turn.now, integrity, pages)
    metrics.EXPORTS_BUILT.inc()
    stamp = turn.now.astimezone(dt.UTC).strftime("%Y-%m-%d")
    counted = _count(turn, "journal.incidents_count", len(ordered))
    turn.send_document(
        Document(f"incident-diary-{stamp}.pdf", export.pdf, "application/pdf"),
        _text(turn, "journal.export_pdf", incidents=counted),
    )
    turn.send_document(
        Document(f"incident-diary-{stamp}.csv", export.csv, "text/csv"),
        _text(turn, "journal.export_csv"),
    )
    for appendix in appendices:
        turn.send_document(
            Document(
                f"{appendix.csv_name}-{stamp}.csv",
                table_csv([appendix.csv_header, *appendix.csv_rows]),
                "text/csv",
            ),
        )


# ---------------------------------------------------------------------- delete my data


async def delete_command(turn: Turn) -> None:
    count = await store_of(turn).count(turn.user_ref)
    key = secrets.token_hex(4)
    turn.place.data["journal_delete"] = key
    what = _count(turn, "journal.delete_what", count)
    turn.show_screen(
        _text(turn, "journal.delete_confirm", incidents=what),
        [
            Button(_text(turn, "journal.btn_delete_yes"), f"{PREFIX}d:yes:{key}"),
            Button(_text(turn, "journal.btn_delete_no"), f"{PREFIX}d:no"),
        ],
    )


async def _delete_button(turn: Turn, parts: list[str]) -> None:
    expected = turn.place.data.pop("journal_delete", None)
    if parts[1:2] != ["yes"]:
        turn.say("journal.delete_kept")
        await turn.show_current()
        return
    if len(parts) != 3 or expected is None or parts[2] != expected:
        turn.say("journal.delete_expired")
        await turn.show_current()
        return
    await erase_everything(turn)
    turn.drop_place = True
    turn.replies.clear()
    turn.say("journal.deleted")


async def erase_everything(turn: Turn) -> None:
    """Everything one user keeps: the journal, every feature's data (its erasers), the place.
    Used by /delete_my_data and by a forgotten PIN's planned erasure when it comes due."""
    store = store_of(turn)
    await store.delete_user(turn.user_ref)
    for erase in turn.engine.registry.erasers:
        await erase(turn)
    await turn.engine.store.delete_place(turn.user_ref)
    await store.scrub()
    turn.engine.forget(turn.user_ref)


# ---------------------------------------------------------------------- buttons


async def button_handler(turn: Turn) -> None:
    """Every `j:` button: `o` offer, `f` file, `l` list page, `v/n/p/c/w` incident, `k` who,
    `d` delete."""
    parts = turn.event.data[len(PREFIX) :].split(":")
    kind = parts[0]
    if kind == "o":
        await _offer_button(turn, parts)
    elif kind == "f" and len(parts) >= 3:
        await _file_button(turn, parts)
    elif kind == "l" and len(parts) == 2 and _int(parts[1]) is not None:
        await _show_list(turn, int(parts[1]))
    elif kind == "k" and len(parts) == 2:
        await _who_button(turn, parts[1])
    elif kind in ("v", "n", "p", "c", "w"):
        await _incident_button(turn, parts)
    elif kind == "d":
        await _delete_button(turn, parts)
    else:
        turn.say("journal.stale")
        await turn.show_current()
