"""Writes the pack: an index, one page per flow, the sign-off sheet, the diagrams, manifest.json.

Plain HTML and CSS from Jinja2 templates (package data, so the installed wheel carries them);
the stylesheet is inlined in every page, so any one page opens on its own from a USB stick or an
email attachment. No page has a script: the pack is read, clicked and printed without one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from bot.content.catalog import PLACEHOLDER_RE
from bot.engine.actions import Registry
from bot.flows.loader import Project
from bot.ops.content_report import DEFAULT_MONTHS, DUE, FUTURE, NO_DATE
from bot.ops.graph import GraphError, build_graph, render_image, to_dot
from bot.ops.review_pack.ledger import (
    CHANGED,
    NEW,
    Entry,
    Since,
    build_entries,
    load_since,
    manifest,
    removed_since,
)
from bot.ops.review_pack.screens import (
    NAV_KEYS,
    FlowScreens,
    ScreenBuilder,
    command_anchor,
    flow_page,
)

MANIFEST = "manifest.json"
PRINT_PAGE = "print.html"
ASK_LIKE = "ask_like.yaml"  # the typed-question phrase lists (bot/ask), shown on their own page
ASK_LIKE_PAGE = "ask-like.html"
GRAPHS = "graphs"


class PackError(Exception):
    """The pack cannot be written as asked; the message says what to do."""


@dataclass(slots=True)
class Group:
    """One block of the sign-off sheet: the texts a flow shows first, or the rest."""

    id: str
    title: str
    entries: list[Entry]
    href: str | None = None


@dataclass(slots=True)
class PackSummary:
    out_dir: Path
    region: str
    flows: int
    screens: int
    entries: int
    due: int
    changed: int
    removed: list[str]
    graph_note: str | None
    pages: list[str] = field(default_factory=list)
    since_region: str | None = None

    def describe(self) -> str:
        lines = [
            f"Wrote the review pack to {self.out_dir} (region {self.region}): {self.flows} flows, "
            f"{self.screens} screens, {self.entries} texts and numbers "
            f"({self.due} due for review or undated, {self.changed} new or changed).",
            f"Open {self.out_dir / 'index.html'} in a browser; sign {self.out_dir / 'signoff.html'}.",
        ]
        if self.since_region and self.since_region != self.region:
            lines.append(
                f"Note: the signed pack is for region {self.since_region}, not {self.region}."
            )
        if self.removed:
            lines.append(f"Removed since the signed pack: {', '.join(self.removed)}")
        if self.graph_note:
            lines.append(f"Note: {self.graph_note}")
        return "\n".join(lines)


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bot.ops.review_pack", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(DUE=DUE, NO_DATE=NO_DATE, FUTURE=FUTURE, NEW=NEW, CHANGED=CHANGED)
    return env


def _check_out_dir(out_dir: Path) -> None:
    """Write into a new or empty folder, or over an earlier pack, never over other files."""
    if out_dir.exists() and not out_dir.is_dir():
        raise PackError(f"{out_dir} is a file; give a folder for the pack")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MANIFEST).exists():
        raise PackError(f"{out_dir} is not empty and holds no review pack; give a new folder")


def _clear_old_pack(out_dir: Path) -> None:
    # an earlier pack's pages: a flow removed since must not linger as if current
    for old in [*out_dir.glob("flow-*.html"), *(out_dir / GRAPHS).glob("*.svg")]:
        old.unlink()


def _draw(project: Project, flow: str, out_dir: Path) -> str | None:
    """The flow's diagram as `safety-bot graph` draws it; None and a note if it cannot be."""
    target = out_dir / GRAPHS / f"{flow}.svg"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        render_image(to_dot(build_graph(project.flows, project.catalog, flow)), "svg", target)
    except GraphError as exc:
        return str(exc)
    return None


def _groups(
    flows: list[FlowScreens], entries: dict[tuple[str, str], Entry], catalog_keys: list[str]
) -> list[Group]:
    """Every entry once: under the first flow that shows it, then nav buttons, the code's words
    and numbers not named on any screen."""
    seen: set[tuple[str, str]] = set()
    groups: list[Group] = []

    def take(keys: list[tuple[str, str]]) -> list[Entry]:
        out = []
        for k in keys:
            if k in entries and k not in seen:
                seen.add(k)
                out.append(entries[k])
        return out

    for f in flows:
        keys = [("text", k) for s in f.screens for k in s.content_keys]
        keys += [("contact", c.key) for s in f.screens for c in s.cards]
        taken = take(keys)
        if taken:
            groups.append(Group(f.flow.id, f.title, taken, flow_page(f.flow.id)))
    nav = take([("text", k) for k in NAV_KEYS])
    if nav:
        groups.append(Group("on-every-screen", "Buttons on every screen", nav))
    code = take([("text", k) for k in catalog_keys])
    if code:
        groups.append(Group("code", "Words the code uses (not on a flow screen)", code))
    rest = take(sorted(k for k in entries if k[0] == "contact"))
    if rest:
        groups.append(Group("numbers", "Phone numbers not named on a flow screen", rest))
    return groups


