"""Engine + store throughput: a scripted walk of many simulated users through the real flows.

Prints events/second and p50/p99 latency for safety-bot (engine, danger check, rendering,
sealing, group-committed SQLite state) beside a baseline measured in the same run: raw
`transitions` triggers on the same states, models resident, no store. Also times loading and
validating every flow and content file. Not a test: run `python bench/bench_engine.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from transitions import Machine

from bot.app import build_registry, load_checked_project, open_app
from bot.engine.events import Event
from bot.engine.machines import step_triggers
from bot.settings import Settings

GLOBALS = ("!e", "!b", "!m", "!s")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def walk(app, user: str, steps: int, rng: random.Random, trace: list, lat: list) -> None:  # noqa: ANN001
    """One user: /start, then pick a non-global button at random, `steps` times."""
    engine = app.engine
    event = Event.from_text("/start")
    for _ in range(steps):
        place = await engine.place_of(user)
        before = (place.flow, place.step)
        t0 = time.perf_counter()
        replies = await engine.handle(user, event)
        lat.append(time.perf_counter() - t0)
        if event.kind == "button" and before[0]:
            trace.append((before[0], before[1], event.data))
        choices = [b for r in replies for b in r.buttons if b.data not in GLOBALS]
        event = Event.button(rng.choice(choices).data) if choices else Event.from_text("/menu")


def raw_baseline(project, trace: list, users: int) -> list[float]:  # noqa: ANN001
    """The same transitions, fired on plain `transitions` machines with resident models."""
    machines: dict[str, Machine] = {}
    triggers: dict[tuple[str, str, int], str] = {}
    for flow in project.flows.values():
        states, transitions = list(flow.steps), []
        for step in flow.steps.values():
            for i, (name, target) in enumerate(step_triggers(step)):
                dest = target.step if target.step and not target.flow else f">{target.describe()}"
                if dest not in states:
                    states.append(dest)
                transitions.append({"trigger": name, "source": step.id, "dest": dest})
                triggers[(flow.id, step.id, i)] = name
        machines[flow.id] = Machine(
            model=None,
            states=states,
            transitions=transitions,
            initial=flow.start,
            auto_transitions=False,
        )

    class Model:
        pass

    models = {fid: [Model() for _ in range(min(users, 2048))] for fid in machines}
    for fid, machine in machines.items():
        for model in models[fid]:
            machine.add_model(model)
    lat = []
    for n, (flow, step, data) in enumerate(trace):
        index = int(data.partition(".")[2] or 0)
        name = triggers.get((flow, step, index), "next")
        model = models[flow][n % len(models[flow])]
        t0 = time.perf_counter()
        machines[flow].set_state(step, model=model)
        try:
            model.trigger(name)
        except Exception:  # noqa: BLE001 - a choice question has no pickN trigger; count it anyway
            pass
        lat.append(time.perf_counter() - t0)
    return lat


class MemoryStore:
    """No store at all: isolates the engine's own cost (dispatch, trigger, rendering)."""

    def __init__(self) -> None:
        self.places: dict[str, dict] = {}

    def user_ref(self, user_id: str) -> str:
        return user_id

    async def load_place(self, ref: str) -> dict | None:
        return self.places.get(ref)

    async def save_place(self, ref: str, place: dict) -> None:
        self.places[ref] = place


