"""Ranking the advice screens (and the topics the advice does not cover) for a typed message.

Each screen that may answer (those listed in content/ask_like.yaml) is a group of short texts:
the sentences of the screen itself and the phrases people use for it. Each topic the advice does
not cover (`not_covered:` court orders, housing, custody, therapy...) is a group too, named
"!not_covered/<topic>", ranked like the screens: a message nearer a topic the advice does not
cover than any screen gets the honest answer (bot/ask/router.py), not a loosely similar screen.

A message is scored against every text with TF-IDF twice, and the two cosines blended
(WORD_WEIGHT):
- character n-grams within words (3 to 5 letters), so "harrasment", "passwrd" and "stalkin"
  still share most of their n-grams with the right words;
- whole words and word pairs, so "court" is not near "contact" and "family court" is a thing.
A group's similarity is its best text's; its score blends that with the topic model's
probability of its topic (bot/ask/model.py, MODEL_WEIGHT). Words are normalised first by the danger
detector's own reader (`danger_words`: case, apostrophes, "dont" -> "do not", "u" -> "you"...),
so the two read a message the same way; function words are then dropped.

The fit (vocabulary, idf, the texts' vectors, the model's weights) is scikit-learn's, done at
build time and shipped in bot/ask/index.json (bot/ask/index.py): the running bot needs numpy
only. Cost per message:
its n-grams looked up, one product with their rows of each dense n-gram x text matrix; figures
in docs/ask.md (bench/bench_ask.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from bot.ask import index as ask_index
from bot.ask.index import Analyser, Space, load_or_fit, unit_vector
from bot.ask.model import MODEL_WEIGHT, NOT_COVERED, Model, Vector, corpus_examples
from bot.engine.danger import DangerDetector

NGRAMS = (3, 5)  # character n-grams within words
WORD_WEIGHT = 0.2  # share of the word (and word pair) cosine in a text's score; set on the corpus

# Words so common in questions that they say nothing about the topic. Dropped before n-grams,
# else "how do i ... " makes every "how do i" phrase look alike.
STOP_WORDS = frozenset(
    "a an the i me my mine you your he him his she her they them their it its we our us "
    "is are am was were be been being do does did doing have has had having "
    "how what wat when where why who which whats should shud could would will can may might "
    "must shall to of in on at for from with by about as into if or and but so then than "
    "this that these those there here just really very any some all not no yes ok "
    "get got go going want need think without also even like one only still again "
    "anything something everything anyone thing things stuff way lot bit because cos".split()
)


Words = Callable[[str], list[str]]  # a normaliser: a message -> its plain lower-case words


def plain_words(text: str) -> list[str]:
    """Lower-case words, for content that has no danger grammar (tests' mini projects)."""
    return text.casefold().replace("’", "'").replace("'", "").split()


def danger_words(detector: DangerDetector) -> Words:
    """The danger detector's own reading of a message (its grammar's reader: case, apostrophes,
    contractions and text-speak written out, letters typed apart joined), without its typo
    correction, which aims at danger words, not advice words. The one normaliser of bot.ask."""
    grammar = detector.grammar
    if grammar is None:
        return plain_words
    reader = grammar.reader

    def words(text: str) -> list[str]:
        return [word for part in reader.parts(text, correct=False) for word in part]

    return words


def topic_of(group: str) -> str:
    """The topic a group belongs to, as the model names it: its flow, or NOT_COVERED."""
    return NOT_COVERED if group.startswith(NOT_COVERED) else group.partition("/")[0]


# "know" points to "you know who it is" (know_who); negated it says the opposite ("a number i
# do not know", "i do not know if this is stalking"): dropped after these (round 4; 10 of the 12
# seen items with a negated "know" are another topic or the journal).
NEGATIONS = frozenset({"not", "never", "dont", "didnt", "doesnt"})


def content_words(text: str, words: Words) -> str:
    """The words that carry the topic, as one string for the vectorisers."""
    return kept_words(words(text))


def kept_words(read: list[str]) -> str:
    """`content_words` of a message already read into words."""
    return " ".join(
        w
        for n, w in enumerate(read)
        if w not in STOP_WORDS and not (w == "know" and n and read[n - 1] in NEGATIONS)
    )


def word_grams(kept: str) -> list[str]:
    """Words and neighbouring word pairs of content words (the word vectoriser's analyser)."""
    tokens = kept.split()
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]


def char_grams(kept: str) -> list[str]:
    """As sklearn's `char_wb`: every n-gram of each space-padded word; a short word once."""
    grams: list[str] = []
    for word in kept.split():
        padded = f" {word} "
        for n in range(NGRAMS[0], NGRAMS[1] + 1):
            grams.extend(padded[start : start + n] for start in range(max(1, len(padded) - n + 1)))
            if len(padded) <= n:
                break
    return grams


