"""How incidents read: field by field, for the chat, the PDF and the CSV (words from content/)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.content.catalog import Catalog
from bot.engine.slots import LONDON
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
    ("occurred_at", "journal.field_when", "when"),
    ("place", "journal.field_where", "where"),
    ("description", "journal.field_what", "what"),
    ("person", "journal.field_person", "person"),
    ("vehicle", "journal.field_vehicle", "vehicle"),
    ("caller_number", "journal.field_number", "number"),
    ("witnesses", "journal.field_witnesses", "witnesses"),
    ("effect", "journal.field_effect", "effect"),
)
SLOT_TO_FIELD = {slot: name for name, _, slot in FIELD_ROWS}
FIELD_TO_SLOT = {name: slot for name, _, slot in FIELD_ROWS}
KIND_VALUES = (
    "followed",
    "call",
    "message",
    "email",
    "post",
    "social_media",
    "turned_up",
    "damage",
    "other",
)


def when_text(moment: dt.datetime | str | None) -> str:
    """A moment as UK people read it, in UK time: 'Tue 12 Mar 2026, 21:00'."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        try:
            moment = dt.datetime.fromisoformat(moment)
        except ValueError:
            return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(LONDON).strftime("%a %d %b %Y, %H:%M")


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
    if name in ("occurred_at", "forwarded_date"):
        return when_text(value)
    if name == "place":
        return place_text(value)
    return str(value)


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
    """One line per revision: what it was and when it was written; corrections say what changed."""
    lines: list[str] = []
    previous: dict[str, Any] = {}
    for rev in incident.revisions:
        kind = catalog.text(f"journal.rev_{rev.kind}")
        line = catalog.text(
            "journal.revision_line",
            {"revision": str(rev.revision), "kind": kind, "time": when_text(rev.recorded_at)},
        )
        if rev.kind == KIND_CORRECTION:
            changes = []
            for name, value in rev.body.get("fields", {}).items():
                label = _label(catalog, name)
                old = field_text(catalog, name, previous.get(name))
                new = field_text(catalog, name, value)
                was = f" ({catalog.text('journal.was')}: {old})" if old else ""
                changes.append(f"{label}: {new or catalog.text('journal.not_given')}{was}")
            if changes:
                line += ": " + "; ".join(changes)
        elif rev.kind == KIND_NOTE:
            line += ": " + str(rev.body.get("text", ""))
        elif rev.kind == KIND_POLICE:
            line += ": " + police_text(rev.body)
        if rev.kind in ("original", KIND_CORRECTION):
            previous.update(rev.body.get("fields", {}))
        lines.append(line)
    return lines


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
            field_text(catalog, "occurred_at", fields.get("occurred_at"))
            or catalog.text("journal.not_given"),
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
