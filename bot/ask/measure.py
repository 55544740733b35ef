"""Scoring the router against a labelled corpus (tests/corpus/ask/), for tuning and the test.

An item is {text, label, also?}. What counts as right, per label:
- a topic label (calls, cyber, ...): "first" if the one screen answered, or the first button,
  is in that topic's flow; "among" if it is any of the offered screens;
- nothing_fits: the "not covered" answer (a topic item judged not covered is "among" when its
  topic is one of the nearest offered under that answer);
- journal: the journal offer first (an incident); a danger answer also counts, reported apart
  (some incidents are frightening events happening now, which the danger detector rightly takes);
- greeting: the menu (a greeting, or a question with no topic word: both get the menu).
`also` lists other labels that are acceptable for that item.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import yaml

from bot.ask.model import LABEL_FLOWS
from bot.ask.router import Kind, Reading, Router, Routing, Thresholds

KIND_LABELS = {Kind.NOT_COVERED: "nothing_fits", Kind.GREETING: "greeting", Kind.VAGUE: "greeting"}


@dataclass(slots=True)
class Figures:
    topic_items: int = 0
    topic_first: int = 0
    topic_among: int = 0
    nothing_items: int = 0
    nothing_right: int = 0
    journal_items: int = 0
    journal_offered: int = 0
    journal_danger: int = 0
    greeting_items: int = 0
    greeting_right: int = 0
    misses: list[str] = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)

    def ratio(self, right: int, items: int) -> float:
        return right / items if items else 1.0

    @property
    def first(self) -> float:
        return self.ratio(self.topic_first, self.topic_items)

    @property
    def among(self) -> float:
        return self.ratio(self.topic_among, self.topic_items)

    @property
    def nothing(self) -> float:
        return self.ratio(self.nothing_right, self.nothing_items)

    @property
    def journal(self) -> float:
        return self.ratio(self.journal_offered + self.journal_danger, self.journal_items)

    @property
    def greeting(self) -> float:
        return self.ratio(self.greeting_right, self.greeting_items)

    def lines(self) -> list[str]:
        return [
            f"right topic first: {self.topic_first}/{self.topic_items} = {self.first:.1%}",
            f"right topic among the buttons: {self.topic_among}/{self.topic_items} = "
            f"{self.among:.1%}",
            f"nothing fits recognised: {self.nothing_right}/{self.nothing_items} = "
            f"{self.nothing:.1%}",
            f"incidents offered to the journal first: {self.journal_offered}"
            f" + {self.journal_danger} danger answer / {self.journal_items} = {self.journal:.1%}",
            f"greetings get the menu: {self.greeting_right}/{self.greeting_items} = "
            f"{self.greeting:.1%}",
        ]


def measure(
    router: Router,
    items: Iterable[dict],
    is_danger: Callable[[str], bool] = lambda text: False,
) -> Figures:
    """The router's figures on `items`, under its own thresholds."""
    return score(router, read_all(router, items, is_danger))


@dataclass(slots=True)
class Read:
    """One corpus item, read once (the ranking does not depend on the thresholds)."""

    item: dict
    danger: bool
    reading: Reading
    wanted: frozenset[str] = field(init=False)  # what may be offered first: flows, kinds

    def __post_init__(self) -> None:
        ok = {str(self.item["label"]), *self.item.get("also", [])}
        journal = {"!journal"} if "journal" in ok else set()
        self.wanted = frozenset({LABEL_FLOWS.get(x, x) for x in ok} | journal)


def read_all(router: Router, items: Iterable[dict], is_danger: Callable[[str], bool]) -> list[Read]:
    return [Read(i, is_danger(str(i["text"])), router.read(str(i["text"]))) for i in items]


def score(
    router: Router, reads: Iterable[Read], thresholds: Thresholds | None = None, detail: bool = True
) -> Figures:
    """The figures; with `detail`, also every miss and the count of each kind of answer."""
    figures = Figures()
    for read in reads:
        _count(figures, read, router.decide(read.reading, thresholds), detail)
    return figures