@dataclass(frozen=True, slots=True)
class Screen:
    """One advice screen that can answer: its flow and step, and its title for a button."""

    flow: str
    step: str

    @property
    def key(self) -> str:
        return f"{self.flow}/{self.step}"


class AskLike:
    """content/ask_like.yaml, read and checked."""

    __slots__ = ("screens", "not_covered", "greetings", "small_talk", "incident", "path")

    def __init__(
        self,
        screens: dict[str, list[str]],
        not_covered: dict[str, list[str]],
        greetings: list[str],
        incident: dict[str, list[str]],
        path: Path | None = None,
        small_talk: list[str] | None = None,
    ) -> None:
        self.path = path
        self.screens = screens
        self.not_covered = not_covered
        self.greetings = greetings
        self.small_talk = small_talk or []
        self.incident = incident

    @classmethod
    def from_file(cls, path: Path) -> AskLike:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        not_covered = raw.get("not_covered") or {}
        if isinstance(not_covered, list):  # one unnamed topic (the first session's form)
            not_covered = {"other": not_covered}
        return cls(
            _phrase_lists(raw.get("screens")),
            _phrase_lists(not_covered),
            [str(p) for p in raw.get("greetings", [])],
            _phrase_lists(raw.get("incident")),
            path,
            [str(p) for p in raw.get("small_talk", [])],
        )


def _phrase_lists(raw: dict | None) -> dict[str, list[str]]:
    return {str(k): [str(p) for p in v or []] for k, v in (raw or {}).items()}


class _Space:
    """One fitted space (bot/ask/index.py) with a fast `similarities` for a message.

    The per-message side is done here, not by scikit-learn's `transform` (its input checks alone
    cost ~0.5 ms a call, and importing it ~1.3 s a process). Same grams, weights and norm
    (tests/test_ask_index.py checks they agree with `transform`). For char n-grams, the columns
    of every word of the content are worked out once at start-up (a message's own words are
    never kept: an unknown word, a typo, is cut into n-grams each time)."""

    __slots__ = ("analyse", "columns", "idf", "dense_t", "known")

    def __init__(
        self, fitted: Space, texts: list[str], analyse: Analyser, per_word: bool = False
    ) -> None:
        self.analyse = analyse
        self.columns = fitted.columns
        self.idf = fitted.idf
        self.dense_t = fitted.dense_t
        self.known: dict[str, list[int]] = {}
        if per_word:
            for word in {w for text in texts for w in text.split()}:
                self.known[word] = self._columns_of(word)

    def _columns_of(self, kept: str) -> list[int]:
        columns = self.columns
        return [c for c in map(columns.get, self.analyse(kept)) if c is not None]

    def vector(self, kept: str) -> Vector:
        """The message's unit TF-IDF vector in this space (as `Space.vector`, faster)."""
        if self.known:
            found = [c for w in kept.split() for c in (self.known.get(w) or self._columns_of(w))]
        else:
            found = self._columns_of(kept)
        return unit_vector(found, self.idf)

    def similarities(self, vector: Vector) -> np.ndarray:
        """Cosine similarity of the message with every text (the texts' rows are unit length)."""
        index, weights = vector
        if not len(index):
            return np.zeros(self.dense_t.shape[1], dtype=np.float32)
        return weights @ self.dense_t[index]


class _Sparse:
    """Both spaces' texts kept as runs of (text, value) per gram, the char grams then the word
    grams, the texts in group order and the values weighted as they are blended: per message one
    gather and one sum (`np.bincount`) give every text's score. Why: the grams x texts matrices
    are ~99% zeros, and gathering a message's ~100 rows of them as dense rows copied ~0.5 MB per
    message (round 5b)."""

    __slots__ = ("offset", "starts", "texts", "values", "width")

    def __init__(self, chars: np.ndarray, words: np.ndarray, order: np.ndarray) -> None:
        position = np.empty_like(order)
        position[order] = np.arange(order.shape[0])
        self.offset = chars.shape[0]  # the word grams' rows come after the char grams'
        rows, texts, values = [], [], []
        for matrix, weight, offset in ((chars, 1.0 - WORD_WEIGHT, 0), (words, WORD_WEIGHT, 1)):
            row, column = np.nonzero(matrix)  # row-major: each gram's entries are one run
            rows.append(row + offset * self.offset)
            texts.append(position[column])
            values.append(matrix[row, column] * np.float32(weight))
        self.texts = np.concatenate(texts)
        self.values = np.concatenate(values)
        grams = self.offset + words.shape[0]
        self.starts = np.searchsorted(np.concatenate(rows), np.arange(grams + 1))
        self.width = chars.shape[1]

    def similarities(self, chars: Vector, words: Vector) -> np.ndarray:
        """The blended similarity of the message with every text, in group order."""
        index = np.concatenate([chars[0], words[0] + self.offset])
        weights = np.concatenate([chars[1], words[1]])
        first = self.starts[index]
        lengths = self.starts[index + 1] - first
        runs = np.repeat(first - np.cumsum(lengths) + lengths, lengths)
        at = runs + np.arange(runs.shape[0])
        spread = self.values[at] * np.repeat(weights, lengths)
        return np.bincount(self.texts[at], weights=spread, minlength=self.width)


