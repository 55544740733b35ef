"""What a guard looks at for one finding (a rule matched in one part), and the small look-ups
the guards share (guards.py, frames.py, hold_back.py): split out of guards.py in round 6 to keep
each module about one concept and under 400 lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.engine.danger.grammar import Finding, Reading, Rule, Tags

IF = "if"
# a borderline stop: the rule's match counts if the classifier reads the message as danger too
ASKED = "asked_not_now"
NOW_AFTER = 2  # words after a past-tense match and its past time that a "now" undoes it in
AFTER = 3  # words after a match that an `online` word is looked for in
BEFORE = 4  # words before a match that negation / past / future words are looked for in
IDIOM_BEFORE = 6  # words before a match that an idiom is looked for in
NEGATED = 3  # words before an all-clear that a negation undoes it in ("not sure he has gone")
RECORD_START = 3  # a record opener must start within the first words of the message
PRESENT = frozenset(("is", "are", "am"))  # a rule that matched one of these speaks of now
SUBJECTS = frozenset(("he", "she", "they", "someone", "somebody", "there"))
CLAUSE = frozenset(("and", "so", "then"))  # a negation or past word before one is not the match's

Stop = tuple[str, str] | None


class Scope:
    """What the guards look at for one finding."""

    __slots__ = ("reading", "rule", "part", "tags", "words", "present", "consumed", "start", "end")

    def __init__(self, reading: Reading, finding: Finding) -> None:
        self.reading = reading
        self.rule: Rule = finding.rule
        self.part = finding.part
        self.tags = reading.tags[finding.part]
        self.words = reading.parts[finding.part]
        self.present = reading.present[finding.part]
        self.consumed = {i for s, e in finding.spans for i in range(s, e)}
        self.start, self.end = finding.spans[0][0], finding.spans[-1][1]


def _all_clear_in(tags: Tags, after: int = 0) -> tuple[int, int] | None:
    """An all-clear at or after `after` (the match's start: "i'm fine, i'm fine, he's only at the
    gate" is not one), not just after a negation nor just before a word of `all_clear_then`."""
    for i in range(after, len(tags)):
        ends = tags[i].get("guard:all_clear")
        if not ends or any("guard:negation" in tags[j] for j in range(max(0, i - NEGATED), i)):
            continue
        end = max(ends)
        if end < len(tags) and "guard:all_clear_then" in tags[end]:
            continue
        return i, end
    return None


def _past_time_in(tags: Tags, today_counts: bool) -> tuple[int, int] | None:
    """The first past time of a part; one of `today` ("this morning", "earlier") only when
    `today_counts`: "he IS outside with the dog that went missing this morning" is now."""
    for i, t in enumerate(tags):
        ends = t.get("guard:past_time")
        if ends and (today_counts or not t.get("guard:today")):
            return i, max(ends)
    return None


def _right_now_in(tags: Tags, start: int, end: int) -> bool:
    return any("guard:right_now" in tags[i] for i in range(start, end))


def _first(tags: Tags, label: str) -> tuple[int, int] | None:
    for i, t in enumerate(tags):
        ends = t.get(label)
        if ends:
            return i, max(ends)
    return None


def now_tense(s: Scope) -> bool:
    """The match is in the present tense: an "is / are / am" in it, or just before it
    ("someone IS trying the door", "he IS walking up the path") (round 7b)."""
    if any(s.words[i] in PRESENT for i in s.consumed):
        return True
    before = s.start - 1
    if before > 0 and s.words[before] in PRESENT and "person" in s.tags[before - 1]:
        return True
    # round 7c: an "is" just before a word of the match, inside it ("the guy from earlier IS
    # following us": the time names the person, the verb is now); not another subject's ("tell
    # her I AM watching")
    return any(
        s.start < i - 1 and i - 1 not in s.consumed and s.words[i - 1] in INSIDE_PRESENT
        for i in s.consumed
    )


INSIDE_PRESENT = frozenset(("is", "are"))


def present_now(s: Scope) -> bool:
    """The match is in the present tense ("he IS at the window") and a "now / still / just"
    comes in or after it in its part: a fact of this minute even inside "if" or a question
    ("what do i do if he's at the window right now?") (round 7b)."""
    at = s.start + 1
    # round 7c: asked with the verb first, "WHY IS HE at my work RIGHT NOW???"
    asked = s.start > 0 and s.words[s.start - 1] in PRESENT
    return (asked or (at < len(s.words) and s.words[at] in PRESENT)) and _right_now_in(
        s.tags, s.start, len(s.tags)
    )


PLEA = ("whisper", "guard:plea")  # the labels of a present-danger signal (round 7b)


def plea_in(reading: Reading) -> str:
    """The words of a present-danger signal in the message ("" if none): the writer can not
    make a sound (`whisper`: "can't talk", "he's listening") or is being pursued or hidden from
    this minute (`plea`: "still following me", "he is downstairs"), not after an "if / when"
    in its part ("what happens when you ring 999 and can't speak" asks about a case). Round 7b:
    a question that comes with one is a plea ("where do i go, still following me"), not an
    enquiry about 999; what separates it from "should i call 999 or 101 about last week"."""
    if reading.plea is None:
        reading.plea = _plea(reading)  # once per message: every guard of every finding asks
    return reading.plea


def _plea(reading: Reading) -> str:
    for tags, words, present in zip(reading.tags, reading.parts, reading.present, strict=True):
        if not any(label in present for label in PLEA) or "guard:online" in present:
            continue  # "i'm hiding from my ex on social media": not in person
        for i, t in enumerate(tags):
            if "guard:conditional" in t or "guard:hypothetical" in t or words[i] == "if":
                break  # what follows a conditional is a case asked about, not a fact
            for label in PLEA:
                ends = t.get(label)
                if ends:
                    return " ".join(words[i : max(ends)])
    return ""
