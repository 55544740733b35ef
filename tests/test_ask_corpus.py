"""The router measured on the labelled corpora (run with -s to see the figures).

Every corpus here is SEEN: tests/corpus/ask/ (tune and holdout, 369 items, blind when written,
both parts read while tuning), tests/corpus/ask2/tune.yaml (209 items, the tune half of a second
blind corpus) and tests/corpus/ask3/tune.yaml (254 items, the tune half of a third, read in
round 3; before its phrases were written it read 63.9 / 85.8 / 76.9 / 93.3%). Their figures
are inflated: the ask_like phrases were written after reading their misses, and since round 3
the topic model (bot/ask/model.py) is trained on all of them. The honest lines are "left out":
each family of corpora judged by a model trained without it (the phrases still saw it). The cross-validated figure is honest for the thresholds only (chosen
on four fifths, scored on the fifth left out), not for the phrases.

The issue's targets are a claim about a part nobody tuned on: the held-aside half of ask2
(tests/corpus/ask2/holdout.yaml, 212 items) was kept by the lead outside this repository while
round 2 tuned, and measured once when round 2 was final: right topic first 75.8% (100/132),
among the buttons 91.7% (121/132), nothing fits 78.1% (25/32), incidents to the journal first
86.5% (23 + 9 danger answers of 37) with the danger detector of that moment, 91.9% (22 + 12) with
danger round 3 merged; greetings 10/11. The router before round 2 read it at 68.9% / 84.1% /
65.6% / 86.5% in the same sitting. The targets (80 / 95 / 80 / 95%) were MISSED there. The file
is seen data from now on, and since round 3 a training file of the topic model, so what the
router reads on it now says nothing about the targets; it is kept as a floor only. The next
claim about the targets was the lead's one measurement of ask3's held-aside half
(tests/corpus/ask3/holdout.yaml, 255 items), against round 3 (main at 1a08bfa): right topic
first 121/156 77.6%, among the buttons 147/156 94.2%, nothing fits 28/39 71.8%, incidents to
the journal first 32 + 13 danger answers of 45 100%, greetings 8/15 (before round 3: 69.9 / 88.5
/ 64.1 / 100%, greetings 7/15). The targets were MISSED there too (first, among, nothing fits).
Since round 4 it is seen and a training file of the topic model, like ask2's held-aside half;
the next claim about the targets is the lead's one measurement of the ask4 corpus.

Round 5: ask4 (tests/corpus/ask4/all.yaml, 527 items) was measured once, blind and whole, on
round 4's landed code: first 279/329 84.8%, among 312/329 94.8% (one item short of 95%),
nothing fits 65/78 83.3%, journal 63 + 22 danger answers of 88 96.6%, greetings 26/32. The tune
half of a fifth corpus (tests/corpus/ask5/tune.yaml, 269 items) read blind on main before round
5: first 143/169 84.6%, among 161/169 95.3%, nothing fits 34/40 85.0%, journal 33 + 11 / 44
100%, greetings 12/16. Both are seen now (read while tuning, in the topic model's training).

Round 5b: the lead measured ask5's held-aside half (tests/corpus/ask5/holdout.yaml, 267 items)
once on round 5's landed code: first 148/168 88.1%, among 166/168 98.8%, nothing fits 33/39
84.6%, journal 31 + 13 danger answers of 45 97.8%, greetings 14/15 (at the session's start:
148, 165, 33, 30 + 14, greetings 11/15). All four targets were met there. It is seen now and in
the topic model's training.

Round 5c: the lead measured a sixth corpus whole (tests/corpus/ask6/all.yaml, 512 items, its
writer read only the source advice page) once on main (round 5 + 5b): first 264/320 82.5%,
among 298/320 93.1% (target 95% MISSED), nothing fits 63/76 82.9%, journal 61 + 24 danger
answers of 86 98.8%, greetings 28/30 (at that session's start: 260, 296, 59, 61 + 24, 22/30).
It is seen now and in the topic model's training; the next claim about the targets is the
lead's one measurement of a new whole corpus.

A blind file is measured with `python -m bot.ask.measure FILE.yaml` (the same figures).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.app import build_registry, load_checked_project
from bot.ask.measure import Figures, cross_validate, leave_corpus_out, read_all, score
from bot.ask.router import Router
from bot.engine.danger import DangerDetector
from bot.settings import Settings
from tests.digest_cache import measured_once

ROOT = Path(__file__).resolve().parent.parent
SEEN = {
    "ask/tune": ROOT / "tests" / "corpus" / "ask" / "tune.yaml",
    "ask/holdout": ROOT / "tests" / "corpus" / "ask" / "holdout.yaml",
    "ask2/tune": ROOT / "tests" / "corpus" / "ask2" / "tune.yaml",
    "ask3/tune": ROOT / "tests" / "corpus" / "ask3" / "tune.yaml",
    "ask3/holdout": ROOT / "tests" / "corpus" / "ask3" / "holdout.yaml",
    "ask4": ROOT / "tests" / "corpus" / "ask4" / "all.yaml",
    "ask5/tune": ROOT / "tests" / "corpus" / "ask5" / "tune.yaml",
    "ask5/holdout": ROOT / "tests" / "corpus" / "ask5" / "holdout.yaml",
    "ask6": ROOT / "tests" / "corpus" / "ask6" / "all.yaml",
}


@pytest.fixture(scope="module")
def router() -> Router:
    settings = Settings(data_dir=Path("/nonexistent"))
    built = Router.for_project(load_checked_project(settings, build_registry()), ROOT / "content")
    assert built is not None
    return built


def show(name: str, figures: Figures) -> None:
    print(f"\n{name}:")
    print("\n".join(f"  {line}" for line in figures.lines()))


# Each family of corpora left out of the topic model's training in turn (bot/ask/model.py is
# trained on all of them by `ask build`): the honest figures for the model.
CORPUS_DIRS = sorted(p for p in (ROOT / "tests" / "corpus").glob("ask*") if p.is_dir())
# what computes the figures besides bot/ (a new version may round or rank differently)
LIBRARIES = ("numpy", "scipy", "scikit-learn", "PyYAML", "symspellpy", "lemminflect", "dateparser")
FAMILIES = {
    "ask": [SEEN["ask/tune"], SEEN["ask/holdout"]],
    "ask2": [SEEN["ask2/tune"], ROOT / "tests" / "corpus" / "ask2" / "holdout.yaml"],
    "ask3": [SEEN["ask3/tune"], SEEN["ask3/holdout"]],
    "ask4": [SEEN["ask4"]],
    "ask5": [SEEN["ask5/tune"], SEEN["ask5/holdout"]],
    "ask6": [SEEN["ask6"]],
}


@pytest.fixture(scope="module")
def figures(router: Router) -> dict[str, Figures]:
    # about 75 s of CPU, the same figures for the same inputs: measured again only when a file
    # under bot/, content/, the corpora or this file changes (tests/digest_cache.py)
    titled = measured_once(
        "ask-corpus-figures",
        [ROOT / "bot", ROOT / "content", *CORPUS_DIRS, Path(__file__)],
        LIBRARIES,
        lambda: measure_figures(router),
    )
    for title, part in titled.values():
        show(title, part)
    return {name: part for name, (_, part) in titled.items()}


def measure_figures(router: Router) -> dict[str, tuple[str, Figures]]:
    danger = DangerDetector.from_content(ROOT / "content")
    out = {}
    for name, path in SEEN.items():
        read = read_all(router, yaml.safe_load(path.read_text(encoding="utf-8")), danger.is_danger)
        title = f"{name} ({len(read)} items, seen, in the model's training)"
        out[name] = (title, score(router, read))
    left_out = leave_corpus_out(router, FAMILIES, danger.is_danger)
    for name, part in left_out.items():
        title = f"{name} ({len(part)} items), the model trained without it"
        out[f"{name} left out"] = (title, score(router, part))
    every = [read for part in left_out.values() for read in part]
    title = (
        f"all seen, each family left out of the model, thresholds cross-validated in 5 folds "
        f"({len(every)} items)"
    )
    out["cross-validated"] = (title, cross_validate(router, every))
    return out


def test_the_corpora_are_the_ones_described(figures: dict[str, Figures]) -> None:
    sizes = {n: (f.topic_items, f.nothing_items, f.journal_items) for n, f in figures.items()}
    assert sizes["ask/tune"] == (108, 25, 45)
    assert sizes["ask/holdout"] == (106, 25, 45)
    assert sizes["ask2/tune"] == (130, 32, 36)
    assert sizes["ask3/tune"] == (155, 39, 45)
    assert sizes["ask3/holdout"] == (156, 39, 45)
    assert sizes["ask4"] == (329, 78, 88)
    assert sizes["ask5/tune"] == (169, 40, 44)
    assert sizes["ask5/holdout"] == (168, 39, 45)
    assert sizes["ask6"] == (320, 76, 86)


# What the router scored on the seen parts when this was written (floors, so that a change to
# the phrases or the ranker cannot make it worse unnoticed): first, among, nothing, journal.
# The last figure counts journal items answered with the journal offer OR the emergency advice.
# Danger round 3 (issue 11) reads "hes rang 6 times in a row, i didnt answer" and "again today.
# same blue van outside the office at lunch" as calm (records, not danger now), so one fewer
# journal item in ask/holdout (and in the cross-validated total) is caught by a danger answer.
# Round 3: ask3/tune added; the topic model (bot/ask/model.py) is trained on every seen part,
# so their own lines are training figures; the "left out" lines are each family judged by a
# model trained without it (the honest ones), and the cross-validated line is over those.
# Round 4: ask3/holdout added (measured once blind by the lead at round 3's end: 121, 147, 28,
# 32 + 13 of 156 / 156 / 39 / 45); "ask3 left out" is now both halves (509 items), the model
# trained on ask and ask2 only: before round 4's changes 254, 296, 64, 88 of 311 / 311 / 78 / 90.
# After round 4 (small talk, two not-covered topics, a negated "know"): see docs/ask.md.
# Round 5: ask4 and ask5/tune added, and "ask4 left out", "ask5 left out" (each family judged by
# a model trained on the other four). Before round 5's changes (the index rebuilt with ask5/tune
# in its training; first, among, nothing, journal): ask4 left out 284, 313, 68, 85 of 329 / 329
# / 78 / 88 and greetings 26/32; ask5 left out 143, 161, 34, 44 of 169 / 169 / 40 / 44 and
# greetings 12/16 (its blind figures: the shipped model had not seen it). After (the nearest
# topics under "not covered", sure_margin 0.4, more greetings and small talk, a question asked
# after the event is told): below.
# The cross-validated line is now over all five families (1,870 items).
# Round 5b: ask5/holdout added (measured once blind by the lead on round 5: 148, 166, 33,
# 31 + 13 of 168 / 168 / 39 / 45, greetings 14/15); "ask5 left out" is now both halves (337
# items). Training on it too moved three other families' left-out "first" by one or two (ask2
# 237 -> 235, ask3 262 -> 261, ask4 284 -> 283; ask2 among 256 -> 257, ask3 nothing 76 -> 75)
# and ask2/tune's training figure 126 -> 125: the model, not the router, moved. The
# cross-validated line is over 2,362 items.
# Round 5c: ask6 added (measured once blind by the lead on main: 264, 298, 63, 61 + 24 of 320 /
# 320 / 76 / 86, greetings 28/30). With it in the training, before round 5c's phrases, "ask6
# left out" read 264, 298, 63, 85 (the blind figures: the shipped model had not seen it) and
# the others' left-out lines moved by the model (ask3 262 -> 265, ask4 284 -> 289, ask5 among
# 334 -> 333); ask4's training "first" 315 -> 314. After the phrases written from ask6's misses
# (so ask6's left-out line is not blind for the phrases): below. Cross-validated over 2,874 items.
FLOORS = {
    "ask/tune": (105, 108, 25, 44),
    "ask/holdout": (102, 106, 25, 45),
    "ask2/tune": (125, 130, 32, 36),
    "ask3/tune": (147, 155, 39, 43),
    "ask3/holdout": (146, 153, 39, 45),
    "ask4": (315, 329, 78, 85),
    "ask5/tune": (164, 169, 38, 44),
    "ask5/holdout": (158, 168, 36, 44),
    "ask6": (305, 319, 74, 85),
    "ask left out": (200, 214, 48, 89),
    "ask2 left out": (235, 257, 57, 73),
    "ask3 left out": (261, 304, 75, 88),
    "ask4 left out": (283, 319, 69, 85),
    "ask5 left out": (293, 334, 68, 88),
    "ask6 left out": (271, 308, 63, 85),
    # fifth session, danger rounds 7a/7b: 1549 -> 1547 first (two typed questions now get the
    # danger answer before their topic) and 508 -> 507 journal (one diary item loses its danger
    # answer); the ask model and thresholds are unchanged
    "cross-validated": (1547, 1726, 396, 507),
}


@pytest.mark.parametrize("name", list(FLOORS))
def test_seen_parts_hold_what_was_measured(figures: dict[str, Figures], name: str) -> None:
    f = figures[name]
    got = (f.topic_first, f.topic_among, f.nothing_right, f.journal_offered + f.journal_danger)
    assert all(g >= floor for g, floor in zip(got, FLOORS[name], strict=True)), got


@pytest.mark.parametrize("name", list(SEEN))
def test_every_greeting_of_every_seen_corpus_gets_the_menu(
    figures: dict[str, Figures], name: str
) -> None:
    # Round 4: ask3's held-aside half read 8/15 before bot/ask/small_talk.py (the closed lists
    # `greetings:` and `small_talk:`); every other seen part was already 100%. Round 5: ask4
    # 26/32 and ask5/tune 12/16 before more greetings, sign-offs, thanks in other languages,
    # drawn-out letters and reactions (emoji only) were listed or read. Round 5b: ask5/holdout
    # 14/15 ("ok brill thats me done": sign-offs of that kind listed). Round 5c: ask6 28/30
    # ("aye hello", a grandchild set the bot up and "how does it work": listed).
    f = figures[name]
    assert f.greeting_right == f.greeting_items, f.misses


HOLDOUT = ROOT / "tests" / "corpus" / "ask2" / "holdout.yaml"
# Measured once, when round 2 was final (first, among, nothing fits, journal offered + danger)
HOLDOUT_MEASURED = (100, 121, 25, 22 + 12)
# Danger round 4 (issue 11) reads three dated records ("Sunday, at church, he sat two rows behind
# me") and "he just rang from his work number" as calm (records, not danger now) and one more
# ("he liked 40 of my old photos between midnight and 1am") as danger: one fewer journal item of
# the held-aside half is caught by a danger answer (34 -> 33). The router's own figures are as
# measured.
HOLDOUT_FLOOR = (*HOLDOUT_MEASURED[:3], HOLDOUT_MEASURED[3] - 1)


@pytest.fixture(scope="module")
def holdout(router: Router) -> Figures:
    danger = DangerDetector.from_content(ROOT / "content")
    items = yaml.safe_load(HOLDOUT.read_text(encoding="utf-8"))
    figures = score(router, read_all(router, items, danger.is_danger))
    show(f"ask2 held-aside half ({len(items)} items)", figures)
    return figures


def test_the_held_aside_half_holds_what_was_measured(holdout: Figures) -> None:
    f = holdout
    got = (f.topic_first, f.topic_among, f.nothing_right, f.journal_offered + f.journal_danger)
    assert all(g >= floor for g, floor in zip(got, HOLDOUT_FLOOR, strict=True)), got
