"""The export: the diary as a PDF and a CSV, for the police (`/export`).

`build_export` is pure CPU work and runs in a worker thread (`asyncio.to_thread`), so other
people's conversations go on while a long diary is built; the figures are in docs/journal.md.
The PDF is diary_pdf.py (its chart diary_chart.py), the CSV diary_csv.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot import metrics
from bot.content.catalog import Catalog
from bot.engine.events import Document
from bot.engine.turn import Turn
from bot.journal import steps
from bot.journal.common import RECORD, limits_of, store_of
from bot.journal.diary_csv import diary_csv, table_csv
from bot.journal.diary_pdf import Page, diary_pdf
from bot.journal.render import when_sort_key
from bot.store.incidents import Incident, Integrity

# Exports built at once in this process: each is one CPU-bound thread; more would only slow
# everyone (2 cores) and hold more diaries in memory.
EXPORT_BUILDERS = 2
_builders: asyncio.Semaphore | None = None


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
    kinds: Sequence[str] = (),
) -> Export:
    """Both documents. CPU only: call it in a worker thread. `kinds`: the record's kinds of
    incident in the flow's order (`kinds_of`)."""
    ordered = diary_order(incidents)
    pdf = diary_pdf(catalog, ordered, now, integrity, pages, kinds)
    return Export(pdf, diary_csv(catalog, ordered))


def kinds_of(turn: Turn) -> list[str]:
    """The kinds of incident, as the record's question offers them (flows/record_incident.yaml)."""
    question = turn.steps_of(RECORD).get(steps.ASK_KIND)
    return [choice.value for choice in question.choices] if question is not None else []


def _export_slots() -> asyncio.Semaphore:
    global _builders
    if _builders is None:
        _builders = asyncio.Semaphore(EXPORT_BUILDERS)
    return _builders


async def export_command(turn: Turn) -> None:
    """`/export`: the diary as PDF and CSV, built in a worker thread so that nobody else waits.

    The person's own conversation waits (their lock is held), which is what they expect; one
    export builds at most `export_incidents` incidents, and at most EXPORT_BUILDERS build at once.
    Pages other features add (e.g. the risk questions) follow the incidents.
    """
    store = store_of(turn)
    incidents = await store.all(turn.user_ref)
    appendices = await turn.diary_appendices()
    if not incidents and not appendices:
        turn.show_screen(turn.text("journal.export_empty"), [])
        return
    integrity = await store.verify(turn.user_ref)
    catalog = turn.catalog
    cap = limits_of(turn).export_incidents
    ordered = diary_order(incidents)
    if len(ordered) > cap:
        turn.say("journal.export_capped", shown=str(cap), total=str(len(ordered)))
        ordered = ordered[:cap]
    pages = [page for appendix in appendices for page in appendix.pages]
    async with _export_slots():
        export = await asyncio.to_thread(
            build_export, catalog, ordered, turn.now, integrity, pages, kinds_of(turn)
        )
    metrics.EXPORTS_BUILT.inc()
    stamp = turn.now.astimezone(dt.UTC).strftime("%Y-%m-%d")
    counted = turn.count("journal.incidents_count", len(ordered))
    turn.send_document(
        Document(f"incident-diary-{stamp}.pdf", export.pdf, "application/pdf"),
        turn.text("journal.export_pdf", incidents=counted),
    )
    turn.send_document(
        Document(f"incident-diary-{stamp}.csv", export.csv, "text/csv"),
        turn.text("journal.export_csv"),
    )
    for appendix in appendices:
        turn.send_document(
            Document(
                f"{appendix.csv_name}-{stamp}.csv",
                table_csv([appendix.csv_header, *appendix.csv_rows]),
                "text/csv",
            ),
        )
