"""The incident diary as a PDF (fpdf2) and a CSV, built in memory: nothing is written to disk here.

What an officer needs first: the diary in the order things happened (entries numbered; "time not
given" last, in the order recorded), a first page with the pattern (a chart of incidents per week
by kind, drawn with fpdf2's own rectangles) and a table of every incident, then each incident in
full with its history. Whether the diary is intact (the keyed hash chain, bot/store/incidents.py)
and its fingerprint are printed at the top, so two exports can be compared.

`build_export` is pure CPU work and runs in a worker thread (`asyncio.to_thread`), so other
people's conversations go on while a long diary is built; the figures are in docs/journal.md.

The PDF uses the DejaVu Sans font shipped in `fonts/` (Bitstream Vera licence, see
LICENSE-DejaVu.txt) so names, accents and other scripts that victims write come out as typed;
the core PDF fonts only know Latin-1.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from bot.content.catalog import Catalog
from bot.journal.render import (
    FIELD_ROWS,
    KIND_VALUES,
    field_text,
    file_text,
    incident_rows,
    kind_text,
    police_text,
    revision_lines,
    when_of,
    when_reading,
    when_sort_key,
    when_text,
)
from bot.journal.when import LONDON, NOT_GIVEN
from bot.store.incidents import Incident, Integrity

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


Page = tuple[str, str, list[tuple[str, str]]]  # a feature's page: title, introduction, rows


CHART_WEEKS = 26  # the chart shows at most the last half year of the diary
# One colour per kind, told apart in print and by people with the commonest colour blindness
# (Okabe-Ito palette), then greys.
KIND_COLOURS: dict[str, tuple[int, int, int]] = {
    "followed": (0, 114, 178),
    "call": (230, 159, 0),
    "message": (86, 180, 233),
    "email": (0, 158, 115),
    "post": (240, 228, 66),
    "social_media": (204, 121, 167),
    "turned_up": (213, 94, 0),
    "damage": (0, 0, 0),
    "other": (150, 150, 150),
}
UNKNOWN_KIND_COLOUR = (200, 200, 200)


@dataclass(frozen=True, slots=True)
class Export:
    pdf: bytes
    csv: bytes


def diary_order(incidents: list[Incident]) -> list[Incident]:
    """In the order things happened; those with no time given last, in the order recorded."""
    return sorted(incidents, key=lambda i: when_sort_key(i.fields.get("occurred_at"), i.number))


def build_export(
    catalog: Catalog,
    incidents: list[Incident],
    now: dt.datetime,
    integrity: Integrity | None,
    pages: Sequence[Page] = (),
) -> Export:
    """Both documents. CPU only: call it in a worker thread."""
    ordered = diary_order(incidents)
    return Export(diary_pdf(catalog, ordered, now, integrity, pages), diary_csv(catalog, ordered))


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


def _week_counts(incidents: list[Incident]) -> tuple[list[dt.date], dict[dt.date, Counter[str]]]:
    weeks: dict[dt.date, Counter[str]] = {}
    for incident in incidents:
        when = when_of(incident.fields.get("occurred_at"))
        if when.start is None or when.precision == NOT_GIVEN:
            continue
        day = when.start.astimezone(LONDON).date()
        monday = day - dt.timedelta(days=day.weekday())
        weeks.setdefault(monday, Counter())[str(incident.fields.get("kind") or "")] += 1
    if not weeks:
        return [], {}
    last = max(weeks)
    first = max(min(weeks), last - dt.timedelta(weeks=CHART_WEEKS - 1))
    span = [first + dt.timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]
    return span, weeks


def _draw_chart(pdf: _Diary, catalog: Catalog, incidents: list[Incident]) -> None:
    """Incidents per week, a stacked bar per week, one colour per kind, with a legend."""
    span, weeks = _week_counts(incidents)
    pdf.set_font(FONT, "B", 11)
    pdf.text(pdf.l_margin, pdf.y + 4, catalog.text("journal.pdf_chart_title"))
    pdf.y += 7
    if not span:
        pdf.set_font(FONT, "", 9)
        pdf.text(pdf.l_margin, pdf.y + 3.4, catalog.text("journal.pdf_chart_empty"))
        pdf.y += pdf.LINE
        return
    tallest = max(sum(weeks.get(w, Counter()).values()) for w in span) or 1
    left, top, height = pdf.l_margin + 8, pdf.y + 2, 42.0
    width = pdf.w - pdf.r_margin - left
    step = (
        1
        if tallest <= 5
        else 2
        if tallest <= 10
        else 5
        if tallest <= 25
        else 10 * (tallest // 50 + 1)
    )
    scale = height / (((tallest + step - 1) // step) * step)
    pdf.set_font(FONT, "", 7)
    pdf.set_draw_color(210, 210, 210)
    mark = 0
    while mark * scale <= height + 0.01:
        y = top + height - mark * scale
        pdf.line(left, y, left + width, y)
        pdf.text(pdf.l_margin, y + 1, str(mark))
        mark += step
    slot = width / len(span)
    bar = max(min(slot * 0.7, 12.0), 0.6)
    label_every = max(1, int(len(span) / (width / 16)))
    order = [*KIND_VALUES, ""]
    for index, monday in enumerate(span):
        x = left + index * slot + (slot - bar) / 2
        y = top + height
        counts = weeks.get(monday, Counter())
        for kind in order + sorted(k for k in counts if k not in order):
            count = counts.get(kind, 0)
            if not count:
                continue
            pdf.set_fill_color(*KIND_COLOURS.get(kind, UNKNOWN_KIND_COLOUR))
            pdf.rect(x, y - count * scale, bar, count * scale, style="F")
            y -= count * scale
        if index % label_every == 0:
            pdf.text(left + index * slot, top + height + 3.5, f"{monday.day} {monday:%b}")
    pdf.y = top + height + 6
    pdf.set_font(FONT, "", 8)
    x = pdf.l_margin
    shown = {k for counts in weeks.values() for k in counts}
    for kind in [k for k in order if k in shown]:
        label = kind_text(catalog, kind) or catalog.text("journal.pdf_kind_not_given")
        pdf.set_fill_color(*KIND_COLOURS.get(kind, UNKNOWN_KIND_COLOUR))
        w = pdf.get_string_width(label) + 8
        if x + w > pdf.w - pdf.r_margin:
            x = pdf.l_margin
            pdf.y += 4.5
        pdf.rect(x, pdf.y + 0.6, 3, 3, style="F")
        pdf.text(x + 4, pdf.y + 3.2, label)
        x += w
    pdf.y += 6
    undated = sum(1 for i in incidents if when_of(i.fields.get("occurred_at")).start is None)
    note = catalog.text(
        "journal.pdf_chart_note", {"weeks": str(len(span)), "undated": str(undated)}
    )
    pdf.set_font(FONT, "", 8)
    for line in pdf.wrap(note, pdf.w - pdf.l_margin - pdf.r_margin):
        pdf.text(pdf.l_margin, pdf.y + 3, line)
        pdf.y += 4


def _draw_table(pdf: _Diary, catalog: Catalog, incidents: list[Incident]) -> None:
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


def _fit(pdf: _Diary, text: str, width: float) -> str:
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


def _rest_too_wide(pdf: _Diary, text: str, index: int, used: float, width: float) -> bool:
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
) -> bytes:
    """The diary: the first page (integrity, chart, table), then every incident in full; then
    the pages features add (e.g. the risk questions), each on a page of its own."""
    title = catalog.text("journal.pdf_title")
    pdf = _Diary(title)
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
    _draw_chart(pdf, catalog, incidents)
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


def _appendix_page(pdf: _Diary, page: Page) -> None:
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
