"""Reading a message as the danger grammar sees it: parts (clauses) of plain lower-case words.

Steps, each cheap (the detector runs on every message):
1. Unicode folded (NFKC, case-fold, curly apostrophes straight); emoji the grammar names (🆘) are
   read as words.
2. Cut into parts at . , ; : ! ? new lines, " - " and the word "but": guards such as "yesterday"
   or "what if" act on their own part only ("yesterday he was outside, but today he's back").
3. Words: contractions and text-speak written out from the grammar's `spellings` ("hes" -> "he
   is", "wont" -> "will not"), other endings after an apostrophe split off ("jamie's" -> "jamie
   's"), runs of 3+ of one letter cut to 2 ("heeelp"), letters typed apart joined ("s o s").
4. Typos: a word that is neither a grammar word nor a real English word near one is put right by
   symspellpy (Damerau-Levenshtein within 1 edit for words of 4-5 letters, 2 for longer), towards
   the commoner grammar word ("outsdie" -> "outside", "folowing" -> "following").
   A dropped g is put back when that makes a grammar word ("kickin" -> "kicking"); a word
   that is no typo of one may be words run together, cut into the fewest grammar words
   ("heshere" -> "he is here").
5. The grammar's `rewrites` read several words as one ("going to" -> "gonna", "right now" -> "now").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from bot.engine.danger.lexicon import max_edits

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
# a full stop between digits is a time ("at 3.15"), not the end of a sentence
_PART_BREAK = re.compile(r"(?<!\d)[.:](?!\d)|[,;!?\n\r]+|[.:]{2,}|\s[-–—]+\s|\bbut\b")
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*", re.UNICODE)
_REPEAT = re.compile(r"([^\W\d_])\1{2,}")  # letters only: "999" stays
_DOTTED = re.compile(r"\b(?:[^\W\d_]\.){2,}[^\W\d_]?")  # "s.o.s" is one word, not three parts
_ENDINGS = {"'s": "is", "'re": "are", "'ve": "have", "'ll": "will", "'d": "had", "'m": "am"}
MAX_CACHE = 20_000
SEGMENT_FROM = 6  # the shortest run-together word that is cut into words
MAX_PIECES = 5
MAX_PIECE = 12  # the longest grammar word looked for inside a run-together word
_SINGLE_WORDS = frozenset("ia")


def _join_letters(words: list[str]) -> list[str]:
    """Letters typed apart joined: "s o s" -> "sos"."""
    joined: list[str] = []
    run: list[str] = []
    for w in [*words, ""]:
        if len(w) == 1 and w not in _SINGLE_WORDS:
            run.append(w)
            continue
        joined.extend(["".join(run)] if len(run) >= 3 else run)
        run = []
        if w:
            joined.append(w)
    return joined


class Reader:
    """Turns a message into parts of words; built once from the grammar's word lists."""

    __slots__ = (
        "_spellings",
        "_symbols",
        "_rewrites",
        "_rewrite_first",
        "_vocab",
        "_real",
        "_speller",
        "_frequency",
        "_cache",
        "_raw_cache",
        "_pieces",
    )

    def __init__(
        self,
        spellings: Mapping[str, str],
        rewrites: Mapping[str, str],
        vocabulary: Iterable[str] = (),
        real_words: Iterable[str] = (),
        frequency: Mapping[str, int] | None = None,
    ) -> None:
        self._cache: dict[str, str] = {}
        self._raw_cache: dict[str, list[str]] = {}
        self._speller = None
        self._vocab: frozenset[str] = frozenset()
        self._real: frozenset[str] = frozenset()
        self._spellings = {k.casefold(): v.casefold().split() for k, v in spellings.items()}
        # spellings that are not words (emoji) are swapped in before cutting into words
        self._symbols = {k: " ".join(v) for k, v in self._spellings.items() if not k.isalnum()}
        self._rewrites: dict[tuple[str, ...], list[str]] = {}
        self._rewrite_first: dict[str, int] = {}
        for source, target in rewrites.items():
            words = tuple(self.words(source, correct=False))
            if words:
                self._rewrites[words] = target.split()
                longest = self._rewrite_first.get(words[0], 0)
                self._rewrite_first[words[0]] = max(longest, len(words))
        self._vocab = frozenset(vocabulary)
        self._real = frozenset(real_words)
        # the words a run-together message may be cut into ("heshere" -> "hes here"): grammar
        # words and the spellings' short forms, two letters or more ("i" and "a" too)
        self._pieces = frozenset(
            w
            for w in (*self._vocab, *(k for k in self._spellings if k.isalpha()))
            if len(w) >= 2 or w in _SINGLE_WORDS
        )
        self._frequency = frequency or {}

    def _spell(self) -> Any:
        """symspellpy's corrector over the grammar words, made when a first word needs it: it
        is a third of the detector's start-up (import and ~1,100 entries, ~0.03 s), and most
        messages are read from the spelling cache without it (docs/danger.md)."""
        if self._speller is None:
            from symspellpy import SymSpell

            speller = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
            for word in self._vocab:
                if word.isalpha() and len(word) >= 3:
                    speller.create_dictionary_entry(word, self._frequency.get(word, 1))
            self._speller = speller
        return self._speller

    # -- words

    def _expand(self, raw: str) -> list[str]:
        word = raw.strip("'")
        if not word:
            return []
        hit = self._spellings.get(word)
        if hit is not None:
            return hit
        if word.endswith("n't"):
            return [*self._expand(word[:-3]), "not"]
        for ending, written in _ENDINGS.items():
            if word.endswith(ending) and len(word) > len(ending):
                return [*self._expand(word[: -len(ending)]), written]
        word = word.replace("'", "")
        return self._spellings.get(word, [word])

    def correct(self, word: str) -> str:
        """The grammar word this word is a typo of, or the word itself (remembered per word)."""
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        hit = word
        if (
            self._vocab
            and word not in self._vocab
            and word not in self._real
            and word.isalpha()
            and max_edits(word) > 0
        ):
            from symspellpy import Verbosity

            dropped_g = f"{word}g"
            if word.endswith("in") and dropped_g in self._vocab:
                hit = dropped_g  # "kickin", "followin", "comin": a dropped g, not a typo
            else:
                found = self._spell().lookup(word, Verbosity.TOP, max_edit_distance=max_edits(word))
                hit = found[0].term if found else self._segment(word)
        if len(self._cache) >= MAX_CACHE:
            self._cache.clear()
        self._cache[word] = hit
        return hit

    def _segment(self, word: str) -> str:
        """A run of words typed without spaces ("heshere", "hessmashingthewindows") cut into
        the fewest grammar words (at most MAX_PIECES), spellings written out ("he is here");
        the word itself if it cannot be. A real English word is never cut ("nowhere": the
        lexicon lists it), and neither is one under SEGMENT_FROM letters."""
        n = len(word)
        if n < SEGMENT_FROM:
            return word
        pieces = self._pieces
        # best[i]: the fewest pieces that make word[:i], as a tuple of piece ends
        best: list[tuple[int, ...] | None] = [()] + [None] * n
        for end in range(1, n + 1):
            for start in range(max(0, end - MAX_PIECE), end):
                before = best[start]
                if before is None or word[start:end] not in pieces:
                    continue
                current = best[end]
                if len(before) < MAX_PIECES and (current is None or len(before) + 1 < len(current)):
                    best[end] = (*before, end)
        ends = best[n]
        if not ends or len(ends) < 2:
            return word
        cut = [word[a:b] for a, b in zip((0, *ends), ends, strict=False)]
        return " ".join(w for piece in cut for w in self._spellings.get(piece, [piece]))

    def would_cut(self, word: str) -> bool:
        """Whether an unknown word this long would be cut into grammar words (lexicon build)."""
        return word.isalpha() and word not in self._vocab and self._segment(word) != word

    def words(self, text: str, correct: bool = True) -> list[str]:
        """One part's words (spellings written out, letters typed apart joined, typos put right)."""
        words: list[str] = []
        cache = self._raw_cache
        for raw in _TOKEN.findall(text):
            hit = cache.get(raw)
            if hit is None:
                hit = self._expand(_REPEAT.sub(r"\1\1", raw))
                if len(cache) >= MAX_CACHE:
                    cache.clear()
                cache[raw] = hit
            words.extend(hit)
        if any(len(w) == 1 and w not in _SINGLE_WORDS for w in words):
            words = _join_letters(words)
        if correct:
            fixed = self._cache.get
            words = [fixed(w) or self.correct(w) for w in words]
            if any(" " in w for w in words):  # a run-together word was cut
                words = [piece for w in words for piece in w.split()]
        return self._rewrite(words)

    def _rewrite(self, words: list[str]) -> list[str]:
        if self._rewrite_first.keys().isdisjoint(words):
            return words
        out: list[str] = []
        i = 0
        while i < len(words):
            longest = self._rewrite_first.get(words[i], 0)
            for size in range(min(longest, len(words) - i), 0, -1):
                target = self._rewrites.get(tuple(words[i : i + size]))
                if target is None:
                    continue
                # "won't stop" means "keeps" only before a doing word ("won't stop following")
                if target == ["keeps"] and not (
                    i + size < len(words) and words[i + size].endswith("ing")
                ):
                    continue
                out.extend(target)
                i += size
                break
            else:
                out.append(words[i])
                i += 1
        return out

    def parts(self, text: str, correct: bool = True) -> list[list[str]]:
        """The message as parts (clauses) of words; empty parts left out. `correct=False` leaves
        typos as typed (bot.ask reads messages this way: its own n-grams absorb typos)."""
        text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
        text = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), text)
        for symbol, word in self._symbols.items():
            if symbol in text:
                text = text.replace(symbol, f" {word} ")
        parts = []
        for chunk in _PART_BREAK.split(text):
            words = self.words(chunk, correct)
            if words:
                parts.append(words)
        return parts
