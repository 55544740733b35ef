"""What a typed message is, once danger and the screen's own answers are ruled out.

In this order (issue 15):
1. a greeting, thanks or "menu": the whole message is made of content/ask_like.yaml
   `greetings` words -> the menu;
2. an incident described (bot/ask/incident.py) -> the journal offer first, the best advice second;
3. a question or a situation: the ranker (bot/ask/ranker.py) scores every answering screen:
   - "not covered" first, or nothing above NOTHING_BELOW while the message asks something ->
     say honestly that the advice does not cover it (helpline, 101, menu);
   - one screen clearly best (at least SURE_AT, and SURE_MARGIN above the next topic) -> it;
   - else up to three topics' best screens as buttons ("This might help"), and "Save this in my
     journal instead" last;
4. anything else (nothing above NOTHING_BELOW, not a question) -> the journal offer, as before.

The thresholds were set by measurement on the tune part of the blind corpus (docs/ask.md).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from bot.ask.incident import IncidentCues
from bot.ask.ranker import NOT_COVERED, AskLike, Ranker, Screen, Words, danger_words
from bot.content.catalog import Catalog
from bot.engine.danger import DangerDetector
from bot.flows.loader import Project
from bot.flows.problems import Problem, ProjectInvalid

NOTHING_BELOW = 0.25  # best screen's similarity below this: nothing in the advice fits
INCIDENT_ADVICE_AT = 0.25  # advice offered second under an incident's journal offer from this
SURE_AT = 0.65  # the best screen is the answer if it scores at least this...
SURE_MARGIN = 0.15  # ... and this much more than the best screen of any other topic
MAX_CHOICES = 3
ASK_LIKE_FILE = "ask_like.yaml"


class Kind(enum.Enum):
    GREETING = "greeting"
    ADVICE = "advice"  # one screen answers
    CHOICES = "choices"  # not sure: up to three screens offered
    NOT_COVERED = "not_covered"  # nothing in the advice fits
    INCIDENT = "incident"  # journal offer first, advice second
    JOURNAL = "journal"  # journal offer only (as before this router)


@dataclass(slots=True)
class Routing:
    kind: Kind
    screens: list[Screen] = field(default_factory=list)  # best first, one per topic
    ranking: list[tuple[str, float]] = field(default_factory=list)  # every group, for reviewers


class Router:
    """Built once from the project's flows and content; `route` is called per message."""

    def __init__(self, project: Project, ask_like: AskLike, words: Words) -> None:
        self.words = words
        groups: dict[str, list[str]] = {}
        self.screens: dict[str, Screen] = {}
        for key, phrases in ask_like.screens.items():
            flow_id, _, step_id = key.partition("/")
            flow = project.flows.get(flow_id)
            step = flow.steps.get(step_id) if flow else None
            if step is None or not step.say:
                raise ProjectInvalid([_problem(ask_like.path, key, "is not an advice flow/step")])
            self.screens[key] = Screen(flow_id, step_id)
            groups[key] = [*_sentences(project.catalog, step.say), *phrases]
        groups[NOT_COVERED] = list(ask_like.not_covered)
        self.ranker = Ranker(groups, words)
        self.greeting_words = frozenset(w for g in ask_like.greetings for w in words(g))
        self.cues = IncidentCues(ask_like.incident)

    @classmethod
    def for_project(
        cls, project: Project, content_dir: Path, words: Words | None = None
    ) -> Router | None:
        """The router for this content, or None if it has no ask_like.yaml (typed text then
        goes to the journal's offer, as before). `words`: the danger detector's normaliser
        (`danger_words`), read from the same content if not given."""
        path = content_dir / ASK_LIKE_FILE
        if words is None and path.exists():
            words = danger_words(DangerDetector.from_content(content_dir))
        return cls(project, AskLike.from_file(path), words) if path.exists() else None

    def route(self, text: str) -> Routing:
        words = self.words(text)
        if not words:
            return Routing(Kind.JOURNAL)
        if all(w in self.greeting_words for w in words):
            return Routing(Kind.GREETING)
        ranking = self.ranker.rank(text)
        topics = self._best_per_topic(ranking)
        if self.cues.is_incident(text, words):
            near = self._best_per_topic(ranking, INCIDENT_ADVICE_AT)[:2]
            return Routing(Kind.INCIDENT, [s for s, _ in near], ranking)
        asking = self.cues.is_asking(text, words)
        top_group, top_score = ranking[0] if ranking else (NOT_COVERED, 0.0)
        if top_group == NOT_COVERED or not topics or topics[0][1] < NOTHING_BELOW:
            kind = Kind.NOT_COVERED if asking or top_group == NOT_COVERED else Kind.JOURNAL
            return Routing(kind, [], ranking)
        best, score = topics[0]
        runner_up = topics[1][1] if len(topics) > 1 else 0.0
        if score >= SURE_AT and score - runner_up >= SURE_MARGIN:
            return Routing(Kind.ADVICE, [best], ranking)
        return Routing(Kind.CHOICES, [s for s, _ in topics[:MAX_CHOICES]], ranking)

    def _best_per_topic(
        self, ranking: list[tuple[str, float]], floor: float = NOTHING_BELOW
    ) -> list[tuple[Screen, float]]:
        """The best screen of each flow from `floor` up, best first ("not covered" left out)."""
        seen: set[str] = set()
        best: list[tuple[Screen, float]] = []
        for group, score in ranking:
            if score < floor:
                break
            screen = self.screens.get(group)
            if screen is None or screen.flow in seen:
                continue
            seen.add(screen.flow)
            best.append((screen, score))
        return best


def _problem(path: Path | None, key: str, message: str) -> Problem:
    """A problem in ask_like.yaml, at the line that names `key`."""
    line = 1
    if path is not None:
        lines = path.read_text(encoding="utf-8").splitlines()
        line = next((n for n, text in enumerate(lines, 1) if f"{key}:" in text), 1)
    return Problem(path or Path(ASK_LIKE_FILE), line, f"{key} {message}")


def _sentences(catalog: Catalog, keys: list[str]) -> list[str]:
    """A screen's own words, sentence by sentence (a short query matches a sentence best)."""
    out: list[str] = []
    for key in keys:
        if key.startswith("common."):
            continue  # "to delete this chat, type /clear" is on many screens and about none
        for line in catalog.text(key).replace(". ", ".\n").splitlines():
            if line.strip():
                out.append(line.strip())
    return out