def _count(figures: Figures, read: Read, routing: Routing, detail: bool = True) -> None:
    label = str(read.item["label"])
    danger = read.danger
    if detail:
        figures.kinds[(label, "danger" if danger else routing.kind.value)] += 1
    right_first, among = _verdict(read, routing)
    if label in LABEL_FLOWS:
        figures.topic_items += 1
        figures.topic_first += right_first
        figures.topic_among += among
    elif label == "nothing_fits":
        figures.nothing_items += 1
        figures.nothing_right += right_first
    elif label == "journal":
        figures.journal_items += 1
        if danger:
            figures.journal_danger += 1
        else:
            figures.journal_offered += right_first
    elif label == "greeting":
        figures.greeting_items += 1
        figures.greeting_right += right_first
    if detail and not right_first:
        text = str(read.item["text"])
        topics = [s.flow for s in routing.screens]
        figures.misses.append(f"{label:15} -> {routing.kind.value:11} {topics} | {text}")


def _verdict(read: Read, routing: Routing) -> tuple[bool, bool]:
    """Whether what was offered first is right, and whether anything offered is. An emergency
    or journal item the danger detector took is right: the emergency answer came first anyway."""
    topics = [s.flow for s in routing.screens]
    if routing.kind in (Kind.ADVICE, Kind.CHOICES):
        offered = list(topics)
    elif routing.kind == Kind.INCIDENT:
        offered = ["!journal", *topics]
    elif routing.kind == Kind.NOT_COVERED:
        offered = ["nothing_fits", *topics]  # the nearest advice under the honest answer
    else:
        offered = [KIND_LABELS.get(routing.kind, "!journal")]
    wanted = read.wanted
    if read.danger and str(read.item["label"]) in ("emergency", "journal"):
        return True, True
    return bool(offered) and offered[0] in wanted, any(o in wanted for o in offered)


# The grid the thresholds are chosen from (docs/ask.md).
GRID = {
    "nothing_below": (0.15, 0.2, 0.25, 0.3),
    "not_covered_margin": (-0.05, 0.0, 0.05, 0.1),
    "not_covered_from": (0.2, 0.3, 0.4),
    "sure_at": (0.5, 0.6, 0.7, 0.8),
    "sure_margin": (0.05, 0.1, 0.15, 0.2, 0.3),
}


def objective(figures: Figures) -> float:
    """What the grid search maximises: the three figures the thresholds move, alike."""
    return figures.first + figures.among + figures.nothing


def candidates(router: Router) -> list[Thresholds]:
    """Every point of the grid, in the order the search tries them (the first best wins)."""
    names = list(GRID)
    return [
        replace(router.thresholds, **dict(zip(names, values, strict=True)))
        for values in itertools.product(*(GRID[n] for n in names))
    ]


# Only these fields of Figures move `objective`; the grid is searched on them alone.
OBJECTIVE_COUNTS = ("topic_first", "topic_among", "nothing_right")


class GridTable:
    """What each grid point makes of each read, worked out once: `objective` over any subset of
    the reads (a fold's training part) is then a sum of rows. Before (round 5) every fold
    decided its four fifths again under all 960 points, four times the decisions for the same
    choice. A read the grid cannot move (a greeting, an incident not told as a situation, no
    topic word: `Router.decide` reads none of GRID's thresholds there) is decided once."""

    __slots__ = ("candidates", "default", "counts", "items")

    def __init__(self, router: Router, reads: Sequence[Read]) -> None:
        self.candidates = candidates(router)
        self.default = router.thresholds
        # candidates x reads x OBJECTIVE_COUNTS; and per read, (topic items, nothing items)
        self.counts = np.zeros((len(self.candidates), len(reads), 3), dtype=np.int8)
        self.items = np.zeros((len(reads), 2), dtype=np.int64)
        for r, read in enumerate(reads):
            label = str(read.item["label"])
            topic, nothing = label in LABEL_FLOWS, label == "nothing_fits"
            self.items[r] = (topic, nothing)
            if not (topic or nothing):
                continue  # a journal or greeting item counts in no figure `objective` reads
            if _fixed(read.reading):
                self.counts[:, r] = _counts(read, router.decide(read.reading), topic)
                continue
            for c, candidate in enumerate(self.candidates):
                self.counts[c, r] = _counts(read, router.decide(read.reading, candidate), topic)

    def best(self, rows: np.ndarray | None = None) -> Thresholds:
        """The grid point `objective` rates highest on these reads (a mask; default all): the
        first of equals in grid order, as `best_thresholds` always chose."""
        counts = self.counts if rows is None else self.counts[:, rows]
        items = self.items if rows is None else self.items[rows]
        topic_items, nothing_items = (int(n) for n in items.sum(axis=0))
        best, best_value = self.default, -1.0
        for candidate, sums in zip(self.candidates, counts.sum(axis=1).tolist(), strict=True):
            figures = Figures(topic_items=topic_items, nothing_items=nothing_items)
            for name, total in zip(OBJECTIVE_COUNTS, sums, strict=True):
                setattr(figures, name, total)
            value = objective(figures)
            if value > best_value + 1e-9:
                best, best_value = candidate, value
        return best


