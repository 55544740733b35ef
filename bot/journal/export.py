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
    when_reading,
    when_text,
)
from bot.store.incidents import Incident

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"


class _Diary(FPDF):
    """An A4 diary. Text is wrapped here, word by word with cached widths, and placed with
    `text()`: fpdf2's `multi_cell` re-measures the whole line for every character, which made
    1,000 incidents take about 5 s instead of well under 1 s."""

    LINE = 4.5
    LABEL_WIDTH = 42.0

    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self._title = title
        self.set_auto_page_break(auto=False)
        self.set_margins(15, 15, 15)
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_title(title)
        self.set_creator("safety-bot")
        self._widths: dict[tuple[str, str, float], float] = {}
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.cell(0, 5, f"{self._title} · {self.page_no()}/{{nb}}", align="C")

    def _width(self, word: str) -> float:
        key = (self.font_style, word, self.font_size_pt)
        width = self._widths.get(key)
        if width is None:
            width = self.get_string_width(word)
            self._widths[key] = width
        return width

    def wrap(self, text: str, width: float) -> list[str]:
        """Greedy word wrap; a word wider than the column is cut by characters."""
        lines: list[str] = []
        space = self._width(" ")
        for paragraph in text.split("\n"):
            line, used = "", 0.0
            for word in paragraph.split(" "):
                w = self._width(word)
                if w > width:  # a very long word (a link, a hash): cut it
                    if line:
                        lines.append(line)
                    piece, used = "", 0.0
                    for ch in word:
                        cw = self._width(ch)
                        if used + cw > width and piece:
                            lines.append(piece)
                            piece, used = "", 0.0
                        piece += ch
                        used += cw
                    line = piece
                    continue
                if line and used + space + w > width:
                    lines.append(line)
                    line, used = word, w
                elif line:
                    line, used = f"{line} {word}", used + space + w
                else:
                    line, used = word, w
            lines.append(line)
        return lines

    def room(self, height: float) -> None:
        if self.y + height > self.h - 18:
            self.add_page()

    def row(self, label: str, text: str) -> None:
        left = self.l_margin
        value_x = left + self.LABEL_WIDTH
        self.set_font(FONT, "", 9)
        lines = self.wrap(text, self.w - self.r_margin - value_x)
        self.room(self.LINE)
        self.set_font(FONT, "B", 9)
        self.text(left, self.y + 3.4, label)
        self.set_font(FONT, "", 9)
        for line in lines:
            self.room(self.LINE)
            if line:
                self.text(value_x, self.y + 3.4, line)
            self.y += self.LINE


def diary_pdf(catalog: Catalog, incidents: list[Incident], now: dt.datetime) -> bytes:
    """Every incident, oldest first, with every field, its evidence and its revisions."""
    title = catalog.text("journal.pdf_title")
    pdf = _Diary(title)
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    counted = catalog.count("journal.incidents_count", len(incidents))
    intro = catalog.text("journal.pdf_intro", {"incidents": counted, "time": when_text(now)})
    for line in pdf.wrap(intro, pdf.w - pdf.l_margin - pdf.r_margin):
        pdf.text(pdf.l_margin, pdf.y + 3.4, line)
        pdf.y += pdf.LINE
    heading = catalog.text("journal.field_number_label")
    revisions_label = catalog.text("journal.field_revisions")
    pdf.set_draw_color(180, 180, 180)
    for incident in incidents:
        pdf.y += 3
        pdf.room(30)
        pdf.set_font(FONT, "B", 12)
        pdf.text(pdf.l_margin, pdf.y + 5, f"{heading} {incident.number}")
        pdf.y += 8
        rows = incident_rows(catalog, incident)
        rows.extend((revisions_label, line) for line in revision_lines(catalog, incident))
        for label, text in rows:
            pdf.row(label, text)
        pdf.line(pdf.l_margin, pdf.y + 1.5, pdf.w - pdf.r_margin, pdf.y + 1.5)
        pdf.y += 2
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
            when_reading(catalog, fields.get("occurred_at")),
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
