"""`safety-bot danger explain "TEXT"`: why a message is or is not read as danger.

For content reviewers: it prints the message as the bot read it (parts, spellings, typos put
right), every rule of content/danger_grammar.yaml that matched, and the guard that stopped each.
`safety-bot danger lexicon` makes bot/engine/danger/lexicon.json again after the grammar changed.
`safety-bot danger train` trains the classifier again after content/danger_examples.yaml or the
training list (content/danger_training.yaml) changed; `safety-bot danger cv` judges each writer's
messages with a classifier trained without them (`--writer danger3` judges one writer only,
`--trained-on danger danger2` trains on those writers only: a quick check). `safety-bot danger
check FILE.yaml` reads a list of {text, label: danger|calm} and prints recall and false alarms,
with each miss explained (to try a change to the grammar on examples).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bot.engine.danger import GRAMMAR_FILE, DangerDetector


def add_danger_command(
    sub: Any, common: Callable[[argparse.ArgumentParser], None]
) -> dict[str, Callable[[argparse.Namespace, Any], int]]:
    danger = sub.add_parser("danger", help="explain or check danger detection (for reviewers)")
    common(danger)
    actions = danger.add_subparsers(dest="danger_command", metavar="ACTION", required=True)
    explain = actions.add_parser("explain", help="why a message is or is not read as danger")
    explain.add_argument("text", nargs="+", help="the message (quote it)")
    check = actions.add_parser("check", help="recall and false alarms on a YAML list of messages")
    check.add_argument("file", type=Path, help="a YAML list of {text, label: danger|calm}")
    actions.add_parser("lexicon", help="make the word forms file again after editing the grammar")
    actions.add_parser("train", help="train the classifier again after editing the examples")
    cv = actions.add_parser("cv", help="judge each writer with a classifier trained without them")
    cv.add_argument("--writer", nargs="+", default=[], help="judge these writers only")
    cv.add_argument("--trained-on", nargs="+", default=[], help="train on these writers only")
    return {"danger": _run}


def _run(args: argparse.Namespace, settings: Any) -> int:
    if args.danger_command == "lexicon":
        from bot.engine.danger.lexicon import rebuild

        print(rebuild(settings.content_dir / GRAMMAR_FILE))
        return 0
    if args.danger_command in ("train", "cv"):
        # scikit-learn is needed here only (pip install -e ".[train]"); the detector never imports it
        from bot.engine.danger import training

        if args.danger_command == "train":
            print(training.rebuild(settings.content_dir))
        else:
            lines = training.cross_validate(settings.content_dir, args.writer, args.trained_on)
            print("\n".join(lines))
        return 0
    detector = DangerDetector.from_content(settings.content_dir)
    if detector.grammar is None:
        print(f"safety-bot: no danger grammar in {settings.content_dir}")
        return 2
    if args.danger_command == "explain":
        print(detector.explain(" ".join(args.text)))
        return 0
    items = yaml.safe_load(args.file.read_text(encoding="utf-8")) or []
    danger = [i["text"] for i in items if i["label"] == "danger"]
    calm = [i["text"] for i in items if i["label"] == "calm"]
    missed = [t for t in danger if not detector.is_danger(t)]
    alarms = [t for t in calm if detector.is_danger(t)]
    for title, texts in (("MISSED", missed), ("FALSE ALARM", alarms)):
        for text in texts:
            print(f"{title}:\n{detector.explain(text)}\n")
    print(figures(len(danger), len(missed), len(calm), len(alarms)))
    return 0 if not missed else 1


def figures(n_danger: int, n_missed: int, n_calm: int, n_alarms: int) -> str:
    recall = (n_danger - n_missed) / n_danger if n_danger else 1.0
    alarm_rate = n_alarms / n_calm if n_calm else 0.0
    return (
        f"recall {recall:.1%} ({n_danger - n_missed}/{n_danger}), "
        f"false alarms {alarm_rate:.1%} ({n_alarms}/{n_calm})"
    )
