"""Does a typed message describe something that happened (for the journal) or ask for advice?

The issue's rule: a description of an incident in the past tense ("he was outside my work
yesterday") gets the journal offer first. The cues are reviewable word lists in
content/ask_like.yaml (`incident:`); this module weighs them:

- `when`: a time anchor ("yesterday", "last night", "monday", a clock time "8.15pm" or "23:10",
  a date "14/03"): the strongest sign of one event;
- past tense: a listed irregular verb ("was", "saw", "rang") or a word ending in "ed";
- `asking`: a question mark, or a question word first ("how", "should", "can"...), or "should i",
  "do i", "is it"... anywhere: a question is not an incident, whatever its tense;
- `ongoing`: "keeps", "always", "every": a situation that goes on, which wants advice;
- `where`: a place ("outside", "work", "gate"). A message in the perfect or the passive with
  neither a time nor a place ("my instagram got hacked") is a situation, not an event to record:
  the router answers it with the advice first and the diary offer second (`is_situation`).

score = 1.0 x time anchors (at most 2) + 0.5 x past verbs (at most 3) + 0.5 x (a past verb and a
place or "now": "he just walked past my window") - 2.5 x asking - 1 x ongoing.
The weights and the threshold (INCIDENT_AT) were set on the tune part of the blind corpus
(figures in docs/ask.md).
"""

from __future__ import annotations

import re

INCIDENT_AT = 1.0

_CLOCK = re.compile(
    r"\b\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm)\b|\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}/\d{1,2}\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)\b|\bhalf (?:past )?\w+\b|\b\d+ past \d+\b"
    r"|\b\d{1,2} ?(?:till|until|-) ?\d{1,2}\b"
)
_QUESTION_PAIRS = (
    "should i",
    "do i",
    "can i",
    "could i",
    "shall i",
    "will i",
    "would i",
    "am i",
    "is it",
    "is this",
    "is that",
    "what do",
    "what should",
    "how do",
    "how can",
    "can he",
    "can she",
    "can they",
    "what can",
    "is there",
    "do you",
    "any tips",
    "any advice",
    "what can",
    "what now",
    "can that",
    "can it",
    "can this",
    # round 5: a question asked after the event is told ("he broke his bail last week, what
    # happens to him now", "my car got keyed, will my insurance cover it"): the told event
    # had made these incidents; 4 items fixed over all 1,870 seen, none lost
    "will my",
    "will he",
    "will she",
    "will they",
    "will it",
    "will the",
    "will this",
    "will that",
    "what happens",
    "does it",
    "does that",
    "does this",
    "does he",
    "is he",
    "can my",
    "can you",
    "do they",
    "should my",
    "would it",
    "would that",
)
# Before an "-ed" word, they make it a state ("being followed", "i feel exposed"), not an event.
_STATE = frozenset("being be am feel feeling feels felt".split())
# Before a participle, they make the perfect or the passive: "got hacked", "has been changed".
_AUXILIARIES = frozenset("got get gets getting been was were is are has have".split())
# Words ending in "ed" that are not (or not only) verbs in the past tense.
_NOT_PAST = frozenset(
    "need bed red shed fed wed seed speed feed weed bleed breed freed hundred "
    "scared worried concerned bored tired stressed obsessed married used supposed "
    "interested frightened terrified petrified confused annoyed upset".split()
)


class IncidentCues:
    """Weighs the cues of content/ask_like.yaml `incident:` for one message."""

    __slots__ = ("when", "when_phrases", "where", "past", "asking", "ongoing", "ongoing_phrases")

    def __init__(self, cues: dict[str, list[str]]) -> None:
        self.when = frozenset(w for w in cues.get("when", []) if " " not in w)
        self.when_phrases = tuple(w for w in cues.get("when", []) if " " in w)
        self.where = frozenset(cues.get("where", []))
        self.past = frozenset(cues.get("past", []))
        self.asking = frozenset(cues.get("asking", []))
        self.ongoing = frozenset(w for w in cues.get("ongoing", []) if " " not in w)
        self.ongoing_phrases = tuple(w for w in cues.get("ongoing", []) if " " in w)

    def is_asking(self, raw: str, words: list[str]) -> bool:
        if "?" in raw:
            return True
        if words and words[0] in self.asking:
            return True
        joined = " ".join(words)
        return any(f" {pair} " in f" {joined} " for pair in _QUESTION_PAIRS)

    def times(self, raw: str, words: list[str]) -> int:
        """How many time anchors: "yesterday", "last night", "8.15pm", "14/03"."""
        joined = f" {' '.join(words)} "
        when = sum(1 for w in words if w in self.when)
        when += sum(1 for p in self.when_phrases if f" {p} " in joined)
        return when + len(_CLOCK.findall(raw.casefold()))

    def anchored(self, raw: str, words: list[str]) -> bool:
        """Tied to a time or a place: one event to record, not a situation to advise on."""
        return self.times(raw, words) > 0 or any(w in self.where for w in words)

    def is_situation(self, raw: str, words: list[str]) -> bool:
        """A state told in the perfect or the passive ("my instagram got hacked", "my password
        has been changed") with no time or place: advice first, the diary offer second."""
        if self.anchored(raw, words):
            return False
        return any(
            a in _AUXILIARIES
            and (b.endswith(("ed", "en")) or b in self.past)
            and b not in _NOT_PAST
            for a, b in zip(words, words[1:], strict=False)
        )

    def score(self, raw: str, words: list[str], asking: bool | None = None) -> float:
        """`asking`: `is_asking` of this message if already worked out (the router has)."""
        if asking is None:
            asking = self.is_asking(raw, words)
        joined = f" {' '.join(words)} "
        when = self.times(raw, words)
        past = sum(
            1
            for before, w in zip(["", *words], words, strict=False)
            if (w in self.past or (len(w) > 4 and w.endswith("ed") and w not in _NOT_PAST))
            and before not in _STATE  # "being followed", "feel exposed": a state, not an event
        )
        ongoing = any(w in self.ongoing for w in words) or any(
            f" {p} " in joined for p in self.ongoing_phrases
        )
        placed = past > 0 and any(w in self.where for w in words)
        return 1.0 * min(when, 2) + 0.5 * min(past, 3) + 0.5 * placed - 2.5 * asking - 1.0 * ongoing

    def is_incident(self, raw: str, words: list[str], asking: bool | None = None) -> bool:
        return self.score(raw, words, asking) >= INCIDENT_AT
