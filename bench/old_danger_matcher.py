"""Spotting messages that say "I'm in danger now", so the emergency advice can come first.

The phrases live in content/danger_phrases.yaml where people can review them; this module only
matches. It is called on every free-text message, so it is built once and each check is cheap.

How a message is compared with the phrases:

1. Normalise: case-fold, curly quotes made straight, contractions expanded with or without their
   apostrophe ("he's", "hes" -> "he is"; "cant" -> "can not"; "im" -> "i am"), a few chat
   spellings ("u", "pls", "rn"), runs of three or more of one letter cut to two ("heeelp"), and
   letters typed apart joined ("s o s"). Anything that is not a letter or digit splits words.
2. Typos: a word that is not in the phrases' vocabulary is corrected to the nearest vocabulary word
   when it is close enough: words of 4 letters by one swap, missing or extra letter or a slip to a
   neighbouring key ("hlep", "hepl", "hrlp"); 5-7 letters by one edit; 8 or more by two. Shorter
   words and numbers must match exactly. A word that is a vocabulary word plus "s", "d" or "ed" is
   left alone ("helps" is not "help").
3. Word classes: he, she, they, someone, somebody, my ex, the stalker... all count as one person;
   him, her, them as one; is, are, am as one. So "he is outside my house" also covers "they're
   outside my house" and "my ex is outside my house".
4. A phrase matches when its words appear in order; between two of its words the message may have
   one filler word ("he is *right* outside my *front* door"), never a word such as "not" or "was";
   a phrase straight after "not" or "never" does not count ("i'm not in danger right now").
5. `whole_message` phrases count only when they are the whole message (ignoring "please", "now"):
   "help" alone is danger, "how can this bot help" is not.
6. `not_danger` phrases cancel a danger phrase found inside them ("help me understand...").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import yaml

# --- normalising ---------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})

# Whole words, with or without the apostrophe, and chat spellings.
_WORD_MAP: dict[str, str] = {
    "i'm": "i am",
    "im": "i am",
    "i've": "i have",
    "ive": "i have",
    "i'll": "i will",
    "can't": "can not",
    "cant": "can not",
    "cannot": "can not",
    "won't": "will not",
    "wont": "will not",
    "don't": "do not",
    "dont": "do not",
    "doesn't": "does not",
    "doesnt": "does not",
    "didn't": "did not",
    "didnt": "did not",
    "isn't": "is not",
    "isnt": "is not",
    "aren't": "are not",
    "arent": "are not",
    "wasn't": "was not",
    "wasnt": "was not",
    "weren't": "were not",
    "werent": "were not",
    "couldn't": "could not",
    "couldnt": "could not",
    "wouldn't": "would not",
    "wouldnt": "would not",
    "shouldn't": "should not",
    "shouldnt": "should not",
    "haven't": "have not",
    "havent": "have not",
    "hasn't": "has not",
    "hasnt": "has not",
    "hes": "he is",
    "shes": "she is",
    "theyre": "they are",
    "youre": "you are",
    "theres": "there is",
    "thats": "that is",
    "its": "it is",
    "whos": "who is",
    "someones": "someone is",
    "somebodys": "somebody is",
    "theyll": "they will",
    "hed": "he would",
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "plez": "please",
    "pleas": "please",
    "rn": "right now",
    "gonna": "going to",
    "gunna": "going to",
    "wanna": "want to",
    "tryna": "trying to",
    "2": "to",
    "asap": "now",
}

# Endings after an apostrophe: "he's" -> "he is", "they're" -> "they are"...
_SUFFIX_MAP: dict[str, str] = {"'s": " is", "'re": " are", "'ve": " have", "'ll": " will"}
# "'s" means "is" only after these words; elsewhere it is a possessive ("john's car").
_S_IS_AFTER = {
    "he",
    "she",
    "it",
    "that",
    "there",
    "who",
    "what",
    "where",
    "someone",
    "somebody",
    "stalker",
    "ex",
}

# Word classes: every member is replaced by the class name before matching.
_CLASSES: dict[str, str] = {}
for _word in (
    "he she they someone somebody stalker ex man guy person husband boyfriend wife girlfriend "
    "partner"
).split():
    _CLASSES[_word] = "<someone>"
for _word in ("him", "her", "them"):
    _CLASSES[_word] = "<them>"
for _word in ("is", "are", "am"):
    _CLASSES[_word] = "<is>"

# Words that may sit between two words of a phrase without breaking it.
_FILLERS = frozenset(
    "right just now still really actually literally currently here there my the our a this "
    "front back again so standing sitting all".split()
)
# A phrase straight after one of these does not count.
_NEGATIONS = frozenset({"not", "never"})
# Words ignored when comparing a whole message with a `whole_message` phrase.
_POLITE = frozenset("please now right quick quickly urgently <someone> me".split())

_TOKEN_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*", re.UNICODE)
_REPEAT_RE = re.compile(r"(.)\1{2,}")
_COMMAND_RE = re.compile(r"^\s*/[A-Za-z_]+(?:@\w+)?\s*$")

# Neighbouring keys on a UK QWERTY keyboard, for four-letter words.
_ROWS = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"]
_NEIGHBOURS: dict[str, set[str]] = {}
for _r, _row in enumerate(_ROWS):
    for _c, _ch in enumerate(_row):
        near = _NEIGHBOURS.setdefault(_ch, set())
        for _dr in (-1, 0, 1):
            rr = _r + _dr
            if 0 <= rr < len(_ROWS):
                for _dc in (-1, 0, 1):
                    cc = _c + _dc
                    if 0 <= cc < len(_ROWS[rr]) and (_dr, _dc) != (0, 0):
                        near.add(_ROWS[rr][cc])


def _expand(raw: str) -> list[str]:
    word = raw.strip("'")
    if not word:
        return []
    if word in _WORD_MAP:
        return _WORD_MAP[word].split()
    if word.endswith("n't"):
        return [word[:-3], "not"]
    for suffix, replacement in _SUFFIX_MAP.items():
        if word.endswith(suffix):
            stem = word[: -len(suffix)]
            if suffix == "'s" and stem not in _S_IS_AFTER:
                return [stem + "s"]  # possessive: drop the apostrophe
            return [stem, *replacement.split()]
    word = word.replace("'", "")
    return _WORD_MAP.get(word, word).split()


def normalise(text: str) -> list[str]:
    """The message as a list of plain lower-case words (before typo correction)."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    words: list[str] = []
    for raw in _TOKEN_RE.findall(text):
        raw = _REPEAT_RE.sub(r"\1\1", raw)
        words.extend(_expand(raw))
    # Letters typed apart: "s o s", "9 9 9" -> "sos", "999".
    joined: list[str] = []
    run: list[str] = []
    for w in [*words, ""]:
        if len(w) == 1 and w not in ("i", "a"):
            run.append(w)
            continue
        if len(run) >= 3:
            joined.append("".join(run))
        else:
            joined.extend(run)
        run = []
        if w:
            joined.append(w)
    return joined


