"""The first page's chart: incidents per week, a stacked bar per week, one colour per kind.

Drawn with fpdf2's own rectangles (no plotting library: the PDF stays small and the chart prints
sharp). At most the last `CHART_WEEKS` weeks of the diary; incidents with no time given are
counted in the note under it, not in a bar.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.content.catalog import Catalog
from bot.journal.render import kind_text, when_of
from bot.journal.when import LONDON, NOT_GIVEN
from bot.store.incidents import Incident

if TYPE_CHECKING:
    from bot.journal.diary_pdf import Diary

FONT = "DejaVu"
CHART_WEEKS = 26  # the chart shows at most the last half year of the diary
# One colour per kind, in the order of the record's kinds (flows/record_incident.yaml, ask_kind),
# told apart in print and by people with the commonest colour blindness (Okabe-Ito palette);
# kinds past the palette, and "not given", in grey.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (0, 114, 178),
    (230, 159, 0),
    (86, 180, 233),
    (0, 158, 115),
    (240, 228, 66),
    (204, 121, 167),
    (213, 94, 0),
    (0, 0, 0),
    (150, 150, 150),
)
UNKNOWN_KIND_COLOUR = (200, 200, 200)


def colour_of(kind: str, kinds: Sequence[str]) -> tuple[int, int, int]:
    index = kinds.index(kind) if kind in kinds else len(PALETTE)
    return PALETTE[index] if index < len(PALETTE) else UNKNOWN_KIND_COLOUR


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


def draw_chart(
    pdf: Diary, catalog: Catalog, incidents: list[Incident], kinds: Sequence[str] = ()
) -> None:
    """Incidents per week, a stacked bar per week, one colour per kind (`kinds`: the record's
    kinds of incident, in the flow's order), with a legend."""
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
    order = [*kinds, ""]
    for index, monday in enumerate(span):
        x = left + index * slot + (slot - bar) / 2
        y = top + height
        counts = weeks.get(monday, Counter())
        for kind in order + sorted(k for k in counts if k not in order):
            count = counts.get(kind, 0)
            if not count:
                continue
            pdf.set_fill_color(*colour_of(kind, kinds))
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
        pdf.set_fill_color(*colour_of(kind, kinds))
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