class Ranker:
    """Scores every answering screen and every not-covered topic for a message."""

    def __init__(
        self, groups: Mapping[str, Iterable[str]], words: Words, index_file: Path | None = None
    ) -> None:
        self._words = words
        texts: list[str] = []
        owners: list[int] = []
        self.groups = list(groups)
        for owner, name in enumerate(self.groups):
            for text in groups[name]:
                kept = content_words(text, words)
                if kept:
                    texts.append(kept)
                    owners.append(owner)
        self._texts = texts
        self._owners = owners
        labels = [topic_of(self.groups[owner]) for owner in owners]
        self.fitted = load_or_fit(
            texts,
            labels,
            NGRAMS,
            (char_grams, word_grams),
            index_file or ask_index.INDEX_FILE,
            lambda: corpus_examples(lambda text: content_words(text, words)),
        )
        self.use_model(self.fitted.model)
        self._chars = _Space(self.fitted.chars, texts, char_grams, per_word=True)
        self._words_space = _Space(self.fitted.words, texts, word_grams)
        order = np.argsort(np.asarray(owners), kind="stable")
        self._order = order
        owners_sorted = np.asarray(owners)[order]
        self._starts = np.flatnonzero(np.r_[True, owners_sorted[1:] != owners_sorted[:-1]])
        self._group_of_start = owners_sorted[self._starts]
        self._start_names = [self.groups[g] for g in self._group_of_start.tolist()]
        self._sparse = _Sparse(self.fitted.chars.dense_t, self.fitted.words.dense_t, order)

    def rank(self, text: str, read: list[str] | None = None) -> list[tuple[str, float]]:
        """Every group with its best text's similarity (0 to 1), best first. `read`: the
        message's words if already normalised (saves reading it twice)."""
        words = read if read is not None else self._words(text)
        kept = kept_words(words)
        if not kept:
            return []
        chars, words_vector = self._chars.vector(kept), self._words_space.vector(kept)
        sims = self._sparse.similarities(chars, words_vector)  # already in group order
        best = np.maximum.reduceat(sims, self._starts)
        model = self.fitted.model
        if model is not None:
            probabilities = np.append(model.probabilities(chars, words_vector), 0.0)
            topic = probabilities[self._topic_column[self._group_of_start]]
            best = (1.0 - MODEL_WEIGHT) * best + MODEL_WEIGHT * topic
        top = np.argsort(-best, kind="stable")
        names = self._start_names  # (plain lists: numpy scalars one by one cost ~40 us here)
        return list(zip([names[i] for i in top.tolist()], best[top].tolist(), strict=True))

    def use_model(self, model: Model | None) -> None:
        """Rank with this topic model (the index's; another only to measure a corpus left out
        of its training)."""
        self.fitted.model = model
        # the model's column of each group's topic in its probabilities (-1: none, scores 0)
        self._topic_column = np.array(
            [
                model.classes.index(topic_of(g)) if model and topic_of(g) in model.classes else -1
                for g in self.groups
            ]
        )

    @property
    def texts(self) -> list[str]:
        """The texts as ranked (content words only), in the index's order."""
        return self._texts

    @property
    def owners(self) -> list[int]:
        """The group (index into `groups`) of each text."""
        return self._owners

    @property
    def words(self) -> Words:
        """The normaliser the texts were read with."""
        return self._words

    def explain(self, text: str, group: str) -> str:
        """The text of `group` that matched `text` best (for reviewers)."""
        kept = content_words(text, self._words)
        sims = self._similarities(kept) if kept else np.zeros(len(self._texts))
        index = self.groups.index(group)
        mine = [i for i, owner in enumerate(self._owners) if owner == index]
        return self._texts[max(mine, key=lambda i: sims[i])] if mine else ""

    def _similarities(self, kept: str) -> np.ndarray:
        return self._blend(self._chars.vector(kept), self._words_space.vector(kept))

    def _blend(self, chars: Vector, words: Vector) -> np.ndarray:
        char_sims = self._chars.similarities(chars)
        return (1.0 - WORD_WEIGHT) * char_sims + WORD_WEIGHT * self._words_space.similarities(words)
