"""The `safety-bot` command: chat, validate, run, and the bare form that picks one."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from bot.engine.danger import GrammarError
from bot.flows.problems import ProjectInvalid
from bot.settings import SettingError, Settings
from bot.store.crypto import KeyProblem
from bot.store.db import StoreError

# name -> handler(args, settings) -> exit code; filled by bot.ops.cli when present
OPERATOR_HANDLERS: dict = {}


class _CommandParser(argparse.ArgumentParser):
    """A subcommand's parser: a command that adds an option `_common` already gave it (e.g.
    its own --content-dir) replaces it instead of stopping every command with a conflict."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("conflict_handler", "resolve")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def _common(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: a subcommand's unset flag must not overwrite one given before the subcommand
    parser.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help="where the database and key live (env SAFETY_BOT_DATA_DIR)",
    )
    parser.add_argument(
        "--region",
        default=argparse.SUPPRESS,
        help="region pack in content/regions (env SAFETY_BOT_REGION)",
    )
    parser.add_argument(
        "--flows-dir",
        default=argparse.SUPPRESS,
        help="flows folder, e.g. from `safety-bot init` (env SAFETY_BOT_FLOWS_DIR; "
        "default: the flows installed with the bot)",
    )
    parser.add_argument(
        "--content-dir",
        default=argparse.SUPPRESS,
        help="content folder with its region packs (env SAFETY_BOT_CONTENT_DIR; "
        "default: the content installed with the bot)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safety-bot",
        description="Safety advice and an incident journal for people being stalked or harassed. "
        "With no command: Telegram if TELEGRAM_BOT_TOKEN is set, else the console chat.",
    )
    _common(parser)
    parser.set_defaults(data_dir=None, region=None, flows_dir=None, content_dir=None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_CommandParser)
    chat = sub.add_parser("chat", help="talk to the bot in this terminal (no token needed)")
    _common(chat)
    validate = sub.add_parser("validate", help="check every flow and content file")
    _common(validate)
    ask = sub.add_parser("ask", help="show how a typed message would be answered (reviewers)")
    _common(ask)
    ask.add_argument("text", help='the message, in quotes; "build" rewrites the shipped index')
    run = sub.add_parser("run", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    _common(run)
    from bot.channels.telegram.cli import add_profile_arguments, add_run_arguments

    add_run_arguments(run)
    profile = sub.add_parser(
        "profile", help="set the bot's name and descriptions in Telegram from content/"
    )
    _common(profile)
    add_profile_arguments(profile)
    from bot.engine.danger.cli import add_danger_command

    OPERATOR_HANDLERS.update(add_danger_command(sub, _common))
    from bot.ops.cli import add_operator_commands  # doctor, backup, rotate-key, graph, report

    OPERATOR_HANDLERS.update(add_operator_commands(sub, _common))
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        data_dir=args.data_dir,
        region=args.region,
        flows_dir=getattr(args, "flows_dir", None),
        content_dir=getattr(args, "content_dir", None),
    )


def _validate(args: argparse.Namespace) -> int:
    from bot.app import build_registry, load_checked_project
    from bot.ask.router import Router

    settings = _settings(args)
    project = load_checked_project(settings, build_registry())
    Router.for_project(project, settings.content_dir)  # raises ProjectInvalid on a bad screen
    steps = sum(len(f.steps) for f in project.flows.values())
    print(
        f"OK: {len(project.flows)} flows, {steps} steps, {len(project.catalog.texts)} texts, "
        f"{len(project.catalog.contacts)} contacts (region {settings.region})"
    )
    print(f"Checked: {settings.describe_dirs()}")
    return 0


def _ask(args: argparse.Namespace) -> int:
    from bot.app import build_registry, load_checked_project
    from bot.ask.cli import print_ranking
    from bot.ask.ranker import danger_words
    from bot.ask.router import Router
    from bot.engine.danger import DangerDetector

    settings = _settings(args)
    project = load_checked_project(settings, build_registry())
    danger = DangerDetector.from_content(settings.content_dir)
    router = Router.for_project(project, settings.content_dir, danger_words(danger))
    if router is None:
        print("No advice flows to rank.")
        return 1
    if args.text == "build":  # `safety-bot ask build`: rewrite the ranker's shipped index
        from bot.ask.cli import build_index

        print(build_index(router))
        return 0
    print_ranking(project, router, args.text, danger.is_danger(args.text))
    return 0


def _chat(args: argparse.Namespace) -> int:
    from bot.channels.console import chat

    try:
        return asyncio.run(chat(_settings(args)))
    except KeyboardInterrupt:
        print("\nGoodbye.", flush=True)
        return 0


def _run(args: argparse.Namespace) -> int:
    from bot.channels.telegram.cli import run_telegram

    return run_telegram(args, _settings(args))


def _profile(args: argparse.Namespace) -> int:
    from bot.channels.telegram.cli import run_profile

    return run_profile(args, _settings(args))


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # every file the bot creates (database, key, exports) is private to its user
    args = _parser().parse_args(argv)
    command = args.command
    if command is None:
        if os.environ.get("TELEGRAM_BOT_TOKEN"):
            print(
                "TELEGRAM_BOT_TOKEN is set: starting the Telegram bot. (`safety-bot chat` for the console.)"
            )
            command = "run"
            # parsed again as `run`, so its options (API root, webhook...) take their defaults
            args = _parser().parse_args([*(sys.argv[1:] if argv is None else argv), "run"])
        else:
            print(
                "No TELEGRAM_BOT_TOKEN set: starting the console chat. (Set it, or use `safety-bot run`, for Telegram.)"
            )
            command = "chat"
    handlers = {
        "chat": _chat,
        "validate": _validate,
        "run": _run,
        "ask": _ask,
        "profile": _profile,
    }
    try:
        if command in OPERATOR_HANDLERS:
            return OPERATOR_HANDLERS[command](args, _settings(args))
        return handlers[command](args)
    except ProjectInvalid as exc:
        print(f"safety-bot: {exc}", file=sys.stderr)
        return 2
    except (SettingError, KeyProblem, StoreError, GrammarError) as exc:
        print(f"safety-bot: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
