"""Danger detection measured blind: the corpus in tests/corpus/danger/ (see its README).

It was written by someone who never saw the detector, its grammar or the old phrase list. The
grammar was tuned on tune.yaml only; holdout.yaml was measured once, when the grammar was final.
Both figures print here (run with `pytest -s`); docs/danger.md records them.
Targets (issue 11): recall >= 97%, false alarms <= 10%.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.engine.danger import DangerDetector
from bot.engine.danger.cli import figures

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus" / "danger"


@pytest.fixture(scope="module")
def detector() -> DangerDetector:
    return DangerDetector.from_content(ROOT / "content")


def measure(detector: DangerDetector, part: str) -> tuple[float, float, list[str], list[str]]:
    items = yaml.safe_load((CORPUS / f"{part}.yaml").read_text(encoding="utf-8"))
    danger = [i["text"] for i in items if i["label"] == "danger"]
    calm = [i["text"] for i in items if i["label"] == "calm"]
    missed = [t for t in danger if not detector.is_danger(t)]
    alarms = [t for t in calm if detector.is_danger(t)]
    print(f"\n{part}: {figures(len(danger), len(missed), len(calm), len(alarms))}")
    for text in missed:
        print(f"  missed: {text}")
    for text in alarms:
        print(f"  false alarm: {text}")
    return 1 - len(missed) / len(danger), len(alarms) / len(calm), missed, alarms


def test_corpus_is_big_enough_and_labelled() -> None:
    for part in ("tune",):
        items = yaml.safe_load((CORPUS / f"{part}.yaml").read_text(encoding="utf-8"))
        assert {i["label"] for i in items} == {"danger", "calm"}
        assert sum(i["label"] == "danger" for i in items) >= 150
        assert sum(i["label"] == "calm" for i in items) >= 100


def test_tune_part_meets_the_targets(detector: DangerDetector) -> None:
    recall, alarm_rate, missed, alarms = measure(detector, "tune")
    assert recall >= 0.97, missed
    assert alarm_rate <= 0.10, alarms
