"""A small trained classifier beside the grammar: either may raise the alarm.

Why: the grammar alone, tuned on half of a blind corpus, caught 85.4% of the other half's danger
messages; people word danger in more ways than rules written from examples foresee. A linear model
over word and character n-grams catches wordings close to known ones that no rule names
("wrecking", "a man in a balaclava at my back gate").

What it learns from (round 7a): the seen blind danger corpora themselves (9,026 labelled
messages by eleven writers who never saw the code, kept once each in tests/corpus/), the ask
corpora's typed questions as calm (2,183) and the hand-written examples in
content/danger_examples.yaml (224); content/danger_training.yaml lists every file and its writer. Rounds 2-6 trained on examples we rewrote from each corpus's misses; those carried
poorly to the next writer. Judged by leaving each writer out (`safety-bot danger cv`,
training.py): pooled recall / false alarms of grammar + classifier over 11 danger writers 96.8% /
6.5% trained on the examples only, 98.3% / 6.9% trained on the corpora with the confident line,
98.5% / 5.1% with round 7b's grammar (docs/danger.md "Round 7a"; the grammar was tuned on
the seen corpora, so all flatter).

How it stays cheap and explainable:
- It reads the message as the grammar reads it (spellings, contractions, typos put right), so
  "hes outsdie" and "he is outside" give the same n-grams.
- Features: each word and each pair of words in a part (present or not), and each 2-5 letter slice
  of each distinct word padded with spaces (" kni", "nife "), counted once per distinct word that
  has it. The score is the logistic of the bias plus the weights of the features present (times
  their count), so `danger explain` can list the n-grams that pushed most, and the letter slices
  of a word add up to one number kept per word (round 3: counting a slice shared by two words
  once, as before, cost a set union per word and put p99 over 1 ms).
- Two lines: at or above `threshold` it alarms alone unless the grammar reads the message as calm
  (hold_back.py); at or above `confident` it alarms even then (round 7a).
- Training (scikit-learn's LogisticRegression, training.py) runs at build time only: `safety-bot
  danger train` writes classifier.json beside this module. The detector reads that file and never
  imports scikit-learn. The file carries a digest of the training list, every file it names and
  the grammar (which decides the reading); tests/test_danger_classifier.py fails when it is stale.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

WEIGHTS_FILE = Path(__file__).with_name("classifier.json")
CHAR_SIZES = (2, 3, 4, 5)
MAX_CACHE = 20_000  # words whose weighted letter slices are kept


def word_grams(parts: Sequence[Sequence[str]]) -> tuple[set[str], set[str]]:
    """The word grams (each word, each pair of neighbours in a part) and the distinct words."""
    words: set[str] = set()
    distinct: set[str] = set()
    for part in parts:
        words.update(part)
        words.update([f"{a} {b}" for a, b in zip(part, part[1:], strict=False)])
        distinct.update(part)
    return words, distinct


def letter_slices(word: str) -> list[str]:
    """The 2-5 letter slices of a word padded with spaces (the whole padded word if shorter)."""
    padded = f" {word} "
    size = len(padded)
    out: list[str] = []
    for n in CHAR_SIZES:
        if n >= size:
            out.append(padded)
            break
        out += [padded[i : i + n] for i in range(size - n + 1)]
    return out


def features(parts: Sequence[Sequence[str]]) -> dict[str, int]:
    """The named features of a message as read ("w:he is", "c: kni") with their counts; the same
    at training and use (the weights file names them so)."""
    words, distinct = word_grams(parts)
    found = dict.fromkeys([f"w:{g}" for g in words], 1)
    for word in distinct:
        for g in set(letter_slices(word)):
            key = f"c:{g}"
            found[key] = found.get(key, 0) + 1
    return found


class Classifier:
    """Weights per n-gram and a bias; scores a message as read by the grammar."""

    __slots__ = (
        "weights",
        "bias",
        "threshold",
        "confident",
        "digest",
        "_words",
        "_letters",
        "_slices",
    )

    def __init__(
        self,
        weights: dict[str, float],
        bias: float,
        threshold: float,
        made_from: str = "",
        confident: float | None = None,
    ) -> None:
        self.weights = weights
        self.bias = bias
        self.threshold = threshold
        self.confident = confident  # at or above it, the hold-back does not hold (None: never)
        self.digest = made_from
        # the same weights split by kind, without prefixes: scoring looks grams up directly
        self._words = {k[2:]: v for k, v in weights.items() if k.startswith("w:")}
        self._letters = {k[2:]: v for k, v in weights.items() if k.startswith("c:")}
        # word -> the sum of the weights of its letter slices: slicing is most of the cost, and
        # words repeat across messages (bounded and cleared like the reader's spelling cache)
        self._slices: dict[str, float] = {}

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> Classifier | None:
        """The shipped weights; none if the file is missing (the grammar then works alone)."""
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            data["weights"],
            data["bias"],
            data["threshold"],
            data["digest"],
            data.get("confident"),
        )

    def _verdict(self, parts: Sequence[Sequence[str]]) -> tuple[float, bool]:
        """The probability of danger, and whether a known word or pair pushes toward it."""
        words, distinct = word_grams(parts)
        slices = self._slices
        if len(slices) > MAX_CACHE:
            slices.clear()
        letters = 0.0
        for word in distinct:
            weight = slices.get(word)
            if weight is None:
                known = self._letters
                weight = slices[word] = sum(known.get(g, 0.0) for g in set(letter_slices(word)))
            letters += weight
        word_weights = [w for w in map(self._words.get, words) if w]
        total = self.bias + sum(word_weights) + letters
        probability = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, total))))
        return probability, any(w > 0 for w in word_weights)

    def score(self, parts: Sequence[Sequence[str]]) -> float:
        return self._verdict(parts)[0]

    def alarms(self, parts: Sequence[Sequence[str]]) -> bool:
        """At or above the line, with at least one known word or word pair pushing toward
        danger: the bias alone (short danger messages are common) must not alarm on "xyz"."""
        probability, pushed = self._verdict(parts)
        return pushed and probability >= self.threshold

    def overrides(self, parts: Sequence[Sequence[str]]) -> bool:
        """Confident enough to alarm where the grammar reads the message as calm (round 7a)."""
        probability, pushed = self._verdict(parts)
        return self.confident is not None and pushed and probability >= self.confident

    def may_alarm(self, parts: Sequence[Sequence[str]], held_back: bool) -> bool:
        """Its verdict alone: above the line and free, or held back but confident."""
        return self.overrides(parts) if held_back else self.alarms(parts)

    def contributions(
        self, parts: Sequence[Sequence[str]], top: int = 8
    ) -> list[tuple[str, float]]:
        """The n-grams that pushed the score most, either way (for `danger explain`)."""
        found = [(f, self.weights[f] * n) for f, n in features(parts).items() if f in self.weights]
        found.sort(key=lambda fw: -abs(fw[1]))
        # words first (what a reviewer reads), then letter slices (what catches typos and forms)
        words = [fw for fw in found if fw[0].startswith("w:")][: top // 2]
        return words + [fw for fw in found if not fw[0].startswith("w:")][: top - len(words)]
