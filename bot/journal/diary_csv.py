"""The incident diary as CSV: the same rows as the PDF, one per incident, for a spreadsheet.

UTF-8 with a byte-order mark so spreadsheet programs read the accents; every cell kept as text
(a cell starting with = + - @ would run as a formula).
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from bot.content.catalog import Catalog
from bot.journal.render import (
    FIELD_ROWS,
    field_text,
    file_text,
    police_text,
    revision_lines,
    when_of,
    when_reading,
    when_text,
)
from bot.journal.when import LONDON
from bot.store.incidents import Incident

CSV_HEADER = (
    "entry",
    "incident number",
    "journal.field_when",
    "precision",
    "when, in their words",
    "happened from (UTC)",
    "happened from (UK time)",
    "happened until (UTC)",
    "happened until (UK time)",
    "recorded (UTC)",
    "recorded (UK time)",
    *(key for name, key, _ in FIELD_ROWS if name != "occurred_at"),
    "journal.field_forwarded",
    "forwarded date (UK time)",
    "journal.field_evidence",
    "journal.field_police",
    "journal.field_notes",
    "journal.field_revisions",
)


def _cell(value: str) -> str:
    """Spreadsheets run a cell that starts with = + - @ as a formula: keep it as text."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def _utc(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="minutes") if moment else ""


def _local(moment: dt.datetime | None) -> str:
    return moment.astimezone(LONDON).isoformat(timespec="minutes") if moment else ""


def table_csv(rows: list[list[str]]) -> bytes:
    """Rows as CSV (UTF-8 with a BOM), each cell kept as text."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def diary_csv(catalog: Catalog, incidents: list[Incident]) -> bytes:
    """The same rows as the PDF (UTF-8 with a BOM so spreadsheet programs read the accents)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([catalog.text(h) if h.startswith("journal.") else h for h in CSV_HEADER])
    for entry, incident in enumerate(incidents, start=1):
        fields = incident.fields
        when = when_of(fields.get("occurred_at"))
        row = [
            str(entry),
            str(incident.number),
            when_reading(catalog, fields.get("occurred_at")),
            when.precision,
            when.words,
            _utc(when.start),
            _local(when.start),
            _utc(when.end),
            _local(when.end),
            _utc(incident.recorded_at),
            _local(incident.recorded_at),
        ]
        for name, _, _ in FIELD_ROWS:
            if name != "occurred_at":
                row.append(field_text(catalog, name, fields.get(name)))
        row.append(str(fields.get("forwarded_from") or ""))
        row.append(when_text(fields.get("forwarded_date")))
        row.append("\n".join(file_text(catalog, f) for f in incident.files))
        row.append(
            "\n".join(
                f"{police_text(r.body)} ({when_text(r.recorded_at)})" for r in incident.police
            )
        )
        row.append(
            "\n".join(
                f"{r.body.get('text', '')} ({when_text(r.recorded_at)})" for r in incident.notes
            )
        )
        row.append("\n".join(revision_lines(catalog, incident)))
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
