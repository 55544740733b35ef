"""A topic classifier beside the nearest-phrase ranking: what the phrase lists cannot foresee.

Why: ranking by the single nearest phrase missed about a quarter of blind questions, mostly ones
that share few words with any phrase ("the semantic gap"). Hand-written phrases grow without end;
a linear model learns which words point to which topic from every example at once. Trained
(scikit-learn's LogisticRegression, build time only: `safety-bot ask build`) on each screen's
sentences and ask_like phrases, labelled with their topic, plus the labelled items of the SEEN
corpora (tests/corpus/ask*/: real wordings, used as training examples, never copied into
content/). Features: the same two TF-IDF spaces the ranker uses (character 3-5-grams, words and
word pairs), so a message is vectorised once for both. Its weights are shipped in the index
(bot/ask/index.json) and applied with numpy; tests/test_ask_index.py checks they give
scikit-learn's own probabilities.

How it is used (bot/ask/ranker.py): a group's score is (1 - MODEL_WEIGHT) x its best text's
similarity + MODEL_WEIGHT x the model's probability of the group's topic. Measured leaving each
corpus out of the training in turn (docs/ask.md): +7 to +8 points "right topic first" on the
corpus left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

C = 10.0  # inverse regularisation (weak: the examples are short and many topics share words)
MODEL_WEIGHT = 0.3  # share of the model's probability in a group's score (docs/ask.md)

Vector = tuple[np.ndarray, np.ndarray]  # (columns, weights) of a unit TF-IDF vector
NOT_COVERED = "!not_covered"  # the topic (and group prefix) of what the advice does not cover
# A corpus label -> the flow that answers it (tests/corpus/ask*/README.md).
LABEL_FLOWS = {
    "calls": "unwanted_calls",
    "known_stalker": "know_who",
    "physical": "physical_safety",
    "cyber": "cyber_safety",
    "evidence": "evidence",
    "reporting": "reporting",
    "telling_people": "telling_people",
    "is_it_stalking": "is_this_stalking",
    "emergency": "emergency",
}
CORPORA = Path(__file__).resolve().parents[2] / "tests" / "corpus"  # the seen corpora


class Model:
    """Per topic, one weight per column of each space, and a bias; softmax over topics."""

    __slots__ = ("classes", "chars", "words", "bias")

    def __init__(
        self, classes: list[str], chars: np.ndarray, words: np.ndarray, bias: np.ndarray
    ) -> None:
        self.classes = classes
        self.chars = chars  # char columns x topics
        self.words = words  # word columns x topics
        self.bias = bias

    @classmethod
    def train(
        cls,
        widths: tuple[int, int],
        vectors: Sequence[tuple[Vector, Vector]],
        labels: Sequence[str],
    ) -> Model | None:
        """Fit on examples already vectorised in both spaces; None if fewer than two topics."""
        if len(set(labels)) < 2:
            return None
        from sklearn.linear_model import LogisticRegression

        n_chars = widths[0]
        features = feature_matrix(widths, vectors)
        fitted = LogisticRegression(C=C, max_iter=5000).fit(features, list(labels))
        coef = np.asarray(fitted.coef_, dtype=np.float32).T  # features x topics
        if coef.shape[1] == 1:  # two topics: sklearn keeps one column (the second's log-odds)
            coef = np.hstack([-coef / 2, coef / 2])
        bias = np.asarray(fitted.intercept_, dtype=np.float32)
        if bias.shape[0] == 1:
            bias = np.array([-bias[0] / 2, bias[0] / 2], dtype=np.float32)
        return cls([str(c) for c in fitted.classes_], coef[:n_chars], coef[n_chars:], bias)

    def probabilities(self, chars: Vector, words: Vector) -> np.ndarray:
        """The probability of each topic (in `classes` order) for a message's two vectors."""
        logits = self.bias.copy()
        if len(chars[0]):
            logits += chars[1] @ self.chars[chars[0]]
        if len(words[0]):
            logits += words[1] @ self.words[words[0]]
        logits -= logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()

    def to_json(self) -> dict[str, Any]:
        return {
            "classes": self.classes,
            "bias": [round(float(v), 6) for v in self.bias],
            "chars": [[round(float(v), 5) for v in row] for row in self.chars],
            "words": [[round(float(v), 5) for v in row] for row in self.words],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Model:
        return cls(
            list(data["classes"]),
            np.asarray(data["chars"], dtype=np.float32),
            np.asarray(data["words"], dtype=np.float32),
            np.asarray(data["bias"], dtype=np.float32),
        )


def feature_matrix(widths: tuple[int, int], vectors: Sequence[tuple[Vector, Vector]]) -> Any:
    """The examples' two vectors side by side, as a sparse matrix (scikit-learn's input)."""
    from scipy.sparse import csr_matrix, hstack  # type: ignore[import-untyped]

    parts = []
    for part, width in enumerate(widths):
        rows: list[int] = []
        cols: list[int] = []
        values: list[float] = []
        for row, pair in enumerate(vectors):
            index, weights = pair[part]
            rows.extend([row] * len(index))
            cols.extend(index.tolist())
            values.extend(weights.tolist())
        parts.append(csr_matrix((values, (rows, cols)), shape=(len(vectors), width)))
    return hstack(parts).tocsr()


def corpus_examples(
    kept: Callable[[str], str], paths: Iterable[Path] | None = None
) -> list[tuple[str, str]]:
    """(content words, topic) of every topic and nothing-fits item of these corpora (by default
    the SEEN ones, tests/corpus/ask*/*.yaml; absent from an installed package: then none).
    `kept`: a message -> its content words, as the ranker reads it."""
    import yaml

    out: list[tuple[str, str]] = []
    for path in sorted(CORPORA.glob("ask*/*.yaml")) if paths is None else paths:
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            label = str(item["label"])
            topic = NOT_COVERED if label == "nothing_fits" else LABEL_FLOWS.get(label)
            words = kept(str(item["text"]))
            if topic and words:
                out.append((words, topic))
    return out
