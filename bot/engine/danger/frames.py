"""The guards of time and frame: when a message's frame says its danger words are not about now.

- past_time: a past (or later) time in the part with no "now" there, or in a neighbouring part
  with no "now" in those parts. A match in the present tense ("he IS at my door") is stopped
  only in its own part, not by a time of `today` ("this morning"), and not when its part says
  `returned` ("back", "again": "the same lot from last night are back"). For a match in the
  past tense only a "now" near it undoes the time (round 6: "he grabbed me by the throat in
  March and I've only just told anyone"). A month named alone is a time ("20 Sept - ...").
- joke (round 6): a joke mark ("lol", "haha", an emoji read as "lol") at or after the match, no
  "now" near it: "I'm gonna kill my brother he ate my yoghurt 😂".
- if before the match (round 6, part of `hypothetical`): "police said if he comes back i can
  ring 999".
- all-clear after (round 6): a later part says the person is safe or it is over, and nothing
  from the match on says "now / still / just": "they've cuffed him ..., I'm ok".

Round 6 measured each on every seen corpus (docs/danger.md): no danger message lost.
"""

from __future__ import annotations

from bot.engine.danger.scope import (
    AFTER,
    ASKED,
    BEFORE,
    CLAUSE,
    IF,
    NOW_AFTER,
    PRESENT,
    Scope,
    Stop,
    _all_clear_in,
    _past_time_in,
    _right_now_in,
    plea_in,
    present_now,
)
from bot.engine.danger.scope import now_tense as is_now


def if_before(s: Scope) -> Stop:
    """An "if" before the match in its part, and no "now / still / just / tonight" in the part:
    "what do i do if he's at the door again, 999 or 101?", "police said if he comes back i can
    ring 999" (round 6; an "if" in the part before stopped danger: "if I run out the back will
    he see me? he's at the front")."""
    if "guard:now" in s.present:
        return None
    if IF in s.words[: s.start]:
        return "hypothetical", f"{IF} ... (before it)"
    return None


def joke(s: Scope) -> Stop:
    """A joke mark ("lol", "haha", "😂") at or after the match, in its part or a later one, with no
    "now / still / just" near the match: "i'm gonna kill my brother he ate my yoghurt 😂",
    "there's a man at the door selling fish, do i have to answer lol" (round 6: 8 calm messages
    of the seen corpora, no danger one; a joke mark before the match does not stop it: "lol he's
    outside again")."""
    if "joke" in s.rule.ignore:
        return None
    low, high = max(0, s.start - BEFORE), min(len(s.tags), s.end + AFTER)
    if _right_now_in(s.tags, low, high):
        return None
    for p in range(s.part, len(s.reading.tags)):
        if "guard:joke" not in s.reading.present[p]:
            continue
        for i in range(s.start if p == s.part else 0, len(s.reading.tags[p])):
            if "guard:joke" in s.reading.tags[p][i]:
                return "joke", s.reading.parts[p][i]
    return None


def all_clear_after(s: Scope) -> Stop:
    """A later part says the person is safe or it is over, and no part from the match on says
    "now / still / just": "they've cuffed him and put him in the car, I'm ok" (round 6)."""
    if "all_clear" in s.rule.ignore:
        return None
    if "person" in s.tags[s.start] and any(s.words[i] in PRESENT for i in s.consumed):
        return None  # "he IS here. i'm ok. not sure what to do": ok for now, he is here (7b)
    later = range(s.part + 1, len(s.reading.tags))
    if any("guard:right_now" in s.reading.present[p] for p in range(s.part, len(s.reading.tags))):
        return None
    for p in later:
        if "guard:all_clear" in s.reading.present[p]:
            where = _all_clear_in(s.reading.tags[p])
            if where:
                return "all_clear", " ".join(s.reading.parts[p][slice(*where)])
    return None


def past_time(s: Scope) -> Stop:
    """A past (or later) time in the part with no "now" there, or in a neighbouring part with
    no "now" in the part or its neighbours."""
    if "past_time" in s.rule.ignore:
        return None
    now_tense = is_now(s) or any(_can_sense(s.words, i) for i in s.consumed)
    if now_tense and "guard:returned" in s.present:
        return None  # "the same lot from last night ARE BACK outside": a return, now
    where = _past_time_in(s.tags, today_counts=not now_tense)
    if where is not None and not _now_for(s, now_tense, where):
        return "past_time", " ".join(s.words[slice(*where)])
    if now_tense:
        # "he was arrested last week | he IS at my door": another part's past does not stop a
        # match in the present tense (round 5, from corpus 4's held-aside half)
        return None
    near = s.reading.present[max(0, s.part - 1) : s.part + 2]
    if any("guard:past_time" in p for p in near) and not any("guard:now" in p for p in near):
        return "past_time", "a past time in the next part, and no 'now'"
    return None


def _can_sense(words: list[str], i: int) -> bool:
    """ "can" before a verb of the senses is now ("i CAN hear a key in the lock"); "can not"
    is not (round 7b: "i can't call because i'm deaf" is how things are, not this minute)."""
    return words[i] == "can" and i + 1 < len(words) and words[i + 1] in SENSES


SENSES = frozenset(("hear", "see", "smell"))


