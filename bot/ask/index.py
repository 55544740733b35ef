"""The ranker's fitted TF-IDF spaces, built once and shipped, so the bot never imports scikit-learn.

Why: importing scikit-learn cost ~1.3 s of CPU in every bot and console process (and in every
test that starts one), for a fit that depends only on content/. So the fit (scikit-learn's
TfidfVectorizer: vocabulary, idf, the texts' unit vectors) is done at build time and written to
index.json beside this module, as the danger classifier's weights are (classifier.json). The bot
reads it (~0.1 s, numpy only) and computes a message's vector itself (bot/ask/ranker.py
`Space.similarities`; tests/test_ask_index.py checks it equals scikit-learn's `transform`).

The file carries a digest of the texts as read (each screen's sentences and ask_like phrases
after the danger reader's normalisation and the stop words, and the n-gram sizes), so it is
current exactly when it was fitted on the same texts. When it is not (a force edited
ask_like.yaml, or the reader changed), start-up still answers right: it fits with scikit-learn
then and logs that it did, naming no text; `safety-bot ask build` rewrites the file, and
tests/test_ask_index.py fails until it is rewritten.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.ask.model import Model, Vector

INDEX_FILE = Path(__file__).with_name("index.json")
FORMAT = 1
DIGITS = 7  # weights are in [0, 1]: rounding at 1e-7 moves no score by more than ~1e-6

log = logging.getLogger(__name__)

Analyser = Callable[[str], list[str]]


class Space:
    """One fitted TF-IDF space: gram -> column, idf per column, and the texts' unit vectors kept
    dense as a grams x texts matrix (one product per message with the rows of its grams)."""

    __slots__ = ("columns", "idf", "dense_t")

    def __init__(self, columns: dict[str, int], idf: np.ndarray, dense_t: np.ndarray) -> None:
        self.columns = columns
        self.idf = idf
        self.dense_t = dense_t

    def vector(self, grams: Sequence[str]) -> Vector:
        """A message's unit TF-IDF vector (sublinear tf, as fitted) from its grams."""
        columns = self.columns
        return unit_vector([c for c in map(columns.get, grams) if c is not None], self.idf)

    @classmethod
    def fit(cls, texts: Sequence[str], analyse: Analyser) -> Space:
        """scikit-learn's fit (imported here only: build time, or start-up on stale content)."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectoriser = TfidfVectorizer(analyzer=analyse, sublinear_tf=True, dtype=np.float32)
        matrix = vectoriser.fit_transform(list(texts))
        return cls(
            dict(vectoriser.vocabulary_),
            vectoriser.idf_.astype(np.float32),
            np.ascontiguousarray(matrix.T.toarray()),
        )

    def to_json(self) -> dict[str, Any]:
        grams = sorted(self.columns, key=self.columns.__getitem__)
        rows = []
        for vector in self.dense_t.T:
            cols = np.flatnonzero(vector)
            rows.append([cols.tolist(), [round(float(v), DIGITS) for v in vector[cols]]])
        return {
            "grams": grams,
            "idf": [round(float(v), DIGITS) for v in self.idf],
            "rows": rows,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Space:
        grams: list[str] = data["grams"]
        rows = data["rows"]
        dense_t = np.zeros((len(grams), len(rows)), dtype=np.float32)
        for text, (cols, values) in enumerate(rows):
            dense_t[cols, text] = values
        return cls(
            {gram: n for n, gram in enumerate(grams)},
            np.asarray(data["idf"], dtype=np.float32),
            dense_t,
        )


def unit_vector(found: Sequence[int], idf: np.ndarray) -> Vector:
    """Columns and weights of the vector of these gram columns (repeats count, sublinear)."""
    counts: dict[int, int] = {}
    for column in found:
        counts[column] = counts.get(column, 0) + 1
    if not counts:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32)
    index = np.fromiter(counts, dtype=np.intp, count=len(counts))
    tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
    weights = (1.0 + np.log(tf)) * idf[index]  # sublinear tf x idf
    weights /= np.linalg.norm(weights)
    return index, weights


def digest(texts: Sequence[str], ngrams: tuple[int, int]) -> str:
    """What the fit depends on: the texts as the ranker reads them, and the n-gram sizes."""
    payload = json.dumps({"format": FORMAT, "ngrams": list(ngrams), "texts": list(texts)})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class Fitted:
    """Both spaces of a ranker (character n-grams, words and pairs), fitted on the same texts,
    and the topic model over them (bot/ask/model.py; None for content with one topic)."""

    __slots__ = ("digest", "chars", "words", "model", "examples")

    def __init__(
        self, digest: str, chars: Space, words: Space, model: Model | None, examples: int = 0
    ) -> None:
        self.digest = digest
        self.chars = chars
        self.words = words
        self.model = model
        self.examples = examples  # corpus examples the model was trained on besides the texts

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        ngrams: tuple[int, int],
        analysers: tuple[Analyser, Analyser],
        examples: Sequence[tuple[str, str]] = (),
    ) -> Fitted:
        """Fit the spaces on `texts`, then the model on `texts` (labelled with their topic) and
        `examples` (content words, topic) vectorised in those spaces."""
        char_grams, word_grams = analysers
        chars, words = Space.fit(texts, char_grams), Space.fit(texts, word_grams)
        training = [*zip(texts, labels, strict=True), *examples]
        vectors = [(chars.vector(char_grams(t)), words.vector(word_grams(t))) for t, _ in training]
        widths = (chars.dense_t.shape[0], words.dense_t.shape[0])
        model = Model.train(widths, vectors, [label for _, label in training])
        return cls(digest(texts, ngrams), chars, words, model, len(examples))

    def write(self, path: Path = INDEX_FILE) -> None:
        data = {
            "digest": self.digest,
            "examples": self.examples,
            "chars": self.chars.to_json(),
            "words": self.words.to_json(),
            "model": self.model.to_json() if self.model else None,
        }
        path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")

    @classmethod
    def read(cls, path: Path = INDEX_FILE) -> Fitted | None:
        """The shipped index, or None if there is none or it cannot be read."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            model = Model.from_json(data["model"]) if data.get("model") else None
            return cls(
                str(data["digest"]),
                Space.from_json(data["chars"]),
                Space.from_json(data["words"]),
                model,
                int(data.get("examples", 0)),
            )
        except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
            log.warning("ask index %s unreadable (%s)", path.name, type(error).__name__)
            return None


def load_or_fit(
    texts: Sequence[str],
    labels: Sequence[str],
    ngrams: tuple[int, int],
    analysers: tuple[Analyser, Analyser],
    path: Path = INDEX_FILE,
    examples: Callable[[], Sequence[tuple[str, str]]] = lambda: (),
) -> Fitted:
    """The shipped index if it was fitted on these texts, else a fit now (logged, no text) on
    them and `examples()` (the seen corpora where they are, as `ask build` does)."""
    wanted = digest(texts, ngrams)
    shipped = Fitted.read(path) if path.exists() else None
    if shipped is not None and shipped.digest == wanted:
        return shipped
    log.warning(
        "ask index %s was not built from this content (%d texts): fitting it now with "
        "scikit-learn; run `safety-bot ask build` to ship it",
        path.name,
        len(texts),
    )
    return Fitted.fit(texts, labels, ngrams, analysers, examples())