def build_pack(
    project: Project,
    registry: Registry,
    content_dir: Path,
    out_dir: Path,
    *,
    months: int = DEFAULT_MONTHS,
    today: dt.date | None = None,
    since_path: Path | None = None,
) -> PackSummary:
    """Write the review pack for `project` (its region's texts in place) into `out_dir`."""
    today = today or dt.date.today()
    since: Since | None = load_since(since_path) if since_path else None  # before any write
    _check_out_dir(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear_old_pack(out_dir)

    catalog = project.catalog
    flows = ScreenBuilder(project, registry).all_flows()
    entries, cutoff = build_entries(catalog, content_dir, months=months, today=today, since=since)
    groups = _groups(flows, entries, sorted(catalog.texts))
    removed = removed_since(entries, since)
    graph_notes = {f.flow.id: _draw(project, f.flow.id, out_dir) for f in flows}
    graph_note = next((n for n in graph_notes.values() if n), None)
    commands = sorted(
        {
            o.target.command
            for f in flows
            for step in f.flow.steps.values()
            for o in step.options
            if o.target.command and o.target.command not in registry.command_flows
        }
    )

    def rendered(entry: Entry) -> str:
        if entry.kind == "contact":
            return entry.words
        slots = {n: f"[{n}]" for n in _slot_names(entry.words)}
        return catalog.render(entry.key, slots)[0] if catalog.has(entry.key) else entry.words

    ask_like = _ask_like(content_dir)
    env = environment()
    common = {
        "region": catalog.region,
        "generated": today.isoformat(),
        "cutoff": cutoff.isoformat(),
        "months": months,
        "since": since,
        "entries": entries,
        "flows": flows,
        "steps": sum(len(f.screens) for f in flows),
        "graph_note": graph_note,
        "rendered": rendered,
        "nav": [entries[("text", k)] for k in NAV_KEYS if ("text", k) in entries],
        "flow_page": flow_page,
        "Markup": Markup,
    }
    pages = {
        "index.html": env.get_template("index.html").render(
            **common,
            commands=commands,
            command_anchor=command_anchor,
            removed=removed,
            ask_like_page=ASK_LIKE_PAGE if ask_like is not None else None,
        ),
        "signoff.html": env.get_template("signoff.html").render(
            **common, groups=groups, removed=removed
        ),
    }
    graphs = {fid: None if note else f"{GRAPHS}/{fid}.svg" for fid, note in graph_notes.items()}
    for i, f in enumerate(flows):
        pages[flow_page(f.flow.id)] = env.get_template("flow.html").render(
            **common,
            f=f,
            graph=graphs[f.flow.id],
            graph_problem=graph_notes[f.flow.id],
            prev=flows[i - 1] if i else None,
            next=flows[i + 1] if i + 1 < len(flows) else None,
            one_page=False,
            link=lambda href: href,
        )
    pages[PRINT_PAGE] = env.get_template("print.html").render(
        **common, graphs=graphs, graph_problems=graph_notes, one_page=True, link=_in_page
    )
    if ask_like is not None:
        pages[ASK_LIKE_PAGE] = env.get_template("ask_like.html").render(**common, ask_like=ask_like)
    for name, html in pages.items():
        (out_dir / name).write_text(html, encoding="utf-8")
    (out_dir / MANIFEST).write_text(
        manifest(entries, catalog.region, today, months), encoding="utf-8"
    )
    return PackSummary(
        out_dir,
        catalog.region,
        len(flows),
        sum(len(f.screens) for f in flows),
        len(entries),
        sum(e.flagged for e in entries.values()),
        sum(bool(e.change) for e in entries.values()),
        removed,
        graph_note,
        sorted(pages),
        since.region if since else None,
    )


def _ask_like(content_dir: Path) -> dict | None:
    """content/ask_like.yaml (the words people type for each screen), if the content has it."""
    path = content_dir / ASK_LIKE
    if not path.exists():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _in_page(href: str) -> str:
    """A link between flow pages as a link within print.html, where every flow is."""
    page, _, fragment = href.partition("#")
    if page.startswith("flow-") and page.endswith(".html"):
        return f"#{fragment}" if fragment else f"#{page[: -len('.html')]}"
    return href


def _slot_names(words: str) -> list[str]:
    return [name for kind, name in PLACEHOLDER_RE.findall(words) if kind == "slot"]
