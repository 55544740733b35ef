"""What operators can see of a running bot (Prometheus), and never who or what.

Every metric is here, by name; the code counts at the narrowest existing point with a one-line
call (`metrics.DANGER_SHOWN.inc()`), so the engine, journal, store and channel files carry one
line each. The counters always count (a `Counter.inc()` is about a microsecond, under a lock);
nothing is served unless `safety-bot run --metrics-listen HOST:PORT` starts the endpoint
(bot/ops/metrics_server.py). Meanings and alerts: docs/operations.md.

Labels are only names written in this code: update kinds (Telegram's field names), Bot API
method names (the last part of the URL, letters only, else "other"), outcome words and
exception class names. Never a user id, chat id, text, file path or anything a person typed;
tests/test_metrics.py scrapes a bot after a conversation and searches for them.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from importlib import metadata
from typing import Any, TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
)

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)  # process_start_time_seconds, memory, CPU, open fds
PlatformCollector(registry=REGISTRY)  # python_info

# Telegram answers within ~0.1-0.5 s; a reply slower than 5 s is one a frightened person notices
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

BUILD = Info("safety_bot_build", "The running bot's version.", registry=REGISTRY)
START_TIME = Gauge(
    "safety_bot_start_time_seconds", "When this bot process started (Unix time).", registry=REGISTRY
)
UPDATES = Counter(
    "safety_bot_updates_handled",
    "Telegram updates handled, by kind (message, callback_query, ...).",
    ["kind"],
    registry=REGISTRY,
)
REPLY_SECONDS = Histogram(
    "safety_bot_reply_seconds",
    "From an update reaching the bot to its handling finished (replies sent), in seconds.",
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
API_CALLS = Counter(
    "safety_bot_telegram_api_calls",
    "Bot API calls by method and outcome: ok, retried (succeeded after a retry, or a 429 the "
    "rate limiter retries), failed.",
    ["method", "outcome"],
    registry=REGISTRY,
)
API_SECONDS = Histogram(
    "safety_bot_telegram_api_seconds",
    "Bot API call latency by method, retries included, in seconds.",
    ["method"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
DANGER_SHOWN = Counter(
    "safety_bot_danger_answers_shown",
    "Emergency advice shown first because a message contained danger words.",
    registry=REGISTRY,
)
INCIDENTS_SAVED = Counter(
    "safety_bot_incidents_saved", "Journal incidents recorded (committed).", registry=REGISTRY
)
EXPORTS_BUILT = Counter(
    "safety_bot_exports_built", "Journal exports built (a PDF and a CSV each).", registry=REGISTRY
)
INBOX_DEPTH = Gauge(
    "safety_bot_inbox_depth",
    "Updates kept in the inbox and not yet finished.",
    registry=REGISTRY,
)
INBOX_REPLAYS = Counter(
    "safety_bot_inbox_replayed_updates",
    "Updates a previous process left unfinished, handled again at start-up.",
    registry=REGISTRY,
)
STORAGE_ERRORS = Counter(
    "safety_bot_storage_errors",
    "Database writes that failed, by error class (OperationalError: disk full, locked...).",
    ["error"],
    registry=REGISTRY,
)

try:
    VERSION = metadata.version("safety-bot")
except metadata.PackageNotFoundError:  # running from a checkout that was never installed
    VERSION = "unknown"
BUILD.info({"version": VERSION})
START_TIME.set(time.time())


# -- updates -----------------------------------------------------------------------------------
_update_kinds: tuple[str, ...] = ()


def update_kind(update: object) -> str:
    """Which Telegram field the update carries ("message", "callback_query"...): a fixed set."""
    global _update_kinds
    if not _update_kinds:
        from telegram import Update

        first = ("message", "callback_query", "edited_message")  # the usual ones, tried first
        _update_kinds = first + tuple(k for k in Update.ALL_TYPES if k not in first)
    if type(update).__name__ != "Update":
        return "other"
    for kind in _update_kinds:
        if getattr(update, kind, None) is not None:
            return kind
    return "empty"  # an unreadable update kept only for its id


def timed_update(update: object, coroutine: Awaitable[Any]) -> Awaitable[Any]:
    """`coroutine` (an update's handling), counted by kind and timed from this call."""
    return _timed(update, coroutine, time.perf_counter())


async def _timed(update: object, coroutine: Awaitable[Any], started: float) -> Any:
    try:
        return await coroutine
    finally:
        REPLY_SECONDS.observe(time.perf_counter() - started)
        kind = update_kind(update)
        counter = _update_counters.get(kind)
        if counter is None:  # labels() takes a lock and builds a tuple: once per kind
            counter = _update_counters[kind] = UPDATES.labels(kind)
        counter.inc()


_update_counters: dict[str, Any] = {}


running_loop: asyncio.AbstractEventLoop | None = None  # the bot's, for /healthz


def bot_running(inbox_depth: Callable[[], int]) -> None:
    """Called in the bot's event loop once it serves: the loop and the inbox to watch."""
    global running_loop
    running_loop = asyncio.get_running_loop()
    INBOX_DEPTH.set_function(inbox_depth)


# -- Bot API calls -----------------------------------------------------------------------------
_retries: ContextVar[list[int] | None] = ContextVar("api_retries", default=None)
Request = TypeVar("Request", bound=Callable[..., Awaitable[tuple[int, bytes]]])


def api_method(url: str) -> str:
    """The Bot API method of a request URL; never the token or a file's path."""
    if "/file/bot" in url:
        return "file_download"
    method = url.rsplit("/", 1)[-1]
    return method if method.isascii() and method.isalpha() and len(method) <= 40 else "other"


def api_call(do_request: Request) -> Request:
    """Decorate an `HTTPXRequest.do_request`: each call counted by method and outcome, timed."""

    @functools.wraps(do_request)
    async def measured(self: Any, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        method = api_method(str(args[0] if args else kwargs.get("url", "")))
        retries = [0]
        reset = _retries.set(retries)
        started = time.perf_counter()
        outcome: str | None = "failed"
        try:
            code, payload = await do_request(self, *args, **kwargs)
            if 200 <= code < 300:
                outcome = "retried" if retries[0] else "ok"
            elif code == 429:
                outcome = "retried"  # AIORateLimiter waits and sends it again
            return code, payload
        except asyncio.CancelledError:
            outcome = None  # stopping (e.g. a long poll at shutdown): not the API's doing
            raise
        finally:
            _retries.reset(reset)
            if outcome is not None:
                children = _api_children.get((method, outcome)) or _api_labels(method, outcome)
                children[0].observe(time.perf_counter() - started)
                children[1].inc()

    return measured  # type: ignore[return-value]


_api_children: dict[tuple[str, str], tuple[Any, Any]] = {}


def _api_labels(method: str, outcome: str) -> tuple[Any, Any]:
    """The (latency, count) series of one method and outcome, looked up once."""
    children = (API_SECONDS.labels(method), API_CALLS.labels(method, outcome))
    _api_children[(method, outcome)] = children
    return children


def api_retry() -> None:
    """The request being measured is about to be sent again (network error or 5xx)."""
    retries = _retries.get()
    if retries is not None:
        retries[0] += 1


# -- storage -----------------------------------------------------------------------------------
def storage_failed(exc: BaseException) -> None:
    """Count a failed database write (only database and disk errors, not a caller's own)."""
    if isinstance(exc, sqlite3.Error | OSError):
        STORAGE_ERRORS.labels(type(exc).__name__).inc()
