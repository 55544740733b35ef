"""What the metrics add per update: the Telegram layer with and without its hot-path metrics.

The hot-path metrics are two wrappers: `metrics.timed_update` around each update's handling
(update count by kind, reply latency) and `metrics.api_call` around each Bot API request (count
by method and outcome, latency). bench_telegram.py drives `Application.process_update` with an
in-process request object, so it passes through neither; here the same application, users and
updates run twice per round, alternating: once as there ("without"), once with both wrappers
in place as the running bot has them ("with"). The engine's one-line counters (danger answers,
incidents, exports) run in both: they are a `Counter.inc()` on rare events.
Not a test: run `python bench/bench_metrics.py [--users N] [--steps K] [--rounds R]`.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_telegram import (
    SEQUENTIAL,
    TOKEN,
    button_update,
    median_run,
    message_update,
    pick_engine_button,
    report,
    script,
)
from telegram import Update

from bot import metrics
from bot.channels.telegram.application import build_application
from bot.settings import Settings
from tests.in_process_api import InProcessRequest


class MeasuredRequest(InProcessRequest):
    """The in-process API, its calls measured as RetryingRequest's are in the running bot."""

    @metrics.api_call
    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        return await super().do_request(*args, **kwargs)


async def drive(app: Any, request: InProcessRequest, users: int, steps: int, measured: bool):
    ids = iter(range(1, 10**9))
    latencies: list[float] = []

    async def one_user(user: int) -> None:
        for step in range(steps):
            kind, value = script(step)
            if kind == "text":
                raw = message_update(next(ids), user, value, request.message_ids.get(user, 0) + 1)
            else:
                raw = button_update(next(ids), user, pick_engine_button(request, user, value), 1)
            update = Update.de_json(raw, app.bot)
            started = time.perf_counter()
            if measured:
                await metrics.timed_update(update, app.process_update(update))
            else:
                await app.process_update(update)
            latencies.append(time.perf_counter() - started)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one_user(10_000 + u) for u in range(users)))
    CPU.append((measured, (time.process_time() - cpu) / len(latencies)))
    return time.perf_counter() - started, latencies


# (measured?, CPU seconds per update) of every drive: CPU time, unlike wall time, does not move
# with what else the machine runs (this machine's load average is often above its core count)
CPU: list[tuple[bool, float]] = []


async def run(settings: Settings, users: int, steps: int, measured: bool) -> tuple:
    request = MeasuredRequest() if measured else InProcessRequest()
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
        await drive(app, request, 5, 3, measured)
        wall, lat = await drive(app, request, users, steps, measured)
        calls = len(request.calls)
        _, alone = await drive(app, request, 1, SEQUENTIAL, measured)
    finally:
        await app.post_shutdown(app)  # type: ignore[misc]
        await app.shutdown()
    return wall, lat, calls, alone


class _Bare:
    async def do_request(self, url: str) -> tuple[int, bytes]:
        return 200, b"{}"


class _Measured(_Bare):
    @metrics.api_call
    async def do_request(self, url: str) -> tuple[int, bytes]:
        return 200, b"{}"


async def _nothing() -> None:
    return None


async def micro(calls: int = 50_000, runs: int = 5) -> None:
    """Each wrapper alone against the bare call, best of `runs`: what one update or call adds."""
    url = "http://in-process/bot" + TOKEN + "/sendMessage"
    bare, measured = _Bare(), _Measured()
    cases = {
        "Bot API request": (lambda: bare.do_request(url), lambda: measured.do_request(url)),
        "update handling": (_nothing, lambda: metrics.timed_update(None, _nothing())),
    }
    metrics.update_kind(None)  # the first call imports telegram: not part of the cost
    print(f"micro-benchmark, best of {runs} x {calls:,} (microseconds each):")
    for name, pair in cases.items():
        best = []
        for make in pair:
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                for _ in range(calls):
                    await make()
                times.append((time.perf_counter() - started) / calls * 1e6)
            best.append(min(times))
        print(
            f"  {name:<16} bare {best[0]:6.2f}  wrapped {best[1]:6.2f}  added {best[1] - best[0]:6.2f}"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-metrics-"))
    print(f"{args.users} users x {args.steps} updates; median of {args.rounds} alternating runs")
    without, with_ = [], []
    try:
        for n in range(args.rounds):  # which goes first alternates too: later runs are slower
            for measured in (False, True) if n % 2 == 0 else (True, False):
                settings = Settings(data_dir=tmp / f"{n}-{measured}")
                done = await run(settings, args.users, args.steps, measured)
                (with_ if measured else without).append(done)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    a_wall, a_lat, a_calls, a_alone = median_run(without)
    b_wall, b_lat, b_calls, b_alone = median_run(with_)
    print("throughput, all users at once:")
    a_rate = report("without", a_wall, a_lat, a_calls)
    b_rate = report("with", b_wall, b_lat, b_calls)
    print(f"one user alone, {SEQUENTIAL} updates:")
    a_p50 = report("without", sum(a_alone), a_alone, None)
    b_p50 = report("with", sum(b_alone), b_alone, None)
    print(
        f"cost per update, with / without metrics: {a_rate / b_rate:.3f}x at throughput, "
        f"{b_p50 / a_p50:.3f}x at p50 alone (wall clock)"
    )
    cpu_a = statistics.median(c for m, c in CPU if not m)
    cpu_b = statistics.median(c for m, c in CPU if m)
    print(
        f"CPU per update (process time, median of every drive): without {cpu_a * 1e6:.0f} us, "
        f"with {cpu_b * 1e6:.0f} us, ratio {cpu_b / cpu_a:.3f}x"
    )
    samples = metrics.REGISTRY.get_sample_value
    print(
        f"(counted: {samples('safety_bot_reply_seconds_count'):.0f} updates, "
        f"{sum(s.value for m in metrics.API_CALLS.collect() for s in m.samples if s.name.endswith('_total')):.0f} API calls)"
    )

    await micro()  # last: its calls are not part of the counts above


if __name__ == "__main__":
    asyncio.run(main())