async def engine_only(project, trace_users: int, steps: int, services: dict) -> float:  # noqa: ANN001
    """Seconds per event for the same walk with the store replaced by a dict.

    The journal's screens (the menu leads to them) still read the real database: `services`.
    """
    from bot.engine.engine import Engine

    registry = build_registry()
    registry.services.update(services)
    engine = Engine(project, registry, MemoryStore())

    class Shim:
        pass

    shim = Shim()
    shim.engine = engine
    lat: list[float] = []
    t0 = time.perf_counter()
    for n in range(trace_users):
        await walk(shim, f"mem:{n}", steps, random.Random(n), [], lat)
    return (time.perf_counter() - t0) / len(lat)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=8, help="events per user")
    parser.add_argument("--concurrency", type=int, default=500)
    parser.add_argument(
        "--walk-only",
        choices=("engine", "store"),
        help="only the engine-alone or the engine+store walk, between two sched_yield() calls: "
        "for counting instructions under callgrind (docs/engine.md, Benchmarks)",
    )
    args = parser.parse_args()
    if args.walk_only:
        await walk_only(args.walk_only, args.users, args.steps, args.concurrency)
        return

    data = Path(tempfile.mkdtemp(prefix="bench-engine-"))
    settings = Settings.from_env(data_dir=str(data))
    t0 = time.perf_counter()
    project = load_checked_project(settings, build_registry())
    load_s = time.perf_counter() - t0

    app = await open_app(settings)
    rng = random.Random(7)
    trace: list = []
    lat: list[float] = []
    sem = asyncio.Semaphore(args.concurrency)

    async def one(n: int) -> None:
        async with sem:
            await walk(app, f"bench:{n}", args.steps, random.Random(n), trace, lat)

    t0 = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(args.users)))
    wall = time.perf_counter() - t0
    await app.close()
    del rng

    base = raw_baseline(project, trace, args.users)
    ours_eps = len(lat) / wall
    ours_cost = wall / len(lat)
    base_cost = sum(base) / len(base)
    print(
        f"flows loaded and validated: {load_s * 1000:.0f} ms ({len(project.flows)} flows; target < 500 ms)"
    )
    print(f"users {args.users}, events {len(lat)}, concurrency {args.concurrency}")
    print(
        f"safety-bot engine+store: {ours_eps:,.0f} events/s, cost {ours_cost * 1e6:.1f} us/event, "
        f"latency p50 {pct(lat, 0.5) * 1e3:.2f} ms p99 {pct(lat, 0.99) * 1e3:.2f} ms (under concurrency)"
    )
    print(
        f"raw transitions baseline: {1 / base_cost:,.0f} triggers/s, cost {base_cost * 1e6:.1f} us/trigger, "
        f"p50 {statistics.median(base) * 1e6:.1f} us p99 {pct(base, 0.99) * 1e6:.1f} us"
    )
    print(
        f"ratio (our cost per event / raw trigger cost): {ours_cost / base_cost:.1f}x (target <= 3x)"
    )
    # latency at a realistic load: 20 users typing at once (each reply waits for its commit)
    app = await open_app(
        Settings.from_env(data_dir=str(Path(tempfile.mkdtemp(prefix="bench-lat-"))))
    )
    calm: list[float] = []
    sem20 = asyncio.Semaphore(20)

    async def calm_user(n: int) -> None:
        async with sem20:
            await walk(app, f"calm:{n}", args.steps, random.Random(n), [], calm)

    await asyncio.gather(*(calm_user(n) for n in range(400)))
    print(
        f"latency with 20 users at once (commit included): p50 {pct(calm, 0.5) * 1e3:.2f} ms, "
        f"p99 {pct(calm, 0.99) * 1e3:.2f} ms"
    )
    services = {k: v for k, v in app.engine.registry.services.items() if k != "engine"}
    try:
        mem_cost = await engine_only(project, min(args.users, 2000), args.steps, services)
    finally:
        await app.close()
    print(
        f"engine alone (store replaced by a dict, sequential): cost {mem_cost * 1e6:.1f} us/event, "
        f"ratio to raw trigger {mem_cost / base_cost:.1f}x"
    )


async def walk_only(which: str, users: int, steps: int, concurrency: int) -> None:
    """One walk and nothing else, marked for `valgrind --tool=callgrind
    --dump-before=sched_yield`: the second dump counts exactly the walk, whatever other load
    the machine carries (wall-clock figures on a shared machine move by 2x)."""
    settings = Settings.from_env(data_dir=tempfile.mkdtemp(prefix="bench-walk-"))
    project = load_checked_project(settings, build_registry())
    app = await open_app(settings)
    lat: list[float] = []
    sem = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with sem:
            await walk(app, f"bench:{n}", steps, random.Random(n), [], lat)

    try:
        os.sched_yield()
        t0 = time.perf_counter()
        if which == "engine":
            services = {k: v for k, v in app.engine.registry.services.items() if k != "engine"}
            cost = await engine_only(project, users, steps, services)
        else:
            await asyncio.gather(*(one(n) for n in range(users)))
            cost = (time.perf_counter() - t0) / len(lat)
        os.sched_yield()
    finally:
        await app.close()
    print(f"{which} walk: {users} users x {steps} events, {cost * 1e6:.1f} us/event (wall)")


if __name__ == "__main__":
    asyncio.run(main())
