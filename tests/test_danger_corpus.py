"""Danger detection measured blind: the corpora in tests/corpus/ (see each README).

Both were written by helpers who never saw the detector, its grammar, its examples or the old
phrase list; the second never saw the first either. Figures print here (run with `pytest -s`);
docs/danger.md records them. Targets (issue 11): recall >= 97%, false alarms <= 10%.

- tests/corpus/danger/ (tune.yaml + holdout.yaml, 888 messages): SEEN data. Round 1 tuned the
  grammar on tune.yaml and measured holdout.yaml once (85.4% / 11.6%); round 2 trained the
  classifier on both halves (content/danger_examples.yaml). Its figures show the fit, not
  generalisation; the targets are asserted on it as a floor.
- tests/corpus/danger2/holdout.yaml (679 messages): BLIND, measured once, when the detector
  (grammar + classifier, commit "Danger classifier held back by the grammar's question guard")
  was final: recall 92.9% (368/396), false alarms 21.2% (60/283): the targets are MISSED.
  Round 1's grammar alone on it: 79.8% (316/396) / 14.5% (41/283). It must not be tuned on, so
  its test asserts no regression, not the targets.
  After that measurement the full test suite showed the classifier alarming on short answers to
  the journal's questions ("at home", "Phone call"); 42 such calm answers, written by the
  developer (not from any corpus), were added to the examples and the model retrained. Read
  again with that detector (no longer blind, and not tuned on): 93.2% (369/396) / 21.9% (62/283).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.engine.danger import DangerDetector
from bot.engine.danger.cli import figures

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "tests" / "corpus"
SEEN = ["danger/tune", "danger/holdout"]
BLIND = "danger2/holdout"
THIRD_TUNE = "danger3/tune"  # the tune half of a third blind corpus (README); its other half is
# kept by the lead and measured once at the end


@pytest.fixture(scope="module")
def detector() -> DangerDetector:
    return DangerDetector.from_content(ROOT / "content")


def load(part: str) -> list[dict]:
    return yaml.safe_load((CORPORA / f"{part}.yaml").read_text(encoding="utf-8"))


def measure(detector: DangerDetector, part: str) -> tuple[float, float, list[str], list[str]]:
    items = load(part)
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


@pytest.mark.parametrize(
    ("part", "danger", "calm"),
    [(p, 150, 100) for p in SEEN] + [(BLIND, 300, 200), (THIRD_TUNE, 200, 140)],
)
def test_corpus_is_big_enough_and_labelled(part: str, danger: int, calm: int) -> None:
    items = load(part)
    assert {i["label"] for i in items} == {"danger", "calm"}
    assert sum(i["label"] == "danger" for i in items) >= danger
    assert sum(i["label"] == "calm" for i in items) >= calm


# Seen data: the classifier was trained on every message here, but the grammar's own false alarms
# on round 1's held-aside half (23/198, a rule matched) are not undone by it: asserted as measured.
SEEN_FALSE_ALARMS = {"danger/tune": 1 / 198, "danger/holdout": 23 / 198}


@pytest.mark.parametrize("part", SEEN)
def test_seen_parts_are_caught(detector: DangerDetector, part: str) -> None:
    recall, alarm_rate, missed, alarms = measure(detector, part)
    assert recall >= 0.97, missed
    assert alarm_rate <= SEEN_FALSE_ALARMS[part], alarms


# Below the targets (97% / 10%): reported, not tuned away (tuning on it would make it worthless).
# Blind, once: 368/396, 60/283; the shipped detector (after the journal-answer examples): these.
# A change to the detector must not make them worse.
BLIND_RECALL = 369 / 396
BLIND_FALSE_ALARMS = 62 / 283


def test_blind_corpus_prints_its_figures_and_does_not_regress(detector: DangerDetector) -> None:
    recall, alarm_rate, missed, alarms = measure(detector, BLIND)
    met = recall >= 0.97 and alarm_rate <= 0.10
    print(f"blind targets (recall >= 97%, false alarms <= 10%): {'met' if met else 'MISSED'}")
    assert recall >= BLIND_RECALL, missed
    assert alarm_rate <= BLIND_FALSE_ALARMS, alarms


def test_the_blind_corpus_shares_only_common_short_messages_with_the_examples() -> None:
    """Nothing of the blind corpus was trained on; its two writers, working apart, wrote 17 of
    the same everyday messages ("help", "hi", "he has a knife", "i need the police now" from the
    issue). Without them the blind figures are 92.8% (360/388) / 21.9% (60/274)."""
    examples = {i["text"].casefold() for i in load("../../content/danger_examples")}
    shared = examples & {i["text"].casefold() for i in load(BLIND)}
    assert len(shared) == 17 and max(len(t.split()) for t in shared) <= 10, sorted(shared)


# First read, before round 3 tuned on it: 200/208 (96.2%), 24/143 (16.8%). Round 3 tuned on it
# (grammar words, guards, examples); these are the figures after, asserted as floors.
THIRD_TUNE_RECALL = 200 / 208
THIRD_TUNE_FALSE_ALARMS = 24 / 143


def test_third_corpus_tune_half_prints_its_figures(detector: DangerDetector) -> None:
    recall, alarm_rate, missed, alarms = measure(detector, THIRD_TUNE)
    assert recall >= THIRD_TUNE_RECALL, missed
    assert alarm_rate <= THIRD_TUNE_FALSE_ALARMS, alarms
