"""The Telegram layer's cost: updates through `Application.process_update`, no sockets.

Both bots run on the same harness in the same run: PTB with an in-process request object (a
`BaseRequest` subclass answering sendMessage, editMessageText, answerCallbackQuery... at once),
the same users and the same shape of updates (a /start, button presses, typed text):

- safety-bot: the real Application from `bot.channels.telegram.application` (handlers, rendering,
  engine, danger check, sealed state committed to SQLite with synchronous=FULL, message ids);
- echo: a bare PTB bot that echoes text and answers and edits on a button press.

Users run concurrently (each user's updates in order, as the per-user processor would run them).
Prints updates/second and p50/p99 per update for each, and the ratio of cost per update.
The rate limiter is left out of both: it paces real traffic to Telegram's limits, not CPU.
Not a test: run `python bench/bench_telegram.py [--users N] [--steps K]`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.channels.telegram.application import build_application  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.in_process_api import BOT, InProcessRequest  # noqa: E402

TOKEN = "1" * 9 + ":" + "b" * 35  # never sent anywhere: the request object answers in-process
SEQUENTIAL = 500  # updates of one user alone, for latency without queueing behind others


def message_update(update_id: int, user: int, text: str, message_id: int) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": user, "type": "private", "first_name": "U"},
            "from": {"id": user, "is_bot": False, "first_name": "U"},
            "text": text,
        },
    }


def button_update(update_id: int, user: int, data: str, message_id: int) -> dict:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"q{update_id}",
            "from": {"id": user, "is_bot": False, "first_name": "U"},
            "chat_instance": "c",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": user, "type": "private", "first_name": "U"},
                "from": BOT,
                "text": "screen",
            },
        },
    }


def script(step: int) -> tuple[str, Any]:
    """What a user does at each step: /start, then mostly buttons, with some typing."""
    if step == 0:
        return "text", "/start"
    if step % 5 == 4:
        return "text", "I got another call last night"
    return "button", (1 if step == 1 else 0)  # "No, not right now", then the first option


async def drive(
    app: Application, request: InProcessRequest, users: int, steps: int, pick: Callable
) -> tuple[float, list[float]]:
    ids = iter(range(1, 10**9))
    latencies: list[float] = []

    async def one_user(user: int) -> None:
        for step in range(steps):
            kind, value = script(step)
            if kind == "text":
                raw = message_update(next(ids), user, value, request.message_ids.get(user, 0) + 1)
            else:
                raw = button_update(next(ids), user, pick(request, user, value), 1)
            update = Update.de_json(raw, app.bot)
            started = time.perf_counter()
            await app.process_update(update)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one_user(10_000 + u) for u in range(users)))
    return time.perf_counter() - started, latencies


def pick_engine_button(request: InProcessRequest, user: int, index: int) -> str:
    keyboard = [d for d in request.keyboards.get(user, []) if not d.startswith("v1c|")]
    options = [d for d in keyboard if not d.startswith("v1|!")] or keyboard
    return options[min(index, len(options) - 1)] if options else "v1|!m"


def pick_any(request: InProcessRequest, user: int, index: int) -> str:
    return f"echo-{index}"


async def run_ours(
    settings: Settings, users: int, steps: int
) -> tuple[float, list[float], int, list[float]]:
    request = InProcessRequest()
    app, _ = build_application(
        settings,
        TOKEN,
        "http://in-process",
        request=request,
        get_updates_request=InProcessRequest(),
        rate_limit=False,
    )
    await app.initialize()
    await app.post_init(app)  # type: ignore[misc]
    try:
        await drive(app, request, 5, 3, pick_engine_button)  # warm up caches and the database
        wall, lat = await drive(app, request, users, steps, pick_engine_button)
        calls = len(request.calls)
        _, alone = await drive(app, request, 1, SEQUENTIAL, pick_engine_button)
    finally:
        await app.post_shutdown(app)  # type: ignore[misc]
        await app.shutdown()
    return wall, lat, calls, alone


async def run_echo(users: int, steps: int) -> tuple[float, list[float], int, list[float]]:
    request = InProcessRequest()

    async def echo(update: Update, context: Any) -> None:
        await context.bot.send_message(update.effective_chat.id, update.message.text)

    async def pressed(update: Update, context: Any) -> None:
        query = update.callback_query
        await query.answer()
        await context.bot.edit_message_text(
            query.data, chat_id=query.message.chat.id, message_id=query.message.message_id
        )

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url("http://in-process/bot")
        .request(request)
        .get_updates_request(InProcessRequest())
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(pressed))
    await app.initialize()
    try:
        await drive(app, request, 5, 3, pick_any)
        wall, lat = await drive(app, request, users, steps, pick_any)
        calls = len(request.calls)
        _, alone = await drive(app, request, 1, SEQUENTIAL, pick_any)
    finally:
        await app.shutdown()
    return wall, lat, calls, alone


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(name: str, wall: float, lat: list[float], calls: int | None) -> float:
    """Print one line; return updates/second (throughput) or p50 seconds (calls=None)."""
    rate = len(lat) / wall
    extra = f"  ({calls / len(lat):.1f} API calls/update)" if calls is not None else ""
    print(
        f"  {name:<11} {len(lat):>6} updates  {rate:>8.0f} updates/s  "
        f"p50 {pct(lat, 0.5) * 1000:6.3f} ms  p99 {pct(lat, 0.99) * 1000:6.3f} ms{extra}"
    )
    return rate if calls is not None else pct(lat, 0.5)


def median_run(runs: list[tuple[float, list[float], int, list[float]]]) -> tuple:
    """The run with the median throughput (single runs vary by 20% on a shared machine)."""
    ordered = sorted(runs, key=lambda run: len(run[1]) / run[0])
    return ordered[len(ordered) // 2]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each bot, alternating")
    parser.add_argument("--data-dir", help="where the database goes (default: a temp dir)")
    args = parser.parse_args()
    tmp = Path(args.data_dir or tempfile.mkdtemp(prefix="bench-telegram-"))
    print(
        f"{dt.datetime.now():%Y-%m-%d %H:%M}  {args.users} users x {args.steps} updates, "
        f"concurrent users; median of {args.rounds} alternating runs each"
    )
    echo_runs, ours_runs = [], []
    try:
        for round_ in range(args.rounds):
            echo_runs.append(await run_echo(args.users, args.steps))
            settings = Settings(data_dir=tmp / f"round-{round_}")
            ours_runs.append(await run_ours(settings, args.users, args.steps))
    finally:
        if not args.data_dir:
            shutil.rmtree(tmp, ignore_errors=True)
    echo_wall, echo_lat, echo_calls, echo_alone = median_run(echo_runs)
    ours_wall, ours_lat, ours_calls, ours_alone = median_run(ours_runs)
    print("throughput, all users at once (latency includes waiting behind other users):")
    echo_rate = report("echo (PTB)", echo_wall, echo_lat, echo_calls)
    ours_rate = report("safety-bot", ours_wall, ours_lat, ours_calls)
    print(f"one user alone, {SEQUENTIAL} updates (latency of one update, nothing queued):")
    echo_p50 = report("echo (PTB)", sum(echo_alone), echo_alone, None)
    ours_p50 = report("safety-bot", sum(ours_alone), ours_alone, None)
    print(
        f"cost per update, safety-bot / echo: {echo_rate / ours_rate:.2f}x at throughput, "
        f"{ours_p50 / echo_p50:.2f}x at p50 alone (target <= 2x)"
    )


if __name__ == "__main__":
    asyncio.run(main())
