"""`safety-bot run`: the Telegram bot, by long polling or by webhook.

Every problem at start-up is one line on stderr and exit code 2; the token is never in it.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import secrets
import sys
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError

from bot.ops.checks import TOKEN_RE  # one token shape for `run` and `doctor`
from bot.ops.metrics_server import add_metrics_arguments, serve_if_asked
from bot.settings import SettingError, Settings

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
API_ROOT_ENV = "TELEGRAM_API_ROOT"
SECRET_ENV = "TELEGRAM_WEBHOOK_SECRET"
LOG_LEVEL_ENV = "SAFETY_BOT_LOG_LEVEL"  # debug adds one line per update (kind, hashed user, ms)
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as a secret_token


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    add_metrics_arguments(parser)  # --metrics-listen: /metrics and /healthz (docs/operations.md)
    parser.add_argument(
        "--webhook-url",
        default=os.environ.get("TELEGRAM_WEBHOOK_URL") or None,
        help="receive updates by webhook at this public HTTPS URL (env TELEGRAM_WEBHOOK_URL; "
        "default: long polling)",
    )
    parser.add_argument(
        "--allow-open-data-dir",
        action="store_true",
        help="start even if the data dir can be read by other users (not recommended)",
    )
    parser.add_argument(
        "--listen", default="127.0.0.1", help="webhook: address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8443, help="webhook: port (default 8443)")
    parser.add_argument(
        "--secret-token",
        help=f"webhook: the secret Telegram sends with every request (env {SECRET_ENV}; "
        "default: a new random one at each start)",
    )
    parser.add_argument(
        "--api-root",
        help=f"Bot API server root, e.g. http://127.0.0.1:8081 for a self-hosted one (env "
        f"{API_ROOT_ENV}; default https://api.telegram.org)",
    )


def _fail(message: str) -> int:
    print(f"safety-bot: {message}", file=sys.stderr)
    return 2


def read_token() -> str:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise SettingError(f"{TOKEN_ENV} is not set: put the token from @BotFather in it")
    if not TOKEN_RE.match(token):
        raise SettingError(
            f"{TOKEN_ENV} does not look like a bot token (digits, a colon, then about 35 "
            "letters, digits, - or _): copy it again from @BotFather"
        )
    return token


def read_api_root(value: str | None) -> str:
    root = (value or os.environ.get(API_ROOT_ENV) or "https://api.telegram.org").strip()
    parts = urlsplit(root)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise SettingError(
            f"--api-root / {API_ROOT_ENV}: '{root}' is not an http(s) URL such as "
            "http://127.0.0.1:8081"
        )
    return root.rstrip("/")


def read_secret(value: str | None) -> str:
    secret = (value or os.environ.get(SECRET_ENV) or "").strip()
    if not secret:
        return secrets.token_urlsafe(32)
    if not SECRET_RE.match(secret):
        raise SettingError(f"--secret-token / {SECRET_ENV}: use 1 to 256 letters, digits, - or _")
    return secret


def run_telegram(args: argparse.Namespace, settings: Settings) -> int:
    """Run until stopped (Ctrl-C or SIGTERM); returns the exit code."""
    from bot.channels.telegram.application import ALL_UPDATES, build_application
    from bot.channels.telegram.logs import setup_logging
    from bot.ops.checks import check_data_dir_private

    open_dir = check_data_dir_private(settings.data_dir)
    if open_dir and not args.allow_open_data_dir:
        return _fail(f"{open_dir} (or start with --allow-open-data-dir)")
    try:
        token = read_token()
        api_root = read_api_root(args.api_root)
        secret = read_secret(args.secret_token) if args.webhook_url else None
        serve_if_asked(args, settings)  # off unless --metrics-listen; a daemon thread
    except SettingError as exc:
        return _fail(str(exc))
    level = os.environ.get(LOG_LEVEL_ENV, "info").strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        return _fail(f"{LOG_LEVEL_ENV}: use debug, info, warning or error")
    setup_logging([token, *([secret] if secret else [])], getattr(logging, level))
    application, _ = build_application(settings, token, api_root)
    try:
        if args.webhook_url:
            url = args.webhook_url
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                return _fail(f"--webhook-url: '{url}' is not a URL")
            application.run_webhook(
                listen=args.listen,
                port=args.port,
                url_path=parts.path.lstrip("/"),
                webhook_url=url,
                secret_token=secret,
                allowed_updates=ALL_UPDATES,
            )
        else:
            # each getUpdates waits for the inbox to commit the batch it confirms (UpdatesRequest),
            # so putting an update in the queue need not wait for its own commit
            application.update_queue.wait_for_commit = False  # type: ignore[attr-defined]
            application.run_polling(allowed_updates=ALL_UPDATES)
    except InvalidToken:
        return _fail(f"{TOKEN_ENV} was rejected by the Bot API: check it with @BotFather")
    except NetworkError as exc:
        return _fail(f"could not reach the Bot API at {api_root} ({type(exc).__name__})")
    return 0
