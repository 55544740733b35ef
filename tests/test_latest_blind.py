"""The last blind measurement (issues 11 and 15), kept as floors so it cannot quietly get worse.

tests/corpus/danger5/ and tests/corpus/ask4/ hold two corpora written by helpers who never saw the
code or its word lists, measured once by the lead at the end of the third session on the code that
landed (figures and the baseline in danger5's README). They are seen data since the fourth session
(the ask topic model trains on ask4 now, so its "among the buttons" target, missed blind by one
item, is no longer asserted here); what is asserted is what was measured, and the target still
missed is a strict xfail: when a later round meets it, the xfail fails and must be removed.
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
CORPORA = ROOT / "tests" / "corpus"


def load(name: str) -> list[dict]:
    return yaml.safe_load((CORPORA / name / "all.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def detector() -> DangerDetector:
    return DangerDetector.from_content(ROOT / "content")


@pytest.fixture(scope="module")
def danger5(detector: DangerDetector) -> tuple[int, int, int, int]:
    items = load("danger5")
    danger = [i["text"] for i in items if i["label"] == "danger"]
    calm = [i["text"] for i in items if i["label"] == "calm"]
    caught = sum(detector.is_danger(t) for t in danger)
    alarms = sum(detector.is_danger(t) for t in calm)
    print(f"\ndanger5: recall {caught}/{len(danger)}, false alarms {alarms}/{len(calm)}")
    return caught, len(danger), alarms, len(calm)


@pytest.fixture(scope="module")
def ask4(detector: DangerDetector) -> Figures:
    settings = Settings(data_dir=Path("/nonexistent"))
    router = Router.for_project(load_checked_project(settings, build_registry()), ROOT / "content")
    assert router is not None
    figures = measure(router, load("ask4"), detector.is_danger)
    print("\nask4:\n" + "\n".join(figures.lines()))
    return figures


def test_danger5_holds_what_was_measured(danger5: tuple[int, int, int, int]) -> None:
    caught, danger, alarms, calm = danger5
    assert (danger, calm) == (465, 359)
    assert caught >= 452  # 97.2%
    assert alarms <= 45  # 12.5%


def test_danger5_meets_the_recall_target(danger5: tuple[int, int, int, int]) -> None:
    caught, danger, _, _ = danger5
    assert caught / danger >= 0.97


@pytest.mark.xfail(strict=True, reason="measured blind: 12.5% false alarms, over the 10% target")
def test_danger5_meets_the_false_alarm_target(danger5: tuple[int, int, int, int]) -> None:
    _, _, alarms, calm = danger5
    assert alarms / calm <= 0.10


def test_ask4_holds_what_was_measured(ask4: Figures) -> None:
    f = ask4
    assert (f.topic_items, f.nothing_items, f.journal_items, f.greeting_items) == (329, 78, 88, 32)
    assert f.topic_first >= 279
    assert f.topic_among >= 312
    assert f.nothing_right >= 65
    assert f.journal_offered + f.journal_danger >= 85
    assert f.greeting_right >= 26


def test_ask4_meets_the_first_nothing_fits_and_diary_targets(ask4: Figures) -> None:
    assert ask4.first >= 0.80
    assert ask4.nothing >= 0.80
    assert ask4.journal >= 0.95
