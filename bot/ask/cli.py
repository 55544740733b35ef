"""`safety-bot ask "TEXT"`: how a typed message would be answered, for content reviewers.

Prints what the bot would do (the menu, one advice screen, "This might help" with buttons, the
journal offer, or "not covered"), then the ranking: each screen's score and the phrase of
content/ask_like.yaml (or sentence of the screen) that matched best. Reads only the flows and
content; needs no database or key.
"""

from __future__ import annotations

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
    }[routing.kind]
    print(f"answer: {answer}")
    print(f"thresholds: {router.thresholds}")
    print(f"incident score: {router.cues.score(text, router.words(text)):+.2f}")
    for group, score in routing.ranking[:SHOWN]:
        print(f"  {score:.3f}  {group:38} {router.ranker.explain(text, group)!r}")
