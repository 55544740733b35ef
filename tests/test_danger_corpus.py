"""Danger detection measured blind: the corpus in tests/corpus/danger/ (see its README).

It was written by someone who never saw the detector, its grammar or the old phrase list. The
grammar was tuned on tune.yaml only; holdout.yaml was measured once, when the grammar was final.
Both figures print here (run with `pytest -s`); docs/danger.md records them.
Targets (issue 11): recall >= 97%, false alarms <= 10%.

Measured once, on the final grammar (commit "Danger grammar: more general words..."):
- tune:    recall 100.0% (246/246), false alarms 0.5% (1/198)
- holdout: recall  85.4% (210/246), false alarms 11.6% (23/198): the targets are MISSED.
The holdout part must not be tuned on, so its test asserts no regression below the measured
figures, not the targets; the tune part asserts the targets.
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
    for part in ("tune", "holdout"):
        items = yaml.safe_load((CORPUS / f"{part}.yaml").read_text(encoding="utf-8"))
        assert {i["label"] for i in items} == {"danger", "calm"}
        assert sum(i["label"] == "danger" for i in items) >= 150
        assert sum(i["label"] == "calm" for i in items) >= 100


def test_tune_part_meets_the_targets(detector: DangerDetector) -> None:
    recall, alarm_rate, missed, alarms = measure(detector, "tune")
    assert recall >= 0.97, missed
    assert alarm_rate <= 0.10, alarms


# The figures measured once on the held-aside part, with the final grammar. Below the targets
# (97% / 10%): reported, not tuned away (tuning on this part would make it worthless as a blind
# measure). A change to the grammar must not make them worse.
HOLDOUT_RECALL = 210 / 246
HOLDOUT_FALSE_ALARMS = 23 / 198


def test_holdout_part_prints_its_figures_and_does_not_regress(detector: DangerDetector) -> None:
    recall, alarm_rate, missed, alarms = measure(detector, "holdout")
    met = recall >= 0.97 and alarm_rate <= 0.10
    print(f"holdout targets (recall >= 97%, false alarms <= 10%): {'met' if met else 'MISSED'}")
    assert recall >= HOLDOUT_RECALL, missed
    assert alarm_rate <= HOLDOUT_FALSE_ALARMS, alarms
