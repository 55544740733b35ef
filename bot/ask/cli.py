"""`safety-bot ask "TEXT"`: how a typed message would be answered, for content reviewers.

Prints what the bot would do (the menu, one advice screen, "This might help" with buttons, the
journal offer, or "not covered"), then the ranking: each screen's score and the phrase of
content/ask_like.yaml (or sentence of the screen) that matched best. Reads only the flows and
content; needs no database or key. `safety-bot ask build` rewrites the shipped index
(bot/ask/index.py) from the content.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.ask import index
from bot.ask.index import Fitted
from bot.ask.model import Model
from bot.ask.model import corpus_examples as model_corpus_examples
from bot.ask.ranker import (
    NGRAMS,
    Ranker,
    char_grams,
    content_words,
    topic_of,
    word_grams,
)
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
        Kind.NOT_COVERED: "nothing in the advice fits: say so; helpline, 101, menu"
        + ("; the nearest: " + "; ".join(titles) if titles else ""),
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
    """`safety-bot ask build`: fit the TF-IDF spaces and the topic model on this content and
    the seen corpora (scikit-learn) and write the index the bot reads at start-up
    (bot/ask/index.py, bot/ask/model.py)."""
    target = target or index.INDEX_FILE
    ranker = router.ranker
    texts = ranker.texts
    labels = [topic_of(ranker.groups[owner]) for owner in ranker.owners]
    examples = corpus_examples(ranker)
    fitted = Fitted.fit(texts, labels, NGRAMS, (char_grams, word_grams), examples)
    fitted.write(target)
    return (
        f"{target}: {len(fitted.chars.columns)} char n-grams and {len(fitted.words.columns)} "
        f"words and pairs over {len(texts)} texts; topic model on them and {len(examples)} "
        f"labelled corpus items"
    )


def corpus_examples(ranker: Ranker, paths: Iterable[Path] | None = None) -> list[tuple[str, str]]:
    """The seen corpora's topic and nothing-fits items as the ranker reads them (model.py)."""
    return model_corpus_examples(lambda text: content_words(text, ranker.words), paths)


def train_model(ranker: Ranker, examples: Sequence[tuple[str, str]]) -> Model | None:
    """The topic model on the ranker's own texts and these examples, in its fitted spaces (as
    `ask build` makes it; for measuring with a corpus left out of the training)."""
    labels = [topic_of(ranker.groups[owner]) for owner in ranker.owners]
    training = [*zip(ranker.texts, labels, strict=True), *examples]
    fitted = ranker.fitted
    vectors = [
        (fitted.chars.vector(char_grams(t)), fitted.words.vector(word_grams(t)))
        for t, _ in training
    ]
    widths = (fitted.chars.dense_t.shape[0], fitted.words.dense_t.shape[0])
    return Model.train(widths, vectors, [label for _, label in training])
