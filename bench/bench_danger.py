"""Danger detection: cost per message and start-up, beside today's (old) matcher in the same run.

Prints, for the detector (bot/engine/danger/: content/danger_grammar.yaml and the classifier
trained on content/danger_examples.yaml), for the grammar alone, and for the phrase matcher
they replaced (kept as bench/old_danger_matcher.py + bench/old_danger_phrases.yaml, the baseline):

- p50 / p99 time per 500-character message (messages made by joining corpus messages; the calm
  ones are the worst case, since no rule ends the search early). Measured as CPU time of this
  thread (time.thread_time), so other processes on a shared 2-core machine do not count;
  wall-clock p50 printed beside it. Target: p99 <= 1 ms.
- start-up: flows + content, then the detector, loaded in a fresh interpreter (after the bot's
  own modules are imported; the detector's libraries, symspellpy, count in its time).
  Target: < 0.5 s together.
- the first message after start-up: the spelling corrector is made when a first word needs it
  (round 4: a third of the detector's start-up moved there), printed beside start-up.
- recall and false alarms on each corpus: tests/corpus/danger/, danger2/, danger3/ and
  danger4/tune.yaml, all seen now (tuned on; danger3/holdout generalised from, not trained on);
  then the last blind corpora (tests/corpus/latest-blind/danger*.yaml: measured once, never
  tuned on), where the issue's targets (recall >= 97%, false alarms <= 10%) are judged.
- p50 / p99: the best of ROUNDS interleaved rounds per detector (the machine is shared).

Not a test: run `python bench/bench_danger.py`. Figures are recorded in docs/danger.md.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from old_danger_matcher import DangerDetector as OldDetector  # noqa: E402

from bot.engine.danger import DangerDetector  # noqa: E402

CORPORA = [ROOT / "tests" / "corpus" / name for name in ("danger", "danger2", "danger3", "danger4")]
BLIND = ROOT / "tests" / "corpus" / "latest-blind"
ROUNDS = 3  # each detector timed in turn this many times; its best p50 and p99 kept
MESSAGES = 2000
LENGTH = 500


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def long_messages(texts: list[str], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        text = ""
        while len(text) < LENGTH:
            text += rng.choice(texts) + " and then "
        out.append(text[:LENGTH])
    return out


def timed(check, messages: list[str]) -> tuple[float, float, float]:  # noqa: ANN001
    """p50 and p99 CPU time, and p50 wall time, per message in ms."""
    for m in messages[:200]:
        check(m)  # warm caches as a running bot would have them
    cpu, wall = [], []
    for m in messages:
        w0, c0 = time.perf_counter(), time.thread_time()
        check(m)
        cpu.append(time.thread_time() - c0)
        wall.append(time.perf_counter() - w0)
    return pct(cpu, 0.5) * 1e3, pct(cpu, 0.99) * 1e3, pct(wall, 0.5) * 1e3


# the clock starts after the bot's modules are imported (the same for both): it times loading
# flows and content, then the detector, including the imports only the detector needs
STARTUP = """
import time
from bot.app import build_registry, load_checked_project
from bot.settings import Settings
t0, c0 = time.perf_counter(), time.process_time()
settings = Settings.from_env()
project = load_checked_project(settings, build_registry())
t1, c1 = time.perf_counter(), time.process_time()
{detector}
t2, c2 = time.perf_counter(), time.process_time()
{first}
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, c2 - c0, t3 - t2)
"""
FIRST = "detector.is_danger('hes outsdie my hosue, cant tlak')"  # typos: the corrector is made
NEW = (
    "from bot.engine.danger import DangerDetector\n"
    "detector = DangerDetector.from_content(settings.content_dir)"
)
GRAMMAR_ALONE = (
    "from bot.engine.danger import DangerDetector\n"
    "detector = DangerDetector.from_file(\n"
    "    settings.content_dir / 'danger_grammar.yaml', classifier=False\n)"
)
OLD = (
    "import sys; sys.path.insert(0, 'bench')\nfrom old_danger_matcher import DangerDetector\n"
    "from pathlib import Path\n"
    "detector = DangerDetector.from_file(Path('bench/old_danger_phrases.yaml'))"
)


def startup(detector: str, runs: int = 5) -> tuple[float, float, float, float]:
    """Best of `runs` (flows+content, detector, CPU of both, first message) seconds in a fresh
    interpreter."""
    best = (9e9, 9e9, 9e9, 9e9)
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", STARTUP.format(detector=detector, first=FIRST)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        flows, det, cpu, first = (float(x) for x in out[:4])
        if flows + det < best[0] + best[1]:
            best = (flows, det, cpu, first)
    return best


def main() -> None:
    detectors = {
        "grammar+classifier": DangerDetector.from_content(ROOT / "content").is_danger,
        "grammar alone": DangerDetector.from_file(
            ROOT / "content" / "danger_grammar.yaml", classifier=False
        ).is_danger,
        "old matcher": OldDetector.from_file(ROOT / "bench" / "old_danger_phrases.yaml").is_danger,
    }
    parts = {
        f"{folder.name}/{p.stem}": yaml.safe_load(p.read_text())
        for folder in CORPORA
        for p in sorted(folder.glob("*.yaml"))
    }
    all_items = [i for items in parts.values() for i in items]
    calm = long_messages([i["text"] for i in all_items if i["label"] == "calm"], MESSAGES, 1)
    mixed = long_messages([i["text"] for i in all_items], MESSAGES, 2)

    print(f"cost per {LENGTH}-character message, ms (CPU p50 / CPU p99 / wall p50)")
    for name, messages in (("calm only (worst case)", calm), ("mixed", mixed)):
        print(f"  {name}")
        # interleaved rounds, best of each: on a shared machine a burst of load hits one round,
        # and the baseline is measured the same way in the same run
        rounds = [
            {d: timed(check, messages) for d, check in detectors.items()} for _ in range(ROUNDS)
        ]
        figures = {d: tuple(min(r[d][k] for r in rounds) for k in range(3)) for d in detectors}
        base99 = figures["old matcher"][1]
        for d, (p50, p99, w50) in figures.items():
            print(
                f"    {d:20} {p50:.3f} / {p99:.3f} / {w50:.3f}   ratio p99 vs old "
                f"{p99 / base99:.2f}x   target p99 <= 1 ms: {'met' if p99 <= 1 else 'MISSED'}"
            )

    print(
        "start-up, s (flows + content, detector, total; and CPU time of the total),"
        " best of 5 fresh interpreters"
    )
    print(f"  load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    old_total = sum(startup(OLD)[:2])
    for name, code in (("grammar+classifier", NEW), ("grammar alone", GRAMMAR_ALONE), ("old", OLD)):
        f, d, cpu, first = startup(code)
        print(
            f"  {name:20} {f:.3f} + {d:.3f} = {f + d:.3f} (CPU {cpu:.3f})   ratio vs old "
            f"{(f + d) / old_total:.2f}x   target < 0.5 s: {'met' if f + d < 0.5 else 'MISSED'}"
            f"   first message {first * 1e3:.1f} ms"
        )
    print(f"  load average after: {os.getloadavg()[0]:.1f}")

    print("corpora: recall, false alarms (all seen: tuned and trained on; see docs/danger.md)")
    print_figures(parts, detectors)
    blind = {
        f"latest-blind/{p.stem}": yaml.safe_load(p.read_text()) for p in BLIND.glob("danger*.yaml")
    }
    print("blind, measured once and never tuned on (targets: recall >= 97%, false alarms <= 10%)")
    print_figures(blind, detectors)


def print_figures(parts: dict[str, list[dict]], detectors: dict) -> None:
    for part, items in parts.items():
        danger = [i["text"] for i in items if i["label"] == "danger"]
        calm_texts = [i["text"] for i in items if i["label"] == "calm"]
        for name, check in detectors.items():
            hit = sum(check(t) for t in danger)
            alarms = sum(check(t) for t in calm_texts)
            print(
                f"  {part:18} {name:20} recall {hit / len(danger):6.1%} ({hit}/{len(danger)})"
                f"   false alarms {alarms / len(calm_texts):5.1%} ({alarms}/{len(calm_texts)})"
            )


if __name__ == "__main__":
    main()
