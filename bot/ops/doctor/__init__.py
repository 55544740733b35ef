"""`safety-bot doctor`: check a deployment without changing it, and say what to fix.

Nothing here writes: the database is opened read-only (no migrations), no key is created, and the
token is never printed. Exit code 0 when nothing failed (warnings allowed; `--strict` counts them),
1 when something must be fixed before the bot can run safely.

The checks live by what they look at: `setup` (settings, Telegram, data dir, key, where key and
backups sit), `database` (the file, opened read-only), and the flows here; `report` adds them up.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from bot.engine.actions import Registry
from bot.flows.problems import ProjectInvalid
from bot.ops.doctor.database import ROTATION_MARKER, check_database, open_readonly
from bot.ops.doctor.report import FAIL, OK, WARN, Finding, Report
from bot.ops.doctor.setup import (
    MIN_WEBHOOK_SECRET,
    PENDING_KEY_SUFFIX,
    check_backups_apart,
    check_data_dir,
    check_key,
    check_key_apart,
    check_settings,
    check_telegram,
    production_mode,
)
from bot.settings import Settings

__all__ = [
    "FAIL",
    "MIN_WEBHOOK_SECRET",
    "OK",
    "PENDING_KEY_SUFFIX",
    "ROTATION_MARKER",
    "WARN",
    "Finding",
    "Report",
    "check_backups_apart",
    "check_data_dir",
    "check_database",
    "check_flows",
    "check_key",
    "check_key_apart",
    "check_settings",
    "check_telegram",
    "open_readonly",
    "production_mode",
    "run_doctor",
]


def check_flows(settings: Settings, report: Report, registry: Registry | None) -> None:
    from bot.app import build_registry, load_checked_project

    try:
        project = load_checked_project(settings, registry or build_registry())
    except ProjectInvalid as exc:
        shown = "\n".join(f"            {p}" for p in exc.problems[:10])
        more = len(exc.problems) - 10
        tail = (
            f"\n            ... and {more} more (`safety-bot validate` lists all)"
            if more > 0
            else ""
        )
        report.add(
            FAIL, "flows", f"{len(exc.problems)} problem(s) in flows/content:\n{shown}{tail}"
        )
        return
    steps = sum(len(f.steps) for f in project.flows.values())
    report.add(
        OK,
        "flows",
        f"{len(project.flows)} flows, {steps} steps, {len(project.catalog.texts)} texts: valid",
    )


def run_doctor(
    settings: Settings,
    *,
    quick: bool = False,
    env: dict[str, str] | None = None,
    registry: Registry | None = None,
    extra_checks: list[Callable[[Settings, Report], None]] | None = None,
) -> Report:
    """Every check, in the order an operator fixes things.

    `quick` (container healthchecks, ExecStartPre) skips what grows with the data or the
    project: the full integrity check and loading every flow.
    """
    from bot.app import build_registry, sealed_data

    env = dict(os.environ) if env is None else env
    registry = registry or build_registry()  # what the features declare: flows' needs, sealed data
    report = Report([])
    check_settings(settings, report)
    check_telegram(env, report)
    check_data_dir(settings, report)
    cipher = check_key(settings, report)
    check_key_apart(settings, env, report)
    check_backups_apart(settings, report, sealed_data(registry))
    check_database(settings, report, cipher, quick)
    if not quick:
        check_flows(settings, report, registry)
    for check in extra_checks or ():
        check(settings, report)
    return report
