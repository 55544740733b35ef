"""The last blind measurements (issues 11 and 15), kept as floors so they cannot quietly get worse.

tests/corpus/latest-blind/ holds the corpora measured last, each written by a helper who never saw
the code, `content/` or any earlier corpus (the ask writer read only the source advice page), kept
whole outside the repository while tuning ran on other corpora, and measured once by the lead on
the code that landed, with the code at the start of that session read in the same sitting as a
baseline (figures in that folder's README): ask7 (548, fourth session) and danger14 (929, fifth
session, on the landed danger code a1d4c2b, after rounds 7a, 7b and 7c). danger11 and danger13,
measured once on 68c04d4 (rounds 7a and 7b), were then trained on by round 7c: they live in
tests/corpus/ with the seen corpora, their blind figures in that folder's README.
What is asserted is what was measured; targets that measurement missed are strict xfails: when a
later round meets one on data it has not tuned on, the xfail fails and must be removed.
ask7 stays outside tests/corpus/ask*/ on purpose: the ask topic model trains on every file there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import build_registry, load_checked_project
from bot.ask.measure import Figures, measure
from bot.ask.router import Router
from bot.engine.danger import DangerDetector
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
BLIND = ROOT / "tests" / "corpus" / "latest-blind"


def load(name: str) -> list[dict]:
    return yaml.safe_load((BLIND / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def detector() -> DangerDetector:
    return DangerDetector.from_content(ROOT / "content")


@pytest.fixture(scope="module")
def ask7(detector: DangerDetector) -> Figures:
    settings = Settings(data_dir=Path("/nonexistent"))
    router = Router.for_project(load_checked_project(settings, build_registry()), ROOT / "content")
    assert router is not None
    figures = measure(router, load("ask7"), detector.is_danger)
    print("\nask7:\n" + "\n".join(figures.lines()))
    return figures


# name: (danger, calm) in the file, messages caught and false alarms as measured blind, once
DANGER = {
    "danger14": ((509, 420), 496, 22),  # 97.4% / 5.2%, on a1d4c2b (start of session: 94.9% / 6.9%)
}
MISSED: dict[tuple[str, str], str] = {}  # every danger target was met on danger14


@pytest.fixture(scope="module")
def danger_figures(detector: DangerDetector) -> dict[str, tuple[int, int, int, int]]:
    out = {}
    for name in DANGER:
        items = load(name)
        danger = [i["text"] for i in items if i["label"] == "danger"]
        calm = [i["text"] for i in items if i["label"] == "calm"]
        caught = sum(detector.is_danger(t) for t in danger)
        alarms = sum(detector.is_danger(t) for t in calm)
        print(f"\n{name}: recall {caught}/{len(danger)}, false alarms {alarms}/{len(calm)}")
        out[name] = (caught, len(danger), alarms, len(calm))
    return out


@pytest.mark.parametrize("name", list(DANGER))
def test_danger_holds_what_was_measured(
    danger_figures: dict[str, tuple[int, int, int, int]], name: str
) -> None:
    caught, danger, alarms, calm = danger_figures[name]
    sizes, measured_caught, measured_alarms = DANGER[name]
    assert (danger, calm) == sizes
    assert caught >= measured_caught
    assert alarms <= measured_alarms


def _target(name: str, which: str) -> Any:  # a pytest ParameterSet
    reason = MISSED.get((name, which))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(name, which, marks=marks, id=f"{name}-{which}")


@pytest.mark.parametrize(
    ("name", "which"), [_target(n, w) for n in DANGER for w in ("recall", "false alarms")]
)
def test_danger_meets_the_target(
    danger_figures: dict[str, tuple[int, int, int, int]], name: str, which: str
) -> None:
    caught, danger, alarms, calm = danger_figures[name]
    if which == "recall":
        assert caught / danger >= 0.97
    else:
        assert alarms / calm <= 0.10


def test_ask7_holds_what_was_measured(ask7: Figures) -> None:
    f = ask7
    assert (f.topic_items, f.nothing_items, f.journal_items, f.greeting_items) == (348, 79, 90, 31)
    assert f.topic_first >= 306
    assert f.topic_among >= 340
    assert f.nothing_right >= 68
    assert f.journal_offered + f.journal_danger >= 86
    assert f.greeting_right >= 29


@pytest.mark.parametrize(
    ("name", "target"),
    [("first", 0.80), ("among", 0.95), ("nothing", 0.80), ("journal", 0.95)],
)
def test_ask7_meets_the_target(ask7: Figures, name: str, target: float) -> None:
    assert getattr(ask7, name) >= target
