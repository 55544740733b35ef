"""How incidents read: field by field, for the chat, the PDF and the CSV (words from content/)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.content.catalog import Catalog
from bot.journal.when import (
    APPROXIMATE,
    DAY,
    EXACT,
    LONDON,
    NOT_GIVEN,
    PART_OF_DAY,
    RANGE,
    WEEK,
    When,
)
from bot.store.incidents import (
    KIND_CORRECTION,
    KIND_NOTE,
    KIND_POLICE,
    Incident,
    StoredFile,
)

# (incident field, content key of its label, the record_incident slot it comes from)
FIELD_ROWS: tuple[tuple[str, str, str], ...] = (
    ("kind", "journal.field_kind", "kind"),
    ("who", "journal.field_who", "who"),
    ("occurred_at", "journal.field_when", "when"),
    ("place", "journal.field_where", "where"),
    ("description", "journal.field_what", "what"),
    ("person", "journal.field_person", "person"),
    ("vehicle", "journal.field_vehicle", "vehicle"),
    ("caller_number", "journal.field_number", "number"),
    ("account", "journal.field_account", "account"),
    ("witnesses", "journal.field_witnesses", "witnesses"),
    ("effect", "journal.field_effect", "effect"),
)
SLOT_TO_FIELD = {slot: name for name, _, slot in FIELD_ROWS}
FIELD_TO_SLOT = {name: slot for name, _, slot in FIELD_ROWS}


def when_text(moment: dt.datetime | str | None) -> str:
    """A moment as UK people read it, in UK time: 'Tue 12 Mar 2026, 21:00'."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        try:
            moment = dt.datetime.fromisoformat(moment)
        except ValueError:
            return str(moment)  # not a time: shown as it was kept
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return f"{_day(moment)}, {_clock(moment)}"


def when_of(value: Any) -> When:
    """The stored "when" of an incident: a `When` dict, or (before migration 5's change) an ISO
    time, which was always read as an exact minute."""
    if isinstance(value, dict):
        return When.from_dict(value)
    if isinstance(value, str) and value:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return When(NOT_GIVEN, value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return When(EXACT, "", moment.astimezone(dt.UTC))
    return When(NOT_GIVEN, "")


def _day(moment: dt.datetime) -> str:
    local = moment.astimezone(LONDON)
    return f"{local:%a} {local.day} {local:%b %Y}"


def _clock(moment: dt.datetime) -> str:
    return moment.astimezone(LONDON).strftime("%H:%M")


def when_reading(catalog: Catalog, value: Any) -> str:
    """What was understood, saying only what the person said: 'Sat 28 Nov 2026, about 22:00',
    'Sun 29 Nov 2026, morning', 'week of 16 Nov 2026', 'time not given'."""
    when = when_of(value)
    start, end = when.start, when.end
    if start is None or when.precision == NOT_GIVEN:
        return catalog.text("journal.when_not_given")
    values = {"day": _day(start), "time": _clock(start)}
    if when.precision == EXACT:
        return catalog.text("journal.when_exact", values)
    if when.precision == APPROXIMATE:
        return catalog.text("journal.when_approximate", values)
    if when.precision == PART_OF_DAY and when.part:
        values["part"] = catalog.text(f"journal.part_{when.part}")
        return catalog.text("journal.when_part", values)
    if when.precision == RANGE and end is not None:
        values["until"] = _clock(end)
        return catalog.text("journal.when_range", values)
    if when.precision == WEEK:
        local = start.astimezone(LONDON)
        return catalog.text("journal.when_week", {"day": f"{local.day} {local:%b %Y}"})
    if when.precision == DAY:
        return catalog.text("journal.when_day", values)
    return catalog.text("journal.when_not_given")


def when_with_words(catalog: Catalog, value: Any) -> str:
    """The reading, and beside it the person's own words when they gave some."""
    when = when_of(value)
    reading = when_reading(catalog, value)
    if when.words:
        return catalog.text("journal.when_with_words", {"reading": reading, "words": when.words})
    return reading


def when_sort_key(value: Any, number: int) -> tuple[int, str, int]:
    """Diary order: by when it happened; 'not given' last, in the order recorded."""
    when = when_of(value)
    if when.start is None or when.precision == NOT_GIVEN:
        return (1, "", number)
    return (0, when.start.astimezone(dt.UTC).isoformat(), number)


def kind_text(catalog: Catalog, value: str | None) -> str:
    if not value:
        return ""
    key = f"journal.kind_{value}"
    return catalog.text(key) if catalog.has(key) else str(value)


def place_text(value: Any) -> str:
    if isinstance(value, dict) and "latitude" in value:
        return f"shared location {value['latitude']:.5f}, {value['longitude']:.5f}"
    return "" if value is None else str(value)


def field_text(catalog: Catalog, name: str, value: Any) -> str:
    """One field's value as text."""
    if value is None or value == "":
        return ""
    if name == "kind":
        return kind_text(catalog, value)
    if name == "occurred_at":
        return when_with_words(catalog, value)
    if name == "forwarded_date":
        return when_text(value)
    if name == "place":
        return place_text(value)
    if name == "caller_number":
        return phone_text(value)
    return str(value)


def phone_text(value: Any) -> str:
    """A number as the person typed it, with the normalised form beside it when different."""
    if isinstance(value, dict):
        typed, normal = str(value.get("typed") or ""), str(value.get("e164") or "")
        if typed and normal and typed.replace(" ", "") != normal:
            return f"{typed} ({normal})"
        return typed or normal
    return "" if value is None else str(value)


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} bytes"


