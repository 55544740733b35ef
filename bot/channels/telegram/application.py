"""Building the PTB `Application`: token, API root, rate limits, retries, handlers, start-up."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.error import NetworkError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot import metrics
from bot.app import open_app
from bot.channels.telegram.handlers import Channel, set_commands
from bot.channels.telegram.intake import DurableUpdateQueue, replay_unfinished
from bot.channels.telegram.logs import event as log_event
from bot.channels.telegram.pacing import FairRateLimiter
from bot.channels.telegram.processor import PerUserUpdateProcessor
from bot.settings import Settings
from bot.store.inbox import Inbox
from bot.store.messages import MessageLog
from bot.store.tidy import TidySchedule

log = logging.getLogger("bot.telegram")

DEFAULT_API_ROOT = "https://api.telegram.org"
RATE_LIMIT_RETRIES = 5  # AIORateLimiter's default of 0 would raise RetryAfter instead of waiting
NETWORK_RETRIES = 6
NETWORK_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 4.0
RETRY_STATUS = frozenset({500, 502, 503, 504})  # Telegram's side failed: the call did not happen
TIDY_EVERY_SECONDS = 30.0  # auto-tidy checks this often: a chat is tidied at most 30 s late


class RetryingRequest(HTTPXRequest):
    """HTTPX with network errors and 5xx answers retried, waiting 0.5, 1, 2, 4, 4, 4 s between.

    A request whose answer was lost may be sent twice (a message shown twice); that is better than
    a reply that never arrives. Telegram's own refusals (BadRequest, Forbidden...) are not retried;
    429 is left to the rate limiter, which waits the `retry_after` Telegram asks for.
    """

    def __init__(
        self,
        *args: Any,
        retries: int = NETWORK_RETRIES,
        backoff: float = NETWORK_BACKOFF_SECONDS,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.retries = retries
        self.backoff = backoff

    @metrics.api_call
    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                code, payload = await super().do_request(*args, **kwargs)
            except NetworkError as exc:
                if attempt == self.retries:
                    raise
                error = type(exc).__name__
            else:
                # a file download is not an API call, so the rate limiter never sees its 429
                download = code == 429 and "/file/bot" in str(
                    args[0] if args else kwargs.get("url")
                )
                if (code not in RETRY_STATUS and not download) or attempt == self.retries:
                    return code, payload
                error = f"http_{code}"
            metrics.api_retry()
            log_event(log, "network_retry", logging.WARNING, error=error, attempt=attempt + 1)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_SECONDS)
        raise AssertionError("unreachable")


class UpdatesRequest(HTTPXRequest):
    """The `getUpdates` request: confirms only kept updates, and reads each update on its own.

    Each `getUpdates` confirms the batch before it (its offset moves past them), so it first
    waits until those updates are committed to the inbox (see `intake.py`).

    PTB parses a batch of updates as a whole: one it cannot read (a field from a newer Bot API,
    a malformed one) fails the batch, the offset never moves, and polling stops dead on it. Here
    each update is checked on its own; an unreadable one keeps only its `update_id`, so it is
    confirmed and dropped (handled as an update with nothing in it: silence) and the rest go on.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inbox: Inbox | None = None  # attached once the store is open

    @metrics.api_call
    async def do_request(self, url: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if self.inbox is not None and url.endswith("/getUpdates"):
            await self.inbox.flush_adds()
        code, payload = await super().do_request(url, *args, **kwargs)
        if code != 200 or not url.endswith("/getUpdates"):
            return code, payload
        try:
            body = json.loads(payload)
            updates = body["result"]
        except (ValueError, KeyError, TypeError):
            return code, payload
        changed = False
        for index, raw in enumerate(updates):
            try:
                Update.de_json(raw, None)
            except Exception as exc:  # noqa: BLE001 - any parse failure: drop that update only
                update_id = raw.get("update_id") if isinstance(raw, dict) else None
                if not isinstance(update_id, int):
                    continue  # cannot be confirmed either: let the library report it
                updates[index] = {"update_id": update_id}
                changed = True
                log_event(log, "update_unreadable", logging.WARNING, error=type(exc).__name__)
        return code, json.dumps(body).encode() if changed else payload


def add_handlers(application: Application, channel: Channel) -> None:
    """The handlers, in the order they are tried; the first that matches handles the update."""
    not_private = filters.ChatType.GROUPS | filters.ChatType.CHANNEL
    private = filters.ChatType.PRIVATE
    application.add_handlers(
        [
            MessageHandler(not_private, channel.someone_writes_in_a_group),
            ChatMemberHandler(channel.bot_added_to_a_chat, ChatMemberHandler.MY_CHAT_MEMBER),
            CallbackQueryHandler(channel.user_presses_a_button),
            MessageHandler(
                private & filters.UpdateType.EDITED_MESSAGE, channel.user_edits_a_message
            ),
            MessageHandler(private & filters.UpdateType.MESSAGE, channel.user_sends_a_message),
            InlineQueryHandler(channel.user_searches_inline),
            TypeHandler(object, channel.anything_else),
        ]
    )
    application.add_error_handler(channel.on_error)


def build_application(
    settings: Settings,
    token: str,
    api_root: str = DEFAULT_API_ROOT,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limit: bool = True,
    set_menu: bool = True,
    clock: Callable[[], float] = time.time,
    tidy_every: float | None = TIDY_EVERY_SECONDS,
) -> tuple[Application, Channel]:
    """The Application and its Channel; the engine and store open in `post_init`.

    `clock` is the channel's time (message ages, auto-tidy); tests pass one they control.
    `tidy_every`: seconds between auto-tidy ticks; None runs none (a test calls the tick).
    """
    channel = Channel(clock)
    ticker: list[asyncio.Task[None]] = []
    queue = DurableUpdateQueue()
    processor = PerUserUpdateProcessor()
    read, connect = settings.telegram_read_timeout, settings.telegram_connect_timeout
    updates_request = get_updates_request or UpdatesRequest(
        read_timeout=read, connect_timeout=connect
    )

    async def post_init(application: Application) -> None:
        app = await open_app(settings)
        messages = MessageLog(app.db, app.conversations.user_ref, clock)
        inbox = Inbox(app.db, app.cipher)
        tidy = TidySchedule(app.db, app.cipher, app.conversations.user_ref, clock)
        channel.attach(app, messages, inbox, tidy)
        processor.inbox = inbox
        processor.application = application
        if isinstance(updates_request, UpdatesRequest):
            updates_request.inbox = inbox
        if set_menu:
            await set_commands(application.bot, app)
        # before polling starts: what a killed process left comes first, in its order
        await replay_unfinished(inbox, application.update_queue, application.bot)
        queue.inbox = inbox
        if tidy_every is not None:
            ticker.append(asyncio.create_task(_tidy_now_and_then(channel, application, tidy_every)))
        metrics.bot_running(inbox.depth)
        # Everything loaded so far (flows, content, the library's tables) lives as long as the
        # process: frozen, the garbage collector stops walking it on every full collection,
        # which cost about 15% of each update (bench/bench_telegram.py, docs/telegram.md).
        gc.collect()
        gc.freeze()
        log_event(log, "started", flows=len(app.engine.machines), region=settings.region)

    async def post_stop(application: Application) -> None:
        for task in ticker:
            task.cancel()
        await asyncio.gather(*ticker, return_exceptions=True)
        await processor.drain()  # while the bot and the store are still open

    async def post_shutdown(application: Application) -> None:
        if channel.app is not None and channel.messages is not None:
            queue.inbox = processor.inbox = None
            if channel.inbox is not None:
                await channel.inbox.close()
            await channel.messages.close()
            if channel.tidy is not None:
                await channel.tidy.close()
            await channel.app.close()
        log_event(log, "stopped")

    root = api_root.rstrip("/")
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .request(
            request
            or RetryingRequest(connection_pool_size=64, read_timeout=read, connect_timeout=connect)
        )
        .get_updates_request(updates_request)
        .update_queue(queue)
        .concurrent_updates(processor)
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
    )
    if rate_limit:
        # PTB types the builder by its default limiter's argument type; AIORateLimiter's is int
        builder = builder.rate_limiter(FairRateLimiter(max_retries=RATE_LIMIT_RETRIES))  # type: ignore[arg-type]
    application = builder.build()
    add_handlers(application, channel)
    return application, channel


async def _tidy_now_and_then(channel: Channel, application: Application, every: float) -> None:
    """The running bot's auto-tidy job: the tick, every `every` seconds, until stopped."""
    while True:
        await asyncio.sleep(every)
        try:
            await channel.tidy_due_chats(application.bot)
        except Exception as exc:  # noqa: BLE001 - the job lives on; the next tick tries again
            log_event(log, "tidy_tick_failed", logging.WARNING, error=type(exc).__name__)


ALL_UPDATES = Update.ALL_TYPES
