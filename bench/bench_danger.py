"""Danger detection: cost per message and start-up, beside today's (old) matcher in the same run.

Prints, for content/danger_grammar.yaml (bot/engine/danger/) and for the phrase matcher it
replaced (kept as bench/old_danger_matcher.py + bench/old_danger_phrases.yaml, the baseline):

- p50 / p99 time per 500-character message (messages made by joining corpus messages; the calm
  ones are the worst case, since no rule ends the search early). Measured as CPU time of this
  thread (time.thread_time), so other processes on a shared 2-core machine do not count;
  wall-clock p50 printed beside it. Target: p99 <= 1 ms.
- start-up: flows + content, then the detector, loaded in a fresh interpreter (after the bot's
  own modules are imported; the detector's libraries, symspellpy, count in its time).
  Target: < 0.5 s together.
- recall and false alarms on each part of the blind corpus in tests/corpus/danger/.

Not a test: run `python bench/bench_danger.py`. Figures are recorded in docs/danger.md.
"""

from __future__ import annotations

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

CORPUS = ROOT / "tests" / "corpus" / "danger"
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
t0 = time.perf_counter()
settings = Settings.from_env()
project = load_checked_project(settings, build_registry())
t1 = time.perf_counter()
{detector}
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""
NEW = "from bot.engine.danger import DangerDetector\nDangerDetector.from_content(settings.content_dir)"
OLD = (
    "import sys; sys.path.insert(0, 'bench')\nfrom old_danger_matcher import DangerDetector\n"
    "from pathlib import Path\nDangerDetector.from_file(Path('bench/old_danger_phrases.yaml'))"
)


def startup(detector: str, runs: int = 5) -> tuple[float, float]:
    """Best of `runs` (flows+content, detector) seconds in a fresh interpreter."""
    best = (9e9, 9e9)
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", STARTUP.format(detector=detector)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        flows, det = float(out[0]), float(out[1])
        if flows + det < sum(best):
            best = (flows, det)
    return best


def main() -> None:
    new = DangerDetector.from_content(ROOT / "content")
    old = OldDetector.from_file(ROOT / "bench" / "old_danger_phrases.yaml")
    parts = {p.stem: yaml.safe_load(p.read_text()) for p in sorted(CORPUS.glob("*.yaml"))}
    all_items = [i for items in parts.values() for i in items]
    calm = long_messages([i["text"] for i in all_items if i["label"] == "calm"], MESSAGES, 1)
    mixed = long_messages([i["text"] for i in all_items], MESSAGES, 2)

    print(f"cost per {LENGTH}-character message, ms (CPU p50 / CPU p99 / wall p50)")
    for name, messages in (("calm only (worst case)", calm), ("mixed", mixed)):
        n50, n99, nw = timed(new.is_danger, messages)
        o50, o99, ow = timed(old.is_danger, messages)
        print(
            f"  {name:24} grammar {n50:.3f} / {n99:.3f} / {nw:.3f}   "
            f"old matcher {o50:.3f} / {o99:.3f} / {ow:.3f}   ratio p99 {n99 / o99:.2f}x"
            f"   target p99 <= 1 ms: {'met' if n99 <= 1 else 'MISSED'}"
        )

    nf, nd = startup(NEW)
    of, od = startup(OLD)
    print("start-up, s (flows + content, detector, total), best of 5 fresh interpreters")
    print(
        f"  grammar      {nf:.3f} + {nd:.3f} = {nf + nd:.3f}"
        f"   target < 0.5 s: {'met' if nf + nd < 0.5 else 'MISSED'}"
    )
    print(
        f"  old matcher  {of:.3f} + {od:.3f} = {of + od:.3f}   ratio {(nf + nd) / (of + od):.2f}x"
    )

    print("blind corpus (tests/corpus/danger/): recall, false alarms")
    for part, items in parts.items():
        for name, det in (("grammar", new), ("old matcher", old)):
            danger = [i["text"] for i in items if i["label"] == "danger"]
            calm_texts = [i["text"] for i in items if i["label"] == "calm"]
            hit = sum(det.is_danger(t) for t in danger)
            alarms = sum(det.is_danger(t) for t in calm_texts)
            print(
                f"  {part:8} {name:12} recall {hit / len(danger):6.1%} ({hit}/{len(danger)})"
                f"   false alarms {alarms / len(calm_texts):5.1%} ({alarms}/{len(calm_texts)})"
            )


if __name__ == "__main__":
    main()