def file_text(catalog: Catalog, stored: StoredFile, full_hash: bool = True) -> str:
    key = f"journal.file_kind_{stored.kind}"
    kind = catalog.text(key) if catalog.has(key) else stored.kind
    digest = stored.sha256 if full_hash else stored.sha256[:16] + "…"
    text = f"{stored.file_name} ({kind}, {size_text(stored.size)}), SHA-256 {digest}"
    if stored.forwarded_from or stored.forwarded_date:
        fwd = ", ".join(p for p in (stored.forwarded_from, when_text(stored.forwarded_date)) if p)
        text += f"; {catalog.text('journal.field_forwarded')} {fwd}"
    return text


def police_text(body: dict[str, Any]) -> str:
    parts = [str(body.get("reference") or "").strip(), str(body.get("officer") or "").strip()]
    reference, officer = parts
    if reference and officer:
        return f"{reference} ({officer})"
    return reference or officer


def revision_lines(catalog: Catalog, incident: Incident) -> list[str]:
    """The incident's history, one readable line per revision:
    'Corrected on Sun 29 Nov 2026, 10:02: Vehicle was "silver Focus", now "grey Focus"'."""
    lines: list[str] = []
    previous: dict[str, Any] = {}
    for rev in incident.revisions:
        time = when_text(rev.recorded_at)
        if rev.kind == KIND_CORRECTION:
            changes = [
                _change_text(catalog, name, previous.get(name), value)
                for name, value in rev.body.get("fields", {}).items()
            ]
            nothing = catalog.text("journal.history_no_change")
            line = catalog.text(
                "journal.history_corrected",
                {"time": time, "changes": "; ".join(changes) or nothing},
            )
        elif rev.kind == KIND_NOTE:
            line = catalog.text(
                "journal.history_note", {"time": time, "text": str(rev.body.get("text", ""))}
            )
        elif rev.kind == KIND_POLICE:
            line = catalog.text(
                "journal.history_police", {"time": time, "text": police_text(rev.body)}
            )
        else:
            line = catalog.text("journal.history_first", {"time": time})
        if rev.kind in ("original", KIND_CORRECTION):
            previous.update(rev.body.get("fields", {}))
        lines.append(line)
    return lines


def _change_text(catalog: Catalog, name: str, old: Any, new: Any) -> str:
    values = {
        "field": _label(catalog, name),
        "old": field_text(catalog, name, old),
        "new": field_text(catalog, name, new),
    }
    if not values["old"]:
        return catalog.text("journal.history_added", values)
    if not values["new"]:
        return catalog.text("journal.history_removed", values)
    return catalog.text("journal.history_changed", values)


def _label(catalog: Catalog, name: str) -> str:
    for field, key, _ in FIELD_ROWS:
        if field == name:
            return catalog.text(key)
    if name in ("forwarded_from", "forwarded_date"):
        return catalog.text("journal.field_forwarded")
    return name


def incident_rows(
    catalog: Catalog, incident: Incident, *, full_hash: bool = True
) -> list[tuple[str, str]]:
    """(label, text) for every field that has a value, in diary order."""
    fields = incident.fields
    rows: list[tuple[str, str]] = []
    rows.append(
        (
            catalog.text("journal.field_when"),
            when_with_words(catalog, fields.get("occurred_at")),
        )
    )
    rows.append((catalog.text("journal.field_recorded"), when_text(incident.recorded_at)))
    for name, key, _ in FIELD_ROWS:
        if name == "occurred_at":
            continue
        text = field_text(catalog, name, fields.get(name))
        if text:
            rows.append((catalog.text(key), text))
    if fields.get("forwarded_from") or fields.get("forwarded_date"):
        fwd = ", ".join(
            p
            for p in (
                str(fields.get("forwarded_from") or ""),
                when_text(fields.get("forwarded_date")),
            )
            if p
        )
        rows.append((catalog.text("journal.field_forwarded"), fwd))
    for stored in incident.files:
        rows.append((catalog.text("journal.field_evidence"), file_text(catalog, stored, full_hash)))
    for rev in incident.police:
        rows.append(
            (
                catalog.text("journal.field_police"),
                f"{police_text(rev.body)}; {when_text(rev.recorded_at)}",
            )
        )
    for rev in incident.notes:
        rows.append(
            (
                catalog.text("journal.field_notes"),
                f"{rev.body.get('text', '')}; {when_text(rev.recorded_at)}",
            )
        )
    return rows