def _now_for(s: Scope, now_tense: bool, where: tuple[int, int]) -> bool:
    """A "now" that undoes the part's past time. For a match in the present tense any "now" in
    the part does; for one in the past tense ("he GRABBED me by the throat in March") only a "now"
    near the match, not one that speaks of something else further on ("...and I've only just
    told anyone", "...that's really serious even now") (round 6)."""
    if now_tense:
        return "guard:now" in s.present
    low = max(0, min(s.start, where[0]) - BEFORE)
    high = min(len(s.tags), max(s.end, where[1]) + NOW_AFTER)
    # not a "now" word inside the past time itself ("earlier TODAY he drove past the house")
    inside = range(*where)
    return any("guard:now" in s.tags[i] for i in range(low, high) if i not in inside)


WRITER = frozenset(("me",))


def asked_not_now(s: Scope) -> Stop:
    """The message asks something (a "?", "should i", "what do i do"), says nothing of "now"
    anywhere, and the match is not in the present tense ("is / are / am"): "what do I do if he's
    chappin the door again, phone 999 or the other one?", "i've got a knife block on my list,
    is that weird". A borderline stop: the classifier is its judge (guards.JUDGED): the match
    counts when the classifier, too, reads the message as danger ("he's following me 😰 what do i
    do", "how do i get out, he's blocked the door"). Round 6: on the seen corpora this stop
    alone lost 12 danger messages, and the classifier scored every one of them 0.83 or more
    and the calm ones of the danger corpora 0.06 or less."""
    if "question_openers" in s.rule.ignore or s.reading.now_anywhere:
        return None
    if any("guard:asks_now" in p for p in s.reading.present) or plea_in(s.reading):
        return None  # a question from someone who can not talk, or is followed now (round 7b)
    if any(s.words[i] in PRESENT for i in range(s.start, s.end)):
        return None  # "someone IS following me what do i do" (the "is" need not be the rule's)
    if any(s.words[i] in WRITER for i in s.consumed):
        return None  # "he punched ME, should i ring someone?": done to the writer, maybe just now
    reading = s.reading
    asked = reading.question_mark or any("guard:asks" in p for p in reading.present)
    if not asked:
        return None
    return ASKED, "a question, the match not in the present tense, and no 'now'"


def identified(s: Scope) -> Stop:
    """From the match on, the one there is named as someone ordinary (`identify` then
    `harmless`: "there's a man outside, IT IS THE WINDOW CLEANER", "he's at the door... THE
    PLUMBER I MEAN", "he's in the house but it's MY SON") (round 7b)."""
    if "mistaken" in s.rule.ignore:
        return None
    reading = s.reading
    for p in range(s.part, len(reading.tags)):
        if "guard:harmless" not in reading.present[p]:
            continue
        tags, words, starts = reading.tags[p], reading.parts[p], reading.starts[p]
        after = s.end if p == s.part else 0
        for i in starts.get("guard:identify", ()):
            for stop in tags[i]["guard:identify"] if i >= after else ():
                if any("guard:harmless" in tags[j] for j in range(stop, min(len(tags), stop + 2))):
                    return "mistaken", " ".join(words[i : stop + 2])
        for i in starts["guard:harmless"]:
            end = max(tags[i]["guard:harmless"])
            if i >= after and words[end : end + 2] == ["i", "mean"]:
                return "mistaken", " ".join(words[i : end + 2])
    return None


def not_urgent(s: Scope) -> Stop:
    """The writer says it is not urgent or not happening now ("nothing urgent", "not happening
    now, just want advice", "will message later"): every rule in the message is stopped
    (round 7b); not a match in the present tense with "now" ("just wanted to know if that flag
    runs out? ... he's across the road RIGHT NOW looking at the house")."""
    if present_now(s) or ("person" in s.tags[s.start] and is_now(s)):
        return None  # "can't talk, HE IS HERE, will message later": not for a person here now
    # round 7c: nor, from another sentence, for what is happening as they write ("I can SEE him
    # through the blind. I just want to know if the texts can be used in court.")
    sensed = any(_can_sense(s.words, i) for i in range(max(0, s.start - 2), s.end))
    for p, (tags, words, present) in enumerate(
        zip(s.reading.tags, s.reading.parts, s.reading.present, strict=True)
    ):
        if "guard:not_urgent" in present and not (sensed and p != s.part):
            where = next(
                (i, max(t["guard:not_urgent"]))
                for i, t in enumerate(tags)
                if "guard:not_urgent" in t
            )
            return "not_urgent", " ".join(words[slice(*where)])
    return None


NOT_A_PERSON = "not_a_person"


def not_a_person(s: Scope) -> Stop:
    """The one doing it is not a person: an animal, the weather, luck (`not_people`) in the
    match's first word or before it in its clause, and no person named before the match: "the wind is
    trying to get in", "the seagulls outside are trying to break in" (round 6), not "HE'S got my
    cat and is threatening to kill it". The classifier is held back too (hold_back.py)."""
    if "idiom" in s.rule.ignore or NOT_A_PERSON in s.rule.ignore:
        return None
    if any("person" in s.tags[i] for i in range(s.start)):
        return None
    # its own clause: "the cat shot in terrified AND the back door's rattling" is danger
    low = max([0, *(i + 1 for i in range(s.start) if s.words[i] in CLAUSE)])
    for i in range(low, min(s.start + 1, len(s.tags))):
        ends = s.tags[i].get("guard:not_people")
        if ends:
            return NOT_A_PERSON, " ".join(s.words[i : max(ends)])
    return None
