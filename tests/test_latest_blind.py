"""The last blind measurement (issues 11 and 15), kept as floors so it cannot quietly get worse.

tests/corpus/latest-blind/ holds the two corpora measured last, at the end of the fourth session:
danger9 (876 messages) and ask7 (548 items), each written by a helper who never saw the
code, `content/` or any earlier corpus (the ask writer read only the source advice page), kept
whole outside the repository while rounds of tuning ran on other corpora, and measured once
by the lead on the code that landed, with the code at the start of the session (18c6051) read in
the same sitting as a baseline (figures in that folder's README). They are seen data from now on.
What is asserted is what was measured; targets that measurement missed are strict xfails: when a
later round meets one on data it has not tuned on, the xfail fails and must be removed.
ask7 stays outside tests/corpus/ask*/ on purpose: the ask topic model trains on every file there.
danger9 moved to tests/corpus/danger9/ at the start of the fifth session, as tuning data.
"""

from __future__ import annotations

from pathlib import Path

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
def danger9(detector: DangerDetector) -> tuple[int, int, int, int]:
    # seen since the fifth session (tests/corpus/danger9/), kept here until a newer blind
    # danger corpus replaces it
    items = yaml.safe_load((ROOT / "tests/corpus/danger9/all.yaml").read_text(encoding="utf-8"))
    danger = [i["text"] for i in items if i["label"] == "danger"]
    calm = [i["text"] for i in items if i["label"] == "calm"]
    caught = sum(detector.is_danger(t) for t in danger)
    alarms = sum(detector.is_danger(t) for t in calm)
    print(f"\ndanger9: recall {caught}/{len(danger)}, false alarms {alarms}/{len(calm)}")
    return caught, len(danger), alarms, len(calm)


@pytest.fixture(scope="module")
def ask7(detector: DangerDetector) -> Figures:
    settings = Settings(data_dir=Path("/nonexistent"))
    router = Router.for_project(load_checked_project(settings, build_registry()), ROOT / "content")
    assert router is not None
    figures = measure(router, load("ask7"), detector.is_danger)
    print("\nask7:\n" + "\n".join(figures.lines()))
    return figures


def test_danger9_holds_what_was_measured(danger9: tuple[int, int, int, int]) -> None:
    caught, danger, alarms, calm = danger9
    assert (danger, calm) == (490, 386)
    assert caught >= 453  # 92.4%
    assert alarms <= 40  # 10.4%


@pytest.mark.xfail(strict=True, reason="measured blind: recall 92.4% (453/490), under 97%")
def test_danger9_meets_the_recall_target(danger9: tuple[int, int, int, int]) -> None:
    caught, danger, _, _ = danger9
    assert caught / danger >= 0.97


@pytest.mark.xfail(strict=True, reason="measured blind: 10.4% false alarms (40/386), over 10%")
def test_danger9_meets_the_false_alarm_target(danger9: tuple[int, int, int, int]) -> None:
    _, _, alarms, calm = danger9
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
