"""Cost of routing a typed message (issue 15: under 1 ms at p99 per message).

Two figures, each beside a baseline measured in the same run:
1. the router alone (`Router.route`: normalise, TF-IDF vector, one sparse product, decide)
   beside the danger check that every typed message already pays (`DangerDetector.is_danger`);
2. a typed message through the whole engine at the menu (store replaced by a dict), with the
   router, beside today's path without it (every text answered with the journal's offer).
Messages: the tune part of the blind corpus (tests/corpus/ask/tune.yaml), repeated.
Not a test: run `python bench/bench_ask.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path

import yaml

from bot.app import build_registry, load_checked_project
from bot.ask.ranker import danger_words
from bot.ask.router import Router
from bot.engine.danger import DangerDetector
from bot.engine.engine import Engine
from bot.engine.events import Event
from bot.settings import Settings

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus" / "ask" / "tune.yaml"


class MemoryStore:
    """No store: isolates the engine's own cost."""

    def __init__(self) -> None:
        self.places: dict[str, dict] = {}

    def user_ref(self, user_id: str) -> str:
        return user_id

    async def load_place(self, ref: str) -> dict | None:
        return self.places.get(ref)

    async def save_place(self, ref: str, place: dict) -> None:
        self.places[ref] = place

    async def delete_place(self, ref: str) -> None:
        self.places.pop(ref, None)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(fns: list, texts: list[str]) -> list[tuple[list[float], list[float]]]:  # noqa: ANN001
    """Wall-clock and CPU seconds per call of each function, the functions taking turns on each
    message (so a busy spell of the machine falls on both alike). On a shared machine the wall
    clock's p99 is mostly other processes' time slices; CPU time is what this process spent."""
    out: list[tuple[list[float], list[float]]] = [([], []) for _ in fns]
    for text in texts:
        for fn, (wall, cpu) in zip(fns, out, strict=True):
            c0, t0 = time.thread_time(), time.perf_counter()
            fn(text)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.thread_time() - c0)
    return out


async def through_engine(engine: Engine, texts: list[str]) -> tuple[list[float], list[float]]:
    """Each message typed at the menu by its own user (the menu shown first, not timed)."""
    wall, cpu = [], []
    for n, text in enumerate(texts):
        user = f"u{n}"
        await engine.handle(user, Event.from_text("/menu"))
        c0, t0 = time.thread_time(), time.perf_counter()
        await engine.handle(user, Event.from_text(text))
        wall.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    return wall, cpu


def line(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"{name:44} p50 {pct(ms, 0.5):6.3f} ms  p99 {pct(ms, 0.99):6.3f} ms  "
        f"mean {statistics.fmean(ms):6.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    settings = Settings(data_dir=Path("/nonexistent-unused"))
    project = load_checked_project(settings, build_registry())
    danger = DangerDetector.from_content(settings.content_dir)
    t0 = time.perf_counter()
    router = Router.for_project(project, settings.content_dir, danger_words(danger))
    built = time.perf_counter() - t0
    assert router is not None
    texts = [str(i["text"]) for i in yaml.safe_load(CORPUS.read_text())] * args.repeat
    for text in texts[:200]:  # warm up
        router.route(text)
        danger.is_danger(text)

    (ours, ours_cpu), (base, base_cpu) = timed([router.route, danger.is_danger], texts)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"router built in {built * 1000:.0f} ms; {len(texts)} messages; load average {load}")
    print(line("router.route (ours), wall clock", ours))
    print(line("danger.is_danger (baseline), wall clock", base))
    print(f"ratio p99: {pct(ours, 0.99) / pct(base, 0.99):.2f}x")
    print(line("router.route (ours), CPU time", ours_cpu))
    print(line("danger.is_danger (baseline), CPU time", base_cpu))
    print(f"ratio p99: {pct(ours_cpu, 0.99) / pct(base_cpu, 0.99):.2f}x")

    with_router = build_registry()
    with_router.services["ask_router"] = router
    without = build_registry()
    without.text_router = None  # today's path: every typed text gets the journal's offer
    for registry in (with_router, without):
        registry.before_turn = None  # the journal lock needs a database; it is not measured here
    engines = [Engine(project, r, MemoryStore(), danger=danger) for r in (with_router, without)]
    engine_texts = texts[: len(texts) // 4]
    (ours_e, ours_ec), (base_e, base_ec) = (
        asyncio.run(through_engine(e, engine_texts)) for e in engines
    )
    print(line("engine, text at the menu, routed (ours), wall", ours_e))
    print(line("engine, journal offer only (baseline), wall", base_e))
    print(f"ratio p99: {pct(ours_e, 0.99) / pct(base_e, 0.99):.2f}x")
    print(line("engine, text at the menu, routed (ours), CPU", ours_ec))
    print(line("engine, journal offer only (baseline), CPU", base_ec))
    print(f"ratio p99: {pct(ours_ec, 0.99) / pct(base_ec, 0.99):.2f}x")


if __name__ == "__main__":
    main()
