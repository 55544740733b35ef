"""The webhook server with two guards PTB's own lacks: a body limit, and a constant-time secret.

- A body over `MAX_BODY_BYTES` (1 MB) is refused by the HTTP server from its Content-Length
  (or, sent in chunks, once that much has arrived), before it is read whole: Telegram's updates
  are a few kilobytes, and anything this large is someone trying to exhaust memory.
- The `X-Telegram-Bot-Api-Secret-Token` header is compared with `hmac.compare_digest`, so how
  long the comparison takes says nothing about how much of a guess was right (PTB uses `!=`).

PTB builds its server inside `Updater.start_webhook` from two classes it imports by name; there
is no parameter for either guard, so `install()` points those names at the subclasses here.
It is called once, before `run_webhook`; polling never uses them.
"""

from __future__ import annotations

import hmac
from http import HTTPStatus
from typing import Any

import tornado.web
from telegram.ext import _updater  # noqa: PLC2701 - where PTB looks the classes up
from telegram.ext._utils.webhookhandler import (  # noqa: PLC2701
    TelegramHandler,
    WebhookAppClass,
    WebhookServer,
)
from tornado.httpserver import HTTPServer

MAX_BODY_BYTES = 1024 * 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class GuardedTelegramHandler(TelegramHandler):
    def _validate_post(self) -> None:
        if self.request.headers.get("Content-Type", None) != "application/json":
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        if self.secret_token is not None:
            given = self.request.headers.get(SECRET_HEADER) or ""
            if not hmac.compare_digest(given.encode(), self.secret_token.encode()):
                raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)


class GuardedWebhookApp(WebhookAppClass):
    def __init__(self, webhook_path: str, bot: Any, update_queue: Any, secret_token: Any = None):
        super().__init__(webhook_path, bot, update_queue, secret_token)
        # the handler list is built by the parent; the route is the same, the class is ours
        self.wildcard_router.rules[0].target = GuardedTelegramHandler


class GuardedWebhookServer(WebhookServer):
    def __init__(self, listen: str, port: int, webhook_app: Any, ssl_ctx: Any, unix: Any = None):
        super().__init__(listen, port, webhook_app, ssl_ctx, unix)
        self._http_server = HTTPServer(
            webhook_app, ssl_options=ssl_ctx, max_body_size=MAX_BODY_BYTES
        )


def install() -> None:
    """Make PTB's `run_webhook` build the guarded server and handler."""
    _updater.WebhookAppClass = GuardedWebhookApp  # type: ignore[misc]
    _updater.WebhookServer = GuardedWebhookServer  # type: ignore[misc]
