"""When the classifier may not raise the alarm alone: the guards' judgement without a match.

The classifier (classifier.py) reads a message as a bag of n-grams, so it cannot tell "he broke
in last year" from "he broke in". It may not alarm alone on a message that is a record, names a
past time and no "now", has a question that stopped a rule, opens as a question with no "now",
an idiom, a joke mark ("lol"), an all-clear, a pattern asked about, or a phrase of at most four
words that names nobody. Each was chosen by cross-validation (`safety-bot danger cv`,
docs/danger.md); split out of guards.py (round 6) to keep each module about one concept.
Round 7a: a score at or above the classifier's confident line (0.90) is not held back by a calm
FRAME (a past time, a question, a record, a pattern asked about, a short phrase): trained on
thousands of real-style messages, a sure score outweighs the frame ("still following me. cant
shake him. where do i go"). The calm READINGS of the words themselves (FIRM: an idiom or joke, an
all-clear, a mistaken fright, not a person) hold whatever the score ("she helps me with the
shopping" scores 0.95 on its letters). Leaving each writer out: docs/danger.md "Round 7a".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.engine.danger.frames import NOT_A_PERSON
from bot.engine.danger.guards import _opens_as_question, habit_asked, record_opener
from bot.engine.danger.scope import _all_clear_in

if TYPE_CHECKING:
    from bot.engine.danger.grammar import Finding, Reading


NOT_A_PERSON_REASON = "the one doing it is not a person (the wind, a cat)"
IDIOM = "an idiom or a joke"
MISTAKEN = "a mistaken fright"
ALL_CLEAR = "the person says they are safe or it is over"
# what the words say is calm, not how the message is framed: no score overrides these (round 7a)
FIRM = frozenset((NOT_A_PERSON_REASON, IDIOM, MISTAKEN, ALL_CLEAR))


def held_back(reading: Reading, findings: list[Finding]) -> str:
    """Why the classifier may not raise the alarm alone ("" when it may); see the module text.
    Chosen by cross-validation (docs/danger.md). A rule's match stopped only by a borderline
    guard (guards.JUDGED, round 6) leaves the verdict to the classifier: never held back."""
    if any(f.judged for f in findings):
        return ""
    if reading.past_time_anywhere and not reading.now_anywhere:
        return "a past time and no 'now'"
    if any(f.blocked_by == NOT_A_PERSON for f in findings):
        return NOT_A_PERSON_REASON
    asked = {f.part for f in findings if f.blocked_by == "question"}
    if asked and not any(
        "guard:now" in present for p, present in enumerate(reading.present) if p not in asked
    ):
        # not when another part says "now" ("does this app call the police? I need them now")
        return "the question guard stopped a rule"
    if not reading.now_anywhere and _opens_as_question(reading):
        return "a question, and no 'now'"
    opener = record_opener(reading)
    if opener:
        return f"a record to keep ({opener!r}) and no 'now'"
    pattern = habit_asked(reading)
    if pattern:
        return pattern
    if _short_and_nobody(reading):
        return "a short phrase with nobody in it (an answer such as 'outside the shop')"
    for tags, present in zip(reading.tags, reading.present, strict=True):
        if "guard:idiom" in present or "guard:joke" in present:
            return IDIOM
        if "guard:mistaken" in present:
            return MISTAKEN
        if "guard:all_clear" in present and _all_clear_in(tags):
            return ALL_CLEAR
    return ""


SHORT = 4  # words: a phrase this short with no person in it is an answer, not an alarm
# the grammar's classes of people, and weapons (round 6: "knife at the door", typed as emoji, is
# the classifier's to judge; no calm message of the seen corpora is a short phrase naming one)
PEOPLE = ("person", "me", "child", "hiders", "weapon")


def _short_and_nobody(reading: Reading) -> bool:
    """A phrase of at most SHORT words that names nobody ("outside the Co-op", typed as the
    answer to "where did it happen?"): the classifier may not alarm on it alone. Short alarms
    the grammar knows ("knife", "door", "please come", "hes here") are its rules' to raise;
    on the corpora no danger message was caught by the classifier alone in this shape."""
    if sum(len(p) for p in reading.parts) > SHORT:
        return False
    return not any(label in present for present in reading.present for label in PEOPLE)
