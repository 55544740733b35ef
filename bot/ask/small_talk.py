"""Greetings and small talk: a closed, listable class of messages that get the menu.

Why a list and not the ranker: "hello", "thanks for earlier", "how does this work?", "what do
you cover" are about the bot, not a topic; ranked against the advice they scored 53% on ask3's
held-aside half (8/15: "MAIN MENU PLS" read as not covered, "how does this work?" as three
topics). They are few and can be listed and reviewed (content/ask_like.yaml):

- `greetings:` whole messages that greet, thank, say goodbye or ask for the menu ("hi", "thank
  you", "main menu"). A message made only of their words is a greeting; so is one that contains
  one of them word for word and otherwise only greeting or small-talk words and function words
  ("MAIN MENU PLS", "hiya, thanks for earlier"), but not "he's back" ("go back" is listed).
- `small_talk:` what people say to a bot they do not know yet, or when they leave ("how does
  this work", "not sure where to start", "i will have a think"). A message that contains every
  content word of one of these phrases, and otherwise only greeting or small-talk words and
  function words, is small talk. Requiring a whole phrase keeps "he did this before" (one word
  of "never used this before") a message to keep in the journal.

Typos: a word of four letters or more one edit (SymSpell, Damerau) from a listed word counts
as that word ("thnaks", "helo", "menue"); shorter words must be exact ("hi" is not "he"), but a
word typed with letters drawn out counts as the listed word it squeezes to ("hii", "yoo",
"byeee": the reader keeps two of a run, and "hii" is one edit from "he" as much as from "hi").

Round 5: ask4 and ask5's tune half read 26/32 and 12/16: sign-offs ("bye for now", "cheers
mate", "hiya hun"), thanks in Welsh and Polish, "yo", "can i talk to you", "what kind of things
can i ask you", "my friend told me to use this". More of each kind were listed (content), in
our own words, with thanks and hello in the languages people here write in. Two hazards
closed: a word the advice uses is never a typo of a small-talk word ("stalking" is not
"talking"), and a message about someone else ("hi, he is back") is never small talk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from symspellpy import SymSpell, Verbosity

MIN_FUZZY = 4  # shorter words are matched exactly: one edit turns "hi" into "he"
# A message about someone else is not small talk, whatever greets it: "hi, he is back", "thanks,
# he is here again" are made of greeting and function words only (round 5).
SOMEONE = frozenset(
    {"he", "him", "his", "himself", "she", "her", "hers", "herself", "they", "them"}
)


class SmallTalk:
    """Decides whether a message (already read into words) only greets or talks about the bot."""

    __slots__ = (
        "greeting_words", "greetings", "vocabulary", "phrases", "stop_words", "topic_words",
        "_speller",
    )  # fmt: skip

    def __init__(
        self,
        greetings: Iterable[str],
        small_talk: Iterable[str],
        words: Callable[[str], list[str]],
        stop_words: frozenset[str],
        topic_words: frozenset[str] = frozenset(),
    ) -> None:
        self.stop_words = stop_words
        # Words the advice's own texts use are never read as a typo of a small-talk word:
        # "stalking" is one edit from "talking" ("am i talking to a bot").
        self.topic_words = topic_words
        self.greetings = [tuple(words(g)) for g in greetings]
        self.greetings = [g for g in self.greetings if g]
        self.greeting_words = frozenset(w for g in self.greetings for w in g)
        self.phrases = [frozenset(w for w in words(p) if w not in stop_words) for p in small_talk]
        self.phrases = [p for p in self.phrases if p]
        self.vocabulary = self.greeting_words | frozenset(w for p in self.phrases for w in p)
        self._speller = SymSpell(max_dictionary_edit_distance=1, prefix_length=7)
        for word in self.vocabulary:
            if len(word) >= MIN_FUZZY:
                self._speller.create_dictionary_entry(word, 1)

    def is_small_talk(self, words: Sequence[str]) -> bool:
        if all(w in self.greeting_words for w in words):
            return True  # "is anyone there", "ok": every word listed, function words too
        if any(w in SOMEONE for w in words):
            return False
        read: list[str] = []
        for word in words:
            if word in self.vocabulary or word in self.stop_words:
                read.append(word)
                continue
            known = None if word in self.topic_words else self._squeezed(word) or self._fuzzy(word)
            if known is None:  # the first miss ends the check
                return False  # a word that is neither small talk nor a function word
            read.append(known)
        content = {w for w in read if w not in self.stop_words}
        return any(phrase <= content for phrase in self.phrases) or any(
            _contains(read, greeting) for greeting in self.greetings
        )

    def _squeezed(self, word: str) -> str | None:
        """The listed word `word` is with its doubled letters made single ("hii", "byee")."""
        squeezed = "".join(c for n, c in enumerate(word) if not n or c != word[n - 1])
        return squeezed if squeezed != word and squeezed in self.vocabulary else None

    def _fuzzy(self, word: str) -> str | None:
        """The listed word one edit from `word` (4+ letters), if any (~10 us)."""
        if len(word) < MIN_FUZZY:
            return None
        found = self._speller.lookup(word, Verbosity.TOP, max_edit_distance=1)
        return found[0].term if found else None


def _contains(words: Sequence[str], run: tuple[str, ...]) -> bool:
    """Whether `run` occurs in `words` word for word."""
    n = len(run)
    return any(tuple(words[i : i + n]) == run for i in range(len(words) - n + 1))
