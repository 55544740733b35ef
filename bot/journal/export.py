"""The incident diary as a PDF (fpdf2) and a CSV, built in memory: nothing is written to disk here.

The PDF uses the DejaVu Sans font shipped in `fonts/` (Bitstream Vera licence, see
LICENSE-DejaVu.txt) so names, accents and other scripts that victims write come out as typed;
the core PDF fonts only know Latin-1.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from fpdf import FPDF

from bot.content.catalog import Catalog
from bot.journal.render import (
    FIELD_ROWS,
    field_text,
    file_text,
    incident_rows,
    police_text,
    revision_lines,
    when_text,
)
from bot.store.incidents import Incident

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"


class _Diary(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self._title = title
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_title(title)
        self.set_creator("safety-bot")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.cell(0, 5, f"{self._title} · {self.page_no()}/{{nb}}", align="C")


def diary_pdf(catalog: Catalog, incidents: list[Incident], now: dt.datetime) -> bytes:
    """Every incident, oldest first, with every field, its evidence and its revisions."""
    title = catalog.text("journal.pdf_title")
    pdf = _Diary(title)
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    intro = catalog.text(
        "journal.pdf_intro", {"count": str(len(incidents)), "time": when_text(now)}
    )
    pdf.multi_cell(0, 4.5, intro, new_x="LMARGIN", new_y="NEXT")
    label_width = 42
    heading = catalog.text("journal.field_number_label")
    revisions_label = catalog.text("journal.field_revisions")
    for incident in incidents:
        pdf.ln(3)
        if pdf.get_y() > pdf.h - 50:
            pdf.add_page()
        pdf.set_font(FONT, "B", 12)
        pdf.cell(0, 7, f"{heading} {incident.number}", new_x="LMARGIN", new_y="NEXT")
        rows = incident_rows(catalog, incident)
        rows.extend((revisions_label, line) for line in revision_lines(catalog, incident))
        for label, text in rows:
            if pdf.get_y() > pdf.h - 22:
                pdf.add_page()  # keep a label on the same page as the start of its text
            pdf.set_font(FONT, "B", 9)
            pdf.cell(label_width, 4.5, label)
            pdf.set_font(FONT, "", 9)
            pdf.multi_cell(0, 4.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(180, 180, 180)
        pdf.line(pdf.l_margin, pdf.get_y() + 1.5, pdf.w - pdf.r_margin, pdf.get_y() + 1.5)
        pdf.ln(2)
    return bytes(pdf.output())


CSV_HEADER = (
    "number",
    "happened (UK time)",
    "happened (UTC)",
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


def diary_csv(catalog: Catalog, incidents: list[Incident]) -> bytes:
    """The same diary as CSV (UTF-8 with a BOM so spreadsheet programs read the accents)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([catalog.text(h) if h.startswith("journal.") else h for h in CSV_HEADER])
    for incident in incidents:
        fields = incident.fields
        row = [
            str(incident.number),
            when_text(fields.get("occurred_at")),
            str(fields.get("occurred_at") or ""),
            when_text(incident.recorded_at),
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
