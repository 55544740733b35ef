"""`safety-bot content report`: every text and phone number, its source and when a person last
checked it, flagging what is due for review (default: reviewed 12 or more months ago).

Advice goes out of date: numbers change, services close, the law moves. The deploying force or
charity runs this report (or its CSV in a spreadsheet) and re-checks the flagged items against
their sources, then updates `reviewed:` in the content files.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from bot.content.catalog import Catalog
from bot.flows.yamlsource import Located, YamlProblem, load_yaml

DEFAULT_MONTHS = 12
DUE, NO_DATE, FUTURE, OK = "DUE", "NO DATE", "FUTURE", "ok"


@dataclass(frozen=True)
class ReportItem:
    kind: str  # "text" | "contact"
    key: str
    source: str
    section: str | None
    reviewed: dt.date | None
    path: Path
    line: int
    status: str

    @property
    def flagged(self) -> bool:
        return self.status != OK


def months_before(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _status(reviewed: dt.date | None, cutoff: dt.date, today: dt.date) -> str:
    if reviewed is None:
        return NO_DATE
    if reviewed > today:
        return FUTURE
    if reviewed <= cutoff:
        return DUE
    return OK


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _contact_entries(content_dir: Path, region: str) -> dict[str, tuple[Path, int, dt.date | None]]:
    """Where each contact is defined (the region pack overrides) and its `reviewed` date."""
    found: dict[str, tuple[Path, int, dt.date | None]] = {}
    for path, inner in (
        (content_dir / "contacts.yaml", None),
        (content_dir / "regions" / f"{region}.yaml", "contacts"),
    ):
        try:
            data = load_yaml(path) if path.exists() else None
        except YamlProblem:
            continue
        if inner is not None and isinstance(data, Located):
            data = data.get(inner)
        if not isinstance(data, Located):
            continue
        for key, body in data.items():
            reviewed = _as_date(body.get("reviewed")) if isinstance(body, Located) else None
            found[key] = (path, data.line_of(key), reviewed)
    return found


def build_report(
    catalog: Catalog,
    content_dir: Path,
    *,
    months: int = DEFAULT_MONTHS,
    today: dt.date | None = None,
) -> tuple[list[ReportItem], dt.date]:
    """Every item, flagged ones first; and the cutoff date (reviewed on or before it: due)."""
    today = today or dt.date.today()
    cutoff = months_before(today, months)
    items = [
        ReportItem(
            "text",
            t.key,
            t.source,
            t.section,
            t.reviewed,
            t.path,
            t.line,
            _status(t.reviewed, cutoff, today),
        )
        for t in catalog.texts.values()
    ]
    where = _contact_entries(content_dir, catalog.region)
    for key in catalog.contacts:
        source, section = catalog.contact_sources.get(key, ("", None))
        path, line, reviewed = where.get(key, (content_dir / "contacts.yaml", 1, None))
        items.append(
            ReportItem(
                "contact",
                key,
                source,
                section,
                reviewed,
                path,
                line,
                _status(reviewed, cutoff, today),
            )
        )
    order = {DUE: 0, NO_DATE: 1, FUTURE: 2, OK: 3}
    items.sort(
        key=lambda i: (order[i.status], i.reviewed or dt.date.min, i.source, i.section or "", i.key)
    )
    return items, cutoff


def render_text(
    items: list[ReportItem],
    cutoff: dt.date,
    months: int,
    sources: dict[str, str],
    root: Path | None = None,
    flagged_only: bool = False,
) -> str:
    shown = [i for i in items if i.flagged] if flagged_only else items
    due = sum(i.status == DUE for i in items)
    undated = sum(i.status == NO_DATE for i in items)
    future = sum(i.status == FUTURE for i in items)
    lines = [
        f"Content review: {len(items)} items; review period {months} months "
        f"(reviewed on or before {cutoff.isoformat()} is due).",
        f"  {due} due for review, {undated} never reviewed, {future} dated in the future.",
        "",
    ]
    header = ("STATUS", "REVIEWED", "KIND", "KEY", "SOURCE", "SECTION", "FILE")
    rows = [header]
    for i in shown:
        path = i.path
        if root is not None:
            try:
                path = i.path.relative_to(root)
            except ValueError:
                pass
        rows.append(
            (
                i.status,
                i.reviewed.isoformat() if i.reviewed else "-",
                i.kind,
                i.key,
                i.source,
                i.section or "-",
                f"{path}:{i.line}",
            )
        )
    widths = [min(max(len(r[c]) for r in rows), 60) for c in range(len(header))]
    widths[-1] = max(len(r[-1]) for r in rows)  # the file:line is never cut
    for row in rows:
        cells = [
            (cell if len(cell) <= widths[c] else cell[: widths[c] - 1] + "…").ljust(widths[c])
            for c, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    used = sorted({i.source for i in shown if i.source})
    if used:
        lines.append("")
        lines.append("Sources:")
        lines.extend(f"  {s}: {sources.get(s, '(not in sources.yaml)')}" for s in used)
    return "\n".join(lines) + "\n"


def render_csv(items: list[ReportItem], sources: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["status", "reviewed", "kind", "key", "source", "source_title", "section", "file", "line"]
    )
    for i in items:
        writer.writerow(
            [
                i.status,
                i.reviewed.isoformat() if i.reviewed else "",
                i.kind,
                i.key,
                i.source,
                sources.get(i.source, ""),
                i.section or "",
                str(i.path),
                i.line,
            ]
        )
    return out.getvalue()
