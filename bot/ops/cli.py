"""The operator subcommands of `safety-bot`: doctor, backup, rotate-key, graph, content report.

`bot/cli.py` calls `add_operator_commands` to register them and dispatches by command name.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

from bot.flows.loader import Project, load_project
from bot.ops.review_pack.command import add_review_pack, iso_date
from bot.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]


def _err(message: str) -> None:
    print(f"safety-bot: {message}", file=sys.stderr)


def _project_dirs(parser: argparse.ArgumentParser) -> None:
    """No-op: bot/cli.py's common options now carry --flows-dir and --content-dir everywhere."""


def _load_lenient(settings: Settings) -> Project:
    """Flows and content even with problems (drawn/listed anyway; `validate` names them)."""
    from bot.app import build_registry, project_checks

    project = load_project(
        settings.flows_dir,
        settings.content_dir,
        region=settings.region,
        raise_on_problems=False,
        **project_checks(build_registry()),
    )
    if project.problems:
        _err(
            f"warning: {len(project.problems)} problem(s) in the flows/content "
            "(`safety-bot validate` lists them); continuing with what loaded"
        )
    return project


# -- doctor ------------------------------------------------------------------------------------
def _doctor(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ops.doctor import run_doctor

    report = run_doctor(settings, quick=args.quick)
    print(f"safety-bot doctor: {settings.data_dir}")
    print(report.render())
    return report.exit_code(strict=args.strict)


# -- init --------------------------------------------------------------------------------------
def _init(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ops.init import InitError, describe, write_editable_copy

    try:
        written = write_editable_copy(Path(args.dir), region=settings.region)
    except InitError as exc:
        _err(str(exc))
        return 2
    print(describe(written))
    return 0


# -- backup ------------------------------------------------------------------------------------
def _backup(args: argparse.Namespace, settings: Settings) -> int:
    import sqlite3

    from bot.app import build_registry, sealed_data
    from bot.ops.backup import BackupError, backup_database, describe

    sealed = sealed_data(build_registry())  # what every feature declared sealed (its files)
    try:
        result = backup_database(settings, args.path, sealed, force=args.force)
    except BackupError as exc:
        _err(str(exc))
        return 2
    except sqlite3.OperationalError as exc:
        _err(f"the database could not be read ({exc}); is a key rotation running?")
        return 2
    print(describe(result, settings))
    return 0


# -- rotate-key --------------------------------------------------------------------------------
def _rotate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build_registry, sealed_data
    from bot.ops.rotate import RotationError, describe, rotate_key

    sealed = sealed_data(build_registry())  # the store's sealed tables and every feature's
    try:
        result = rotate_key(settings, sealed, batch_size=args.batch_size)
    except RotationError as exc:
        _err(str(exc))
        return 2
    print(describe(result, settings))
    return 0


# -- graph -------------------------------------------------------------------------------------
SUFFIX_FORMATS = {".mmd": "mermaid", ".md": "mermaid", ".dot": "dot", ".gv": "dot"}


def _graph(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ops.graph import (
        GraphError,
        build_graph,
        build_overview,
        render_image,
        to_dot,
        to_mermaid,
    )

    output = Path(args.output) if args.output else None
    fmt = args.format
    if fmt is None:
        suffix = output.suffix.lower() if output else ""
        fmt = SUFFIX_FORMATS.get(suffix, suffix.lstrip(".") or "mermaid")
    if fmt not in ("mermaid", "dot", "svg", "png"):
        _err(f"unknown format '{fmt}': mermaid, dot, svg or png")
        return 2
    if fmt in ("svg", "png") and output is None:
        _err(f"--format {fmt} needs --output FILE")
        return 2
    project = _load_lenient(settings)
    depth = None if args.depth < 0 else args.depth
    try:
        if args.overview:
            graph = build_overview(project.flows, project.catalog)
        else:
            graph = build_graph(
                project.flows, project.catalog, args.flow, depth=depth, texts=not args.no_text
            )
        text = to_mermaid(graph) if fmt == "mermaid" else to_dot(graph)
        if fmt in ("svg", "png"):
            assert output is not None
            output.parent.mkdir(parents=True, exist_ok=True)
            render_image(text, fmt, output)
        elif output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
            return 0
    except GraphError as exc:
        _err(str(exc))
        return 2
    print(f"Wrote {output} ({fmt}, {len(graph.node_ids())} nodes, {len(graph.edges)} edges)")
    return 0


# -- content report ----------------------------------------------------------------------------
def _content(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ops.content_report import build_report, render_csv, render_text

    if args.content_command != "report":
        _err("usage: safety-bot content report [--months N]")
        return 2
    if args.months < 1:
        _err("--months must be 1 or more")
        return 2
    project = _load_lenient(settings)
    today = dt.date.fromisoformat(args.as_of) if args.as_of else None
    items, cutoff = build_report(
        project.catalog, settings.content_dir, months=args.months, today=today
    )
    shown = [i for i in items if i.flagged] if args.flagged else items
    if args.format == "csv":
        sys.stdout.write(render_csv(shown, project.catalog.sources))
    else:
        root = settings.content_dir.parent  # files show as content/<file>.yaml:LINE
        sys.stdout.write(
            render_text(
                items, cutoff, args.months, project.catalog.sources, root, flagged_only=args.flagged
            )
        )
    return 1 if args.strict and any(i.flagged for i in items) else 0


def add_operator_commands(
    subparsers: argparse._SubParsersAction,
    add_common: Callable[[argparse.ArgumentParser], None],
) -> dict[str, Handler]:
    """Register the operator subcommands; return their handlers by command name."""
    doctor = subparsers.add_parser(
        "doctor", help="check settings, token, data dir, key, database and flows (read-only)"
    )
    add_common(doctor)
    _project_dirs(doctor)
    doctor.add_argument(
        "--quick",
        action="store_true",
        help="skip the slow checks (full integrity check, flows): for container healthchecks",
    )
    doctor.add_argument("--strict", action="store_true", help="exit 1 on warnings too")

    init = subparsers.add_parser(
        "init", help="write an editable copy of the flows, content and region pack into DIR"
    )
    add_common(init)
    init.add_argument(
        "dir", metavar="DIR", help="folder to create (must not hold flows/ or content/)"
    )

    backup = subparsers.add_parser(
        "backup", help="copy the database consistently while the bot runs (not the key)"
    )
    add_common(backup)
    backup.add_argument(
        "path",
        help="backup file to write, or a folder to write a dated file in (ending in /: "
        "created if missing)",
    )
    backup.add_argument("--force", action="store_true", help="replace PATH if it exists")

    rotate = subparsers.add_parser(
        "rotate-key",
        help="re-encrypt everything under a new key (stop the bot first; resumable)",
    )
    add_common(rotate)
    rotate.add_argument("--batch-size", type=int, default=200, help=argparse.SUPPRESS)

    graph = subparsers.add_parser(
        "graph", help="draw a flow (or all flows) as Mermaid, DOT, or SVG/PNG via Graphviz"
    )
    add_common(graph)
    _project_dirs(graph)
    graph.add_argument("flow", nargs="?", help="flow id (default: every flow)")
    graph.add_argument(
        "--format",
        choices=("mermaid", "dot", "svg", "png"),
        help="default: from --output's suffix, else mermaid",
    )
    graph.add_argument("-o", "--output", help="write here instead of printing")
    graph.add_argument(
        "--depth",
        type=int,
        default=0,
        help="also draw the flows FLOW opens, this many hops away (-1: all)",
    )
    graph.add_argument("--no-text", action="store_true", help="step ids only, no text snippets")
    graph.add_argument(
        "--overview", action="store_true", help="one box per flow: which flow opens which"
    )

    content = subparsers.add_parser("content", help="content tools: `content report`")
    content_sub = content.add_subparsers(dest="content_command", metavar="SUBCOMMAND")
    report = content_sub.add_parser(
        "report", help="every text and number with its source and review date; flags old ones"
    )
    add_common(report)
    _project_dirs(report)
    report.add_argument(
        "--months", type=int, default=12, help="review period in months (default 12)"
    )
    report.add_argument("--format", choices=("text", "csv"), default="text")
    report.add_argument("--flagged", action="store_true", help="list only the flagged items")
    report.add_argument(
        "--strict", action="store_true", help="exit 1 if any item is flagged (for CI)"
    )
    report.add_argument("--as-of", type=iso_date, help=argparse.SUPPRESS)

    return {
        "doctor": _doctor,
        "init": _init,
        "backup": _backup,
        "rotate-key": _rotate,
        "graph": _graph,
        "content": _content,
        "review-pack": add_review_pack(subparsers, add_common, _project_dirs, _load_lenient, _err),
    }
