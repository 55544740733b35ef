"""`safety-bot ask "TEXT"`: how a typed message would be answered, for content reviewers.

Prints what the bot would do (the menu, one advice screen, "This might help" with buttons, the
journal offer, or "not covered"), then the ranking: each screen's score and the phrase of
content/ask_like.yaml (or sentence of the screen) that matched best. Reads only the flows and
content; needs no database or key. `safety-bot ask build` rewrites the shipped index
(bot/ask/index.py) from the content.
"""

from __future__ import annotations

from pathlib import Path

from bot.ask import index
from bot.ask.index import Fitted
from bot.ask.ranker import NGRAMS, char_grams, word_grams
from bot.ask.router import Kind, Router
from bot.flows.loader import Project

SHOWN = 8


def print_ranking(project: Project, router: Router, text: str, danger: bool) -> None:
    routing = router.route(text)
    if danger:
        print("danger: the emergency advice comes first (then the rest as below)")
    titles = [f"{s.key} ({router.title(project, s)})" for s in routing.screens]
    answer = {
        Kind.GREETING: "the menu (a greeting, thanks or 'menu')",
        Kind.ADVICE: f"the screen {titles[0] if titles else ''}",
        Kind.CHOICES: "not sure: 'This might help' with " + "; ".join(titles),
        Kind.NOT_COVERED: "nothing in the advice fits: say so; helpline, 101, menu",
        Kind.INCIDENT: "an incident: the journal offer first, then " + "; ".join(titles),
        Kind.JOURNAL: "the journal offer (no advice fits and it is not a question)",
        Kind.VAGUE: "the menu (a question with no topic word)",
    }[routing.kind]
    if routing.diary_second:
        answer += "; the diary offer second (a situation, not one event)"
    print(f"answer: {answer}")
    print(f"thresholds: {router.thresholds}")
    print(f"incident score: {router.cues.score(text, router.words(text)):+.2f}")
    for group, score in routing.ranking[:SHOWN]:
        print(f"  {score:.3f}  {group:38} {router.ranker.explain(text, group)!r}")


def build_index(router: Router, target: Path | None = None) -> str:
    """`safety-bot ask build`: fit the TF-IDF spaces on this content (scikit-learn) and write
    the index the bot reads at start-up (bot/ask/index.py)."""
    target = target or index.INDEX_FILE
    texts = router.ranker.texts
    fitted = Fitted.fit(texts, NGRAMS, char_grams, word_grams)
    fitted.write(target)
    return (
        f"{target}: {len(fitted.chars.columns)} char n-grams and {len(fitted.words.columns)} "
        f"words and pairs over {len(texts)} texts"
    )
