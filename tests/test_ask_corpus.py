"""The router measured on the blind corpus (tests/corpus/ask/README.md): figures for both parts
printed (run with -s to see them), the issue's targets asserted on the held-aside part.

The tune part was used to write the general phrasings and set the thresholds; the holdout part was
opened once, after the router was final. Figures are recorded in docs/ask.md.

Measured once on the holdout (commit 8cce672), the router MISSED every target of issue 15:
right topic first 74/106 = 69.8% (target 80%), among the buttons 93/106 = 87.7% (95%), nothing
fits 14/25 = 56.0% (80%), incidents to the journal 41/45 = 91.1% (95%). It was not tuned on the
holdout afterwards. After main's new danger detector landed, the router reads messages with its
reader (as the issue asks) and the danger answers changed with it: first 73/106 = 68.9%, the rest
the same (journal: 36 offers + 5 danger answers). `test_held_aside_part_holds_what_was_measured` asserts what honestly holds
(so a change cannot make it worse unnoticed); `test_held_aside_part_meets_the_targets` states the
issue's targets and is an expected failure (strict: it fails the suite once they are met, so the
mark is then removed).
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

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus" / "ask"


@pytest.fixture(scope="module")
def figures() -> dict[str, Figures]:
    settings = Settings(data_dir=Path("/nonexistent"))
    project = load_checked_project(settings, build_registry())
    router = Router.for_project(project, settings.content_dir)
    assert router is not None
    danger = DangerDetector.from_content(settings.content_dir)
    out = {}
    for part in ("tune", "holdout"):
        items = yaml.safe_load((CORPUS / f"{part}.yaml").read_text(encoding="utf-8"))
        out[part] = measure(router, items, danger.is_danger)
        print(f"\n{part} ({len(items)} items):")
        print("\n".join(f"  {line}" for line in out[part].lines()))
    return out


def test_the_corpus_is_the_blind_one(figures: dict[str, Figures]) -> None:
    tune, holdout = figures["tune"], figures["holdout"]
    assert (tune.topic_items, tune.nothing_items, tune.journal_items) == (108, 25, 45)
    assert (holdout.topic_items, holdout.nothing_items, holdout.journal_items) == (106, 25, 45)


def test_held_aside_part_holds_what_was_measured(figures: dict[str, Figures]) -> None:
    holdout = figures["holdout"]
    assert holdout.topic_first >= 73
    assert holdout.topic_among >= 93
    assert holdout.nothing_right >= 14
    assert holdout.journal_offered + holdout.journal_danger >= 41
    assert holdout.greeting_right >= 5


@pytest.mark.xfail(
    strict=True,
    reason="issue 15 targets missed on the holdout: first 68.9% (80), among 87.7% (95), "
    "nothing fits 56.0% (80), journal 91.1% (95); see docs/ask.md",
)
def test_held_aside_part_meets_the_targets(figures: dict[str, Figures]) -> None:
    holdout = figures["holdout"]
    assert holdout.first >= 0.80
    assert holdout.among >= 0.95
    assert holdout.nothing >= 0.80
    assert holdout.journal >= 0.95