def _fixed(reading: Reading) -> bool:
    """Whether `Router.decide` answers this reading without reading a threshold of GRID."""
    if reading.greeting or reading.empty:
        return True
    if reading.incident:
        return not reading.situation  # the journal offer; advice second from incident_advice_at
    return not reading.ranking  # vague or journal


def _counts(read: Read, routing: Routing, topic: bool) -> tuple[int, int, int]:
    """This read's share of OBJECTIVE_COUNTS under one routing (as `_count` adds it)."""
    right_first, among = _verdict(read, routing)
    return (right_first, among, 0) if topic else (0, 0, right_first)


def best_thresholds(router: Router, reads: Sequence[Read]) -> Thresholds:
    return GridTable(router, reads).best()


def cross_validate(
    router: Router, reads: Sequence[Read], folds: int = 5, seed: int = 15
) -> Figures:
    """Thresholds chosen on all folds but one, scored on that one, for each fold in turn: the
    figures summed over the held folds (an honest figure for the thresholds; not for the
    phrases, which were written after reading the same items)."""
    order = list(range(len(reads)))
    random.Random(seed).shuffle(order)
    fold_of = np.empty(len(reads), dtype=np.int64)
    for n, i in enumerate(order):
        fold_of[i] = n % folds
    table = GridTable(router, reads)
    total = Figures()
    for fold in range(folds):
        held = [reads[i] for n, i in enumerate(order) if n % folds == fold]
        _add(total, score(router, held, table.best(fold_of != fold)))
    return total


def _add(total: Figures, part: Figures) -> None:
    for name in (
        "topic_items", "topic_first", "topic_among", "nothing_items", "nothing_right",
        "journal_items", "journal_offered", "journal_danger", "greeting_items", "greeting_right",
    ):  # fmt: skip
        setattr(total, name, getattr(total, name) + getattr(part, name))
    total.misses.extend(part.misses)
    total.kinds.update(part.kinds)


def leave_corpus_out(
    router: Router,
    families: dict[str, Sequence[Path]],
    is_danger: Callable[[str], bool] = lambda text: False,
) -> dict[str, list[Read]]:
    """Each family of corpora (e.g. "ask2": its tune and holdout files) read by a router whose
    topic model was trained without it (on the content and the other families): the honest
    figure for the model, which `ask build` trains on every seen corpus. The ranking is the
    shipped one's again afterwards."""
    from bot.ask.cli import corpus_examples, train_model

    ranker = router.ranker
    shipped = ranker.fitted.model
    # each file read once (not once per family it trains): the same examples, in the same order
    examples = {p: corpus_examples(ranker, [p]) for ps in families.values() for p in ps}
    out: dict[str, list[Read]] = {}
    try:
        for name, paths in families.items():
            others = [p for other, ps in families.items() if other != name for p in ps]
            ranker.use_model(train_model(ranker, [e for p in others for e in examples[p]]))
            items = [i for p in paths for i in yaml.safe_load(p.read_text(encoding="utf-8"))]
            out[name] = read_all(router, items, is_danger)
    finally:
        ranker.use_model(shipped)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bot.ask.measure FILE.yaml...`: the figures of the router (the shipped content)
    on labelled files, e.g. a blind held-aside half, measured once."""
    import sys

    from bot.app import build_registry, load_checked_project
    from bot.engine.danger import DangerDetector
    from bot.settings import Settings

    settings = Settings(data_dir=Path("/nonexistent"))
    router = Router.for_project(
        load_checked_project(settings, build_registry()), settings.content_dir
    )
    if router is None:
        print("No ask_like.yaml: nothing to measure.")
        return 1
    danger = DangerDetector.from_content(settings.content_dir)
    for name in argv if argv is not None else sys.argv[1:]:
        items = yaml.safe_load(Path(name).read_text(encoding="utf-8"))
        figures = measure(router, items, danger.is_danger)
        print(f"{name} ({len(items)} items):")
        print("\n".join(f"  {line}" for line in figures.lines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
