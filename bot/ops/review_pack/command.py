"""The `review-pack` subcommand: its arguments and its handler, registered by bot/ops/cli.py."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from bot.flows.loader import Project
from bot.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]


def _iso_date(value: str) -> str:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value}") from None
    return value


def add_review_pack(
    subparsers: argparse._SubParsersAction,
    add_common: Callable[[argparse.ArgumentParser], None],
    project_dirs: Callable[[argparse.ArgumentParser], None],
    load: Callable[[Settings], Project],
    err: Callable[[str], None],
) -> Handler:
    """Register `safety-bot review-pack OUT_DIR`; return its handler."""
    pack = subparsers.add_parser(
        "review-pack",
        help="every screen as the person sees it, with sources and a sign-off sheet (static site)",
    )
    add_common(pack)
    project_dirs(pack)
    pack.add_argument("out_dir", metavar="OUT_DIR", help="folder to write the pack in")
    pack.add_argument(
        "--since",
        metavar="MANIFEST",
        help="the signed pack's manifest.json: flag what is new or changed since it",
    )
    pack.add_argument("--months", type=int, default=12, help="review period in months (default 12)")
    pack.add_argument("--as-of", type=_iso_date, help=argparse.SUPPRESS)

    def review_pack(args: argparse.Namespace, settings: Settings) -> int:
        from bot.app import build_registry
        from bot.ops.review_pack.ledger import ManifestError
        from bot.ops.review_pack.site import PackError, build_pack

        if args.months < 1:
            err("--months must be 1 or more")
            return 2
        project = load(settings)
        try:
            summary = build_pack(
                project,
                build_registry(),
                settings.content_dir,
                Path(args.out_dir),
                months=args.months,
                today=dt.date.fromisoformat(args.as_of) if args.as_of else None,
                since_path=Path(args.since) if args.since else None,
            )
        except (PackError, ManifestError) as exc:
            err(str(exc))
            return 2
        print(summary.describe())
        return 0

    return review_pack
