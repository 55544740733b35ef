"""The incident diary as a PDF (fpdf2), built in memory: nothing is written to disk here.

What an officer needs first: the diary in the order things happened (entries numbered; "time not
given" last, in the order recorded), a first page with the pattern (the chart, diary_chart.py)
and a table of every incident, then each incident in full with its history. Whether the diary is
intact (the keyed hash chain, bot/store/incidents.py) and its fingerprint are printed at the top,
so two exports can be compared.

The PDF uses the DejaVu Sans font shipped in `fonts/` (Bitstream Vera licence, see
LICENSE-DejaVu.txt) so names, accents and other scripts that victims write come out as typed;
the core PDF fonts only know Latin-1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF

from bot.content.catalog import Catalog
from bot.journal.diary_chart import FONT, draw_chart
from bot.journal.render import (
    incident_rows,
    kind_text,
    revision_lines,
    when_reading,
    when_text,
)
from bot.store.incidents import Incident, Integrity

FONT_DIR = Path(__file__).resolve().parent / "fonts"


class Diary(FPDF):
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


Page = tuple[str, str, list[tuple[str, str]]]  # a feature's page: title, introduction, rows


def _integrity_lines(catalog: Catalog, integrity: Integrity | None) -> list[str]:
    if integrity is None:
        return []
    fingerprint = catalog.text("journal.pdf_fingerprint", {"fingerprint": integrity.fingerprint})
    if integrity.intact:
        return [catalog.text("journal.pdf_intact"), fingerprint]
    lines = [catalog.text("journal.pdf_tampered")]
    lines.extend(f"  • {problem}" for problem in integrity.problems[:20])
    if len(integrity.problems) > 20:
        lines.append(f"  • … {len(integrity.problems) - 20} more")
    lines.append(fingerprint)
    return lines


def _draw_table(pdf: Diary, catalog: Catalog, incidents: list[Incident]) -> None:
    """Every incident on one line: entry, incident number, when, kind, what happened."""
    columns = (
        (catalog.text("journal.pdf_col_entry"), 10.0),
        (catalog.text("journal.pdf_col_incident"), 14.0),
        (catalog.text("journal.field_when"), 68.0),
        (catalog.text("journal.field_kind"), 40.0),
        (catalog.text("journal.field_what"), 0.0),
    )
    total = pdf.w - pdf.l_margin - pdf.r_margin
    widths = [w or total - sum(c[1] for c in columns) for _, w in columns]

    def header() -> None:
        pdf.set_font(FONT, "B", 8)
        x = pdf.l_margin
        for (label, _), w in zip(columns, widths, strict=True):
            pdf.text(x, pdf.y + 3.2, label)
            x += w
        pdf.y += 4.2
        pdf.line(pdf.l_margin, pdf.y, pdf.w - pdf.r_margin, pdf.y)
        pdf.y += 0.6

    pdf.set_font(FONT, "B", 11)
    pdf.y += 2
    pdf.text(pdf.l_margin, pdf.y + 4, catalog.text("journal.pdf_table_title"))
    pdf.y += 7
    header()
    for entry, incident in enumerate(incidents, start=1):
        if pdf.y + 4 > pdf.h - 18:
            pdf.add_page()
            header()
        fields = incident.fields
        cells = (
            str(entry),
            str(incident.number),
            when_reading(catalog, fields.get("occurred_at")),
            kind_text(catalog, fields.get("kind")),
            str(fields.get("description") or ""),
        )
        pdf.set_font(FONT, "", 7.5)
        x = pdf.l_margin
        for text, w in zip(cells, widths, strict=True):
            pdf.text(x, pdf.y + 3.2, _fit(pdf, " ".join(text.split()), w - 1.5))
            x += w
        pdf.y += 4


def _fit(pdf: Diary, text: str, width: float) -> str:
    """Cut a table cell to its column, with "…"; widths from the per-character cache (measuring
    each cell with fpdf2 took 3 s for 1,000 rows)."""
    limit = width - pdf._width("…")  # noqa: SLF001 - the diary's own cache
    used = 0.0
    for index, char in enumerate(text):
        used += pdf._width(char)  # noqa: SLF001
        if used > width or (
            used > limit and index < len(text) - 1 and _rest_too_wide(pdf, text, index, used, width)
        ):
            return text[:index].rstrip() + "…"
    return text


def _rest_too_wide(pdf: Diary, text: str, index: int, used: float, width: float) -> bool:
    for char in text[index + 1 :]:
        used += pdf._width(char)  # noqa: SLF001
        if used > width:
            return True
    return False


def diary_pdf(
    catalog: Catalog,
    incidents: list[Incident],
    now: dt.datetime,
    integrity: Integrity | None = None,
    pages: Sequence[Page] = (),
    kinds: Sequence[str] = (),
) -> bytes:
    """The diary: the first page (integrity, chart, table), then every incident in full; then
    the pages features add (e.g. the risk questions), each on a page of its own. `kinds` are the
    record's kinds of incident, in the flow's order (the chart's order and colours)."""
    title = catalog.text("journal.pdf_title")
    pdf = Diary(title)
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    counted = catalog.count("journal.incidents_count", len(incidents))
    intro = catalog.text("journal.pdf_intro", {"incidents": counted, "time": when_text(now)})
    full = pdf.w - pdf.l_margin - pdf.r_margin
    for line in pdf.wrap(intro, full):
        pdf.text(pdf.l_margin, pdf.y + 3.4, line)
        pdf.y += pdf.LINE
    integrity_lines = _integrity_lines(catalog, integrity)
    if integrity_lines:
        pdf.y += 1
        pdf.set_font(FONT, "B", 9)
        if integrity is not None and not integrity.intact:
            pdf.set_text_color(170, 0, 0)
        for line in integrity_lines:
            for part in pdf.wrap(line, full):
                pdf.text(pdf.l_margin, pdf.y + 3.4, part)
                pdf.y += pdf.LINE
            pdf.set_font(FONT, "", 9)
        pdf.set_text_color(0, 0, 0)
    pdf.y += 3
    draw_chart(pdf, catalog, incidents, kinds)
    _draw_table(pdf, catalog, incidents)
    heading = catalog.text("journal.field_number_label")
    entry_label = catalog.text("journal.pdf_col_entry")
    revisions_label = catalog.text("journal.field_revisions")
    pdf.set_draw_color(180, 180, 180)
    pdf.add_page()
    for entry, incident in enumerate(incidents, start=1):
        pdf.y += 3
        pdf.room(30)
        pdf.set_font(FONT, "B", 12)
        pdf.text(pdf.l_margin, pdf.y + 5, f"{entry_label} {entry} · {heading} {incident.number}")
        pdf.y += 8
        rows = incident_rows(catalog, incident)
        rows.extend((revisions_label, line) for line in revision_lines(catalog, incident))
        for label, text in rows:
            pdf.row(label, text)
        pdf.line(pdf.l_margin, pdf.y + 1.5, pdf.w - pdf.r_margin, pdf.y + 1.5)
        pdf.y += 2
    for page in pages:
        _appendix_page(pdf, page)
    return bytes(pdf.output())


def _appendix_page(pdf: Diary, page: Page) -> None:
    title, intro, rows = page
    pdf.add_page()
    pdf.set_font(FONT, "B", 12)
    for line in pdf.wrap(title, pdf.w - pdf.l_margin - pdf.r_margin):
        pdf.text(pdf.l_margin, pdf.y + 5, line)
        pdf.y += 6
    pdf.set_font(FONT, "", 9)
    for line in pdf.wrap(intro, pdf.w - pdf.l_margin - pdf.r_margin):
        pdf.text(pdf.l_margin, pdf.y + 3.4, line)
        pdf.y += pdf.LINE
    pdf.y += 2
    for question, answer in rows:
        pdf.set_font(FONT, "", 9)
        for line in pdf.wrap(question, pdf.w - pdf.l_margin - pdf.r_margin - 30):
            pdf.room(pdf.LINE)
            pdf.text(pdf.l_margin, pdf.y + 3.4, line)
            pdf.y += pdf.LINE
        pdf.set_font(FONT, "B", 9)
        pdf.text(pdf.w - pdf.r_margin - 28, pdf.y - pdf.LINE + 3.4, answer)
        pdf.y += 1.5
