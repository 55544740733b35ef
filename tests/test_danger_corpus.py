"""Danger detection measured on the corpora in tests/corpus/ (see each README).

Each was written by a helper who never saw the detector, its grammar, its examples or the old
phrase list, nor the other corpora. Figures print here (run with `pytest -s`); docs/danger.md
records them. Targets (issue 11), on held-aside data: recall >= 97%, false alarms <= 10%.

All three are SEEN now: round 3 tuned the grammar on them and trained the classifier on them
(content/danger_examples.yaml). Their figures show the fit, not generalisation; they are asserted
as floors so that a change does not undo what was learnt. The honest figures are
`safety-bot danger cv` (each corpus judged by a classifier trained without it) and the held-aside
half of corpus 3, kept by the lead and measured once (never here).

- tests/corpus/danger/ (888): round 1 tuned on tune.yaml, measured holdout.yaml once: 85.4% /
  11.6%.
- tests/corpus/danger2/holdout.yaml (679): measured blind once in round 2: 92.9% (368/396) /
  21.2% (60/283); round 3 tuned on it.
- tests/corpus/danger3/tune.yaml (351): the tune half of a third corpus. First read, before round
  3 changed anything: 96.2% (200/208) / 16.8% (24/143); round 3 tuned on it.
- tests/corpus/danger3/holdout.yaml (359): the held-aside half, kept outside the repository while
  round 3 tuned and measured ONCE by the lead when round 3 was final (commit "docs/danger.md:
  round 3 on the ask corpora"): recall 95.3% (205/215), false alarms 7.6% (11/144). The false
  alarm target is met; the recall target is MISSED. The detector before round 3 read it at 93.5%
  (201/215) / 18.1% (26/144) in the same sitting. It is here now so that nobody regresses it;
  it is seen from now on: round 4 generalised from its misses and false alarms (not trained on).
- tests/corpus/danger4/tune.yaml (417): the tune half of a fourth corpus. First read, before round
  4 tuned on it: 90.7% (215/237) / 5.6% (10/180), both with the detector before round 4 and
  with round 4 before it saw the file; round 4 tuned on it.
- tests/corpus/danger4/holdout.yaml (418): its held-aside half, kept by the lead while round 4
  tuned and measured ONCE by the lead when round 4 was final (main after "Merge danger4"):
  recall 94.0% (220/234), false alarms 13.0% (24/184): BOTH targets MISSED. The detector before
  round 4 read it at 91.0% (213/234) / 15.2% (28/184) in the same sitting. Seen from round 5 on:
  round 5 generalised from its misses and false alarms (own examples `from: danger4-holdout`,
  never its messages).
- tests/corpus/danger5/all.yaml (824): a fifth corpus, kept whole by the lead outside the
  repository and measured ONCE on the code that landed in the third session (round 5): recall
  97.2% (452/465), false alarms 12.5% (45/359): the recall target met, the false-alarm target
  MISSED (tests/test_latest_blind.py, the lead's, keeps those floors). Seen from round 6 on.
- tests/corpus/danger7/tune.yaml (415): the tune half of a seventh corpus (the lead keeps the
  other half). Read blind on main before round 6 changed anything: 96.3% (234/243) / 14.0%
  (24/172); round 6 tuned on it (own examples `from: danger7-tune`, never its messages).
- tests/corpus/danger7/holdout.yaml (425): its held-aside half, kept by the lead while round 6
  tuned and measured ONCE by the lead on round 6 as landed: recall 92.2% (226/245), false alarms
  7.8% (14/180): the recall target MISSED (the detector at the start of that session: 90.6%
  (222/245) / 8.9% (16/180)). Seen from round 6b on (own examples `from: danger7-holdout`).
- tests/corpus/danger6/all.yaml (823): a whole corpus, kept by the lead outside the repository and
  measured ONCE on main (rounds 6 + 6b): recall 93.6% (436/466), false alarms 12.0% (43/357):
  BOTH targets MISSED (start of that session: 93.6% (436/466) / 14.0% (50/357)). Seen from round
  6c on (own examples `from: danger6`, never its messages).
- tests/corpus/danger8/all.yaml (879): a whole corpus, kept by the lead outside the repository and
  measured ONCE on main (rounds 6, 6b, 6c): recall 96.2% (460/478), false alarms 6.7% (27/401):
  the false-alarm target met, the recall target MISSED by 4 messages (start of that session:
  95.8% (458/478) / 9.5% (38/401)). Seen from round 6d on (its messages never in `content/`).
- tests/corpus/danger9/all.yaml (876): a whole corpus measured ONCE by the lead on main after round
  6d: 92.4% (453/490) / 10.4% (40/386) (tests/test_latest_blind.py keeps those floors); seen.
- tests/corpus/danger10/all.yaml (807) and tests/corpus/danger12/all.yaml (865): whole corpora
  written blind in the fifth session, read ONCE by round 7a before any use (their READMEs):
  landed main 92.7% (430/464) / 11.7% (40/343) and 93.9% (449/478) / 10.6% (41/387); round 7a,
  its classifier trained without them, 95.5% (443/464) / 11.4% (39/343) and 97.3% (465/478) /
  9.8% (38/387). Seen since.
- tests/corpus/danger11/all.yaml (817) and tests/corpus/danger13/all.yaml (815): whole corpora
  written blind in the fifth session and measured ONCE by the lead on main 68c04d4 (rounds 7a +
  7b): 97.9% (457/467) / 6.3% (22/350) and 96.5% (444/460) / 6.8% (24/355). Seen from round 7c on
  (trained on).

Round 7a (docs/danger.md): the classifier trains on every corpus here (content/danger_training.yaml
lists them), so the figures below are a FIT, near 100%; they are floors so that nothing learnt
is lost. The honest figure is `safety-bot danger cv`: each writer judged by the whole detector
with a classifier trained without that writer. Round 7a's figures are the floors below (round 6's
beside them).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.engine.danger import DangerDetector
from bot.engine.danger.cli import figures

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "tests" / "corpus"
SEEN = [
    "danger/tune",
    "danger/holdout",
    "danger2/holdout",
    "danger3/tune",
    "danger4/tune",
    "danger4/holdout",
    "danger5/all",
    "danger7/tune",
    "danger7/holdout",
    "danger6/all",
    "danger8/all",
    "danger9/all",
    "danger10/all",
    "danger12/all",
    "danger11/all",
    "danger13/all",
]


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
    [(p, 150, 100) for p in SEEN[:2]]
    + [(SEEN[2], 300, 200), (SEEN[3], 200, 140), (SEEN[4], 230, 175), (SEEN[5], 230, 180)]
    + [(SEEN[6], 460, 350), (SEEN[7], 240, 170), (SEEN[8], 240, 175), (SEEN[9], 460, 350)]
    + [(SEEN[10], 470, 390), (SEEN[11], 480, 380), (SEEN[12], 460, 340), (SEEN[13], 470, 380)]
    + [(SEEN[14], 460, 340), (SEEN[15], 450, 350)],
)
def test_corpus_is_big_enough_and_labelled(part: str, danger: int, calm: int) -> None:
    items = load(part)
    assert {i["label"] for i in items} == {"danger", "calm"}
    assert sum(i["label"] == "danger" for i in items) >= danger
    assert sum(i["label"] == "calm" for i in items) >= calm


# Round 7a's figures on each (recall, false alarms), asserted as floors (after merging round 7b's
# grammar, which moved danger/holdout 7 -> 6, danger5 462 20 -> 463 17, danger7/tune 243 5 -> 242 4,
# danger7/holdout 8 -> 6, danger6 17 -> 16, danger8 15 -> 12, danger9 482 27 -> 486 22, danger10
# 462 27 -> 464 15, danger12 31 -> 9 false alarms; then the firm hold-backs, which no score
# overrides (an idiom, an all-clear: hold_back.FIRM), cost danger4/tune 1, danger5 4, danger6 6,
# danger9 1, danger10 1, danger12 3 of recall, seen): the classifier trains on
# every one of these corpora now, so they are a fit (round 6d's figure before -> round 7a's in the
# comment). Round 4's (and round 5's): 246/246 1/198; 246/246 9/198; 394/396 7/283; 207/208
# 1/143; 236/237 0/180. The honest figures: `safety-bot danger cv` (docs/danger.md "Round 7a").
SEEN_FIGURES = {
    "danger/tune": (246 / 246, 0 / 198),  # 246/246 0/198 -> the same
    "danger/holdout": (246 / 246, 6 / 198),  # 246/246 7/198 -> the same
    "danger2/holdout": (395 / 396, 4 / 283),  # 394/396 5/283 -> 395/396 4/283
    "danger3/tune": (208 / 208, 0 / 143),  # 208/208 0/143 -> the same
    "danger4/tune": (236 / 237, 0 / 180),  # 236/237 0/180 -> 237/237 0/180
    # measured once, blind, by the lead: 220/234 24/184 (before round 4: 213/234 28/184);
    # round 5 generalised from it (seen, flattering): 234/234 4/184; round 6: 234/234 3/184;
    # round 7a: 234/234 1/184
    "danger4/holdout": (234 / 234, 1 / 184),
    # measured once, blind, by the lead on round 5: 452/465 45/359; round 6: 456/465 24/359;
    # round 7a: 462/465 20/359
    "danger5/all": (459 / 465, 17 / 359),
    # read blind on main before round 6: 234/243 24/172; round 6: 239/243 8/172; 7a: 243/243 5/172
    "danger7/tune": (242 / 243, 4 / 172),
    # measured once, blind, by the lead on round 6: 226/245 14/180; round 6b-6d: 241/245 14/180;
    # round 7a: 245/245 8/180
    "danger7/holdout": (245 / 245, 6 / 180),
    # measured once, blind, by the lead on main (rounds 6 + 6b): 436/466 43/357; round 6d:
    # 445/466 22/357; round 7a: 464/466 17/357
    "danger6/all": (458 / 466, 16 / 357),
    # measured once, blind, by the lead on main (rounds 6, 6b, 6c): 460/478 27/401; round 6d:
    # 473/478 27/401; round 7a: 478/478 15/401
    # round 7c: 13 (the rooms with "my": "two officers are sat in my kitchen", as "in the kitchen")
    "danger8/all": (478 / 478, 13 / 401),
    # measured once, blind, by the lead after round 6d: 453/490 40/386 (tests/test_latest_blind.py);
    # round 7a: 482/490 27/386
    "danger9/all": (485 / 490, 22 / 386),
    # read once by round 7a before training on it: main 430/464 40/343, round 7a 443/464 39/343;
    # trained on: 462/464 27/343
    "danger10/all": (462 / 464, 15 / 343),  # 463 before the flowers examples (round 7a, last)
    # read once by round 7a before training on it: main 449/478 41/387, round 7a 465/478 38/387;
    # trained on: 477/478 31/387
    "danger12/all": (474 / 478, 9 / 387),
    # round 7c: measured once, blind, by the lead on main 68c04d4: 457/467 22/350; trained on:
    "danger11/all": (466 / 467, 18 / 350),
    # round 7c: measured once, blind, by the lead on main 68c04d4: 444/460 24/355; trained on:
    "danger13/all": (457 / 460, 17 / 355),  # 456 before round 7c's mechanisms
}


@pytest.mark.parametrize("part", SEEN)
def test_seen_parts_print_their_figures_and_do_not_regress(
    detector: DangerDetector, part: str
) -> None:
    recall, alarm_rate, missed, alarms = measure(detector, part)
    least_recall, most_alarms = SEEN_FIGURES[part]
    assert recall >= least_recall, missed
    assert alarm_rate <= most_alarms, alarms


def test_the_hand_written_examples_never_copy_a_corpus() -> None:
    """Round 7a: the classifier trains on the seen corpora themselves (content/danger_training.yaml
    names each file once); the hand-written examples, some written from a corpus's kinds of
    wording (`from`), never repeat its messages (one copy of each message)."""
    examples = load("../../content/danger_examples")
    for written_from, corpus in (
        ("danger4-holdout", "danger4/holdout"),
        ("danger5", "danger5/all"),
        ("danger7-tune", "danger7/tune"),
        ("danger7-holdout", "danger7/holdout"),
    ):
        seen = {i["text"].lower() for i in load(corpus)}
        mine = [i["text"] for i in examples if i.get("from") == written_from]
        assert mine and not [t for t in mine if t.lower() in seen]
    assert {i.get("from") for i in examples} == {
        None,
        "developer",
        "danger4-holdout",  # written from its kinds of wording, never its messages (round 5)
        "danger5",  # the same (round 6)
        "danger7-tune",  # the same (round 6)
        "danger7-holdout",  # the same (round 6b)
    }
    listing = load("../../content/danger_training")
    assert {
        e["file"].removeprefix("tests/corpus/").removesuffix(".yaml") for e in listing["corpora"]
    } >= set(SEEN)


BLIND = "danger3/holdout"
BLIND_MEASURED = (205 / 215, 11 / 144)  # measured once, see the module docstring
ROUND_4 = (215 / 215, 0 / 144)  # after round 4 generalised from its misses: seen, flattering


def test_the_held_aside_half_of_corpus_3_holds_what_was_measured(detector: DangerDetector) -> None:
    recall, alarm_rate, missed, alarms = measure(detector, BLIND)
    assert recall >= max(BLIND_MEASURED[0], ROUND_4[0]), missed
    assert alarm_rate <= min(BLIND_MEASURED[1], ROUND_4[1]), alarms