# --- typo tolerance ------------------------------------------------------------------------------


def _allowed_edits(length: int) -> int:
    if length <= 3:
        return 0
    if length <= 7:
        return 1
    return 2


def _deletes(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        nxt = set()
        for w in frontier:
            for i in range(len(w)):
                nxt.add(w[:i] + w[i + 1 :])
        out |= nxt
        frontier = nxt
    return out


def _distance(a: str, b: str, adjacent_only: bool) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance; with `adjacent_only`, a
    substitution costs 1 only between neighbouring keys (otherwise 2)."""
    la, lb = len(a), len(b)
    prev2: list[int] = []
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        cur = [i] + [0] * lb
        for j in range(1, lb + 1):
            if a[i - 1] == b[j - 1]:
                sub = 0
            elif adjacent_only and b[j - 1] not in _NEIGHBOURS.get(a[i - 1], ()):
                sub = 2
            else:
                sub = 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + sub)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[lb]


def _phrase_words(phrase: str) -> tuple[str, ...]:
    return tuple(_CLASSES.get(w, w) for w in normalise(phrase))


# --- the detector --------------------------------------------------------------------------------


class DangerDetector:
    """Tells whether a free-text message signals immediate danger."""

    def __init__(
        self,
        phrases: list[str],
        whole_messages: Iterable[str] = (),
        not_danger: Iterable[str] = (),
    ) -> None:
        self._phrases = [p for p in {_phrase_words(p) for p in phrases} if p]
        self._whole = {
            tuple(w for w in _phrase_words(p) if w not in _POLITE) for p in whole_messages
        } - {()}
        self._exceptions = [p for p in {_phrase_words(p) for p in not_danger} if p]
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for p in self._phrases:
            self._by_first.setdefault(p[0], []).append(p)
        self._exc_by_first: dict[str, list[tuple[str, ...]]] = {}
        for p in self._exceptions:
            self._exc_by_first.setdefault(p[0], []).append(p)

        # Vocabulary for typo correction: every plain word of every phrase, and the class members.
        vocab = {w for p in [*self._phrases, *self._whole, *self._exceptions] for w in p}
        vocab = {w for w in vocab if not w.startswith("<")} | set(_CLASSES)
        self._vocab = frozenset(vocab)
        self._delete_index: dict[str, set[str]] = {}
        for w in self._vocab:
            if w.isdigit():
                continue
            for d in _deletes(w, _allowed_edits(len(w))):
                self._delete_index.setdefault(d, set()).add(w)
        self._cache: dict[str, str] = {}

    @classmethod
    def from_file(cls, path: Path) -> DangerDetector:
        if not path.exists():
            return cls([])
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(
            [str(p) for p in data.get("phrases") or []],
            whole_messages=[str(p) for p in data.get("whole_message") or []],
            not_danger=[str(p) for p in data.get("not_danger") or []],
        )

    # -- words

    def _correct(self, word: str) -> str:
        """The vocabulary word this word is a typo of, or the word itself."""
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        best = word
        if word not in self._vocab and not word.isdigit() and len(word) >= 4:
            best_cost = 99
            depth = _allowed_edits(len(word) + 1)
            candidates: set[str] = set()
            for d in _deletes(word, depth):
                candidates |= self._delete_index.get(d, set())
            for cand in sorted(candidates):
                if word in (cand + "s", cand + "d", cand + "ed", cand + "es"):
                    continue  # an inflection, not a typo
                limit = _allowed_edits(len(cand))
                cost = _distance(word, cand, adjacent_only=len(cand) == 4)
                if cost <= limit and cost < best_cost:
                    best, best_cost = cand, cost
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache[word] = best
        return best

    def words(self, text: str) -> list[str]:
        """The message as the matcher sees it: normalised, typos corrected, classes applied."""
        out = []
        for w in normalise(text):
            w = self._correct(w)
            out.append(_CLASSES.get(w, w))
        return out

    # -- phrases

    @staticmethod
    def _match_at(words: list[str], start: int, phrase: tuple[str, ...]) -> int | None:
        """End index (exclusive) if `phrase` matches from `start`, allowing one filler word
        between two phrase words."""
        i = start + 1
        for target in phrase[1:]:
            if i < len(words) and words[i] == target:
                i += 1
            elif i + 1 < len(words) and words[i] in _FILLERS and words[i + 1] == target:
                i += 2
            else:
                return None
        return i

    def _spans(
        self, words: list[str], index: dict[str, list[tuple[str, ...]]]
    ) -> list[tuple[int, int]]:
        spans = []
        for start, w in enumerate(words):
            if start and words[start - 1] in _NEGATIONS:
                continue  # "i am not in danger right now"
            for phrase in index.get(w, ()):
                end = self._match_at(words, start, phrase)
                if end is not None:
                    spans.append((start, end))
        return spans

    def is_danger(self, text: str) -> bool:
        if not text or _COMMAND_RE.match(text):
            return False  # a command such as /help is handled by the engine, not read as words
        words = self.words(text)
        if not words:
            return False
        if tuple(w for w in words if w not in _POLITE) in self._whole:
            return True
        spans = self._spans(words, self._by_first)
        if not spans:
            return False
        safe = self._spans(words, self._exc_by_first)
        return any(not any(s <= a and b <= e for s, e in safe) for a, b in spans)
