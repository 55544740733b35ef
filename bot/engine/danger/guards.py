"""The guards that stop a grammar rule which matched: why a danger-sounding message is calm.

Each guard looks at one finding (a rule matched in one part of the message) and, when it stops
it, says so in words a reviewer reads in `safety-bot danger explain`. Their word lists are in
content/danger_grammar.yaml under `guards:`; a rule may `ignore:` any of them. In order:

- record: (for a match in the past tense, not "is / are / am") the message opens as a note to keep ("log this:", "note for my solicitor") and has no
  "right now" word anywhere ("today" does not count: records name their day): it is a record of the past, not a call for help;
- question: the part opens as a question ("should I call 999...?"), not as a request, and the
  match is not a statement of its own after it with no "if" between ("what should i do hes at
  the door", typed without a "?");
- hypothetical: a hypothetical word before the match ("in case he comes round"), or an "if"
  before it in its part with no "now" near (frames.py, round 6);
- idiom: an idiom or a harmless scene near the match ("this traffic is killing me", "a true
  crime podcast about..."): the danger words are not meant; unless the idiom comes first and a
  "just / now / still" comes between ("was watching eastenders and he's just turned up");
- not_a_person (frames.py, round 6): an animal, the weather or luck does it ("the wind is
  trying to get in");
- joke (frames.py, round 6): a joke mark ("lol") at or after the match, and no "now" near it;
- all_clear: the part says, at or after the match, that the person is safe or it is over ("the
  police are here and i'm safe", "he's gone"), not just after a negation ("i don't think he has
  gone") nor before words such as "to" ("he's gone to get a knife"); or (frames.py, round 6) a
  later part does, and nothing from the match on says "now / still / just";
- mistaken: in the match's part or a later one, a fright that was mistaken ("it wasn't him");
- negation / past / future words just before or inside the match, not the rule's own;
- habit: the message asks about a pattern ("he keeps...", "all the time": a "?", a question
  opener starting a part, or an `asks` phrase such as "should i") and has no "now";
- online: an online place just after the match ("following me on instagram");
- asked_not_now (frames.py, round 6): the message asks something, has no "now", and the match
  is not in the present tense; a borderline stop the classifier may overrule (JUDGED);
- past_time (frames.py): a past (or later) time in the part with no "now" there, or in a neighbouring part
  with no "now" in those parts. A match in the present tense ("he IS at my door") is stopped
  only in its own part, not by a time of `today` ("this morning"), and not when its part says
  `returned` ("back", "again": "the same lot from last night are back"). Only neighbours: in a
  long message the danger often comes last, sentences after "I reported him in May".

The guards of time and frame are in frames.py, what they look at (Scope) in scope.py, and the same
judgement for the classifier, which has no match to look around, in hold_back.py (round 6 split
them out of this file, which had passed 400 lines).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.engine.danger.frames import (
    all_clear_after,
    asked_not_now,
    identified,
    if_before,
    joke,
    not_a_person,
    not_urgent,
    past_time,
)
from bot.engine.danger.scope import (
    AFTER,
    ASKED,
    BEFORE,
    CLAUSE,
    IDIOM_BEFORE,
    PRESENT,
    RECORD_START,
    SUBJECTS,
    Scope,
    Stop,
    _all_clear_in,
    _first,
    _right_now_in,
    now_tense,
    plea_in,
    present_now,
)

if TYPE_CHECKING:
    from bot.engine.danger.grammar import Finding, Reading, Tags

GUARD_NAMES = (
    "negation",
    "past",
    "future",
    "past_time",
    "now",
    "right_now",
    "online",
    "idiom",
    "all_clear",
    "record",
    "mistaken",
    "habit",
    "joke",
    "not_a_person",
    "not_urgent",
)
# guards whose stop the classifier may overrule: the match counts when the classifier, too,
# reads the message as danger (round 6: the rules judged by the classifier on a borderline)
JUDGED = frozenset((ASKED,))
OPENER = "question_openers"
REQUEST = "requests"
HYPOTHETICAL = "hypothetical"
WITHOUT = "without"


def apply(reading: Reading, finding: Finding) -> bool:
    """Set `finding.blocked_by` to the first guard that stops it, and the words why. True when
    that guard looks at the whole part or message, not the match (PART_WIDE): every other way
    the rule matches in the part would be stopped the same way, so they need not be tried (round
    6: a long message with an all-clear or a pattern asked about at its end cost p99 0.1 ms)."""
    scope = Scope(reading, finding)
    for check in CHECKS:
        stopped = check(scope)
        if stopped is not None:
            finding.blocked_by, finding.because = stopped
            return check in PART_WIDE
    return False


def record(s: Scope) -> Stop:
    """The message opens as a note to keep and says nothing is happening "now"."""
    if "record" in s.rule.ignore:
        return None
    opener = record_opener(s.reading)
    if not opener or now_tense(s):
        return None  # a record is kept in the past tense: "diary: ... he IS at the window" is now
    return "record", opener


def question(s: Scope) -> Stop:
    """The part opens as a question ("should I call 999...?"), not as a request; unless a
    statement about now follows the question with no "if / when" between, which a message
    typed without a "?" runs into the same part ("what should i do hes at the door")."""
    opener = s.tags[0].get(f"guard:{OPENER}") if s.tags else None
    if OPENER in s.rule.ignore or not opener or s.tags[0].get(f"guard:{REQUEST}"):
        return None
    asked = _question_end(s.tags)
    if _statement_after(s, asked) or plea_in(s.reading) or present_now(s):
        return None  # a plea: "how do i call 999 without talking, he is downstairs" (round 7b)
    return "question", " ".join(s.words[:asked])


def _question_end(tags: Tags) -> int:
    """Where the question that opens a part ends: its opener ("what") or a longer question
    ("what should i do") starting there."""
    first = tags[0] if tags else {}
    ends: list[int] = [0, *first.get(f"guard:{OPENER}", ()), *first.get("guard:asks", ())]
    return max(ends)


def _statement_after(s: Scope, asked: int) -> bool:
    """The match starts a clause of its own ("he is ...", "someone is ...") after the question,
    and no conditional word ("if", "when") comes before it."""
    start = s.start
    # after a whole question ("what should i do | he is ...") at once; after a bare opener
    # ("what | ... he is") two words on, so that "is he outside" stays a question
    whole = "guard:asks" in s.tags[0] if s.tags else False
    if start - asked < (0 if whole else 2) or start + 1 >= len(s.words):
        return False
    if s.words[start] not in SUBJECTS or s.words[start + 1] not in PRESENT:
        return False
    # the opener itself may be one ("whenever i go out i think someone is following me")
    return not any("guard:conditional" in s.tags[i] for i in range(start))


def hypothetical(s: Scope) -> Stop:
    """A hypothetical word anywhere before the match ("in case he comes round")."""
    if HYPOTHETICAL in s.rule.ignore:
        return None
    for i in range(s.start):
        for stop in s.tags[i].get(f"guard:{HYPOTHETICAL}", ()):
            if present_now(s):
                return None  # "what do i do if he IS at the window RIGHT NOW" (round 7b)
            return "hypothetical", " ".join(s.words[i:stop])
    stopped = if_before(s)
    return None if stopped is None or present_now(s) else stopped


def idiom(s: Scope) -> Stop:
    """An idiom or a harmless scene from IDIOM_BEFORE words before the match to the end of the
    part (for a rule that is a whole part, in the next part too) ("listening to a true crime podcast about a man who broke in", "he set fire to my car
    years ago and it still gives me nightmares"), not further before ("he is watching a film in
    my living room and will not let me leave" is danger)."""
    if "idiom" in s.rule.ignore:
        return None
    if "guard:idiom" in s.present:
        for i in range(max(0, s.start - IDIOM_BEFORE), len(s.tags)):
            for stop in s.tags[i].get("guard:idiom", ()):
                if stop <= s.start and _right_now_in(s.tags, stop, s.end):
                    continue  # "was watching eastenders and he's JUST turned up at the door"
                if stop <= s.start and _own_clause(s, stop):
                    continue  # "been cooking AND i can see a man in my garden" (round 7b)
                if _inside_longer(s.tags[i], stop):
                    continue  # "carving" of "with my CARVING KNIFE": the longer entry wins
                return "idiom", " ".join(s.words[i:stop])
    # a cry that is a whole part ("help,", "knife!") is explained by the part after it
    # ("help, i can't work out how to use this app")
    after = s.part + 1
    if (
        s.rule.whole_part
        and after < len(s.reading.tags)
        and "guard:idiom" in s.reading.present[after]
    ):
        where = _first(s.reading.tags[after], "guard:idiom")
        if where:
            return "idiom", " ".join(s.reading.parts[after][slice(*where)])
    return None


def _inside_longer(tags: dict[str, list[int]], stop: int) -> bool:
    """A class entry (not a guard word) starts where the idiom does and ends after it
    ("carving knife" is a weapon, "carving" alone cooking) (round 7b)."""
    return any(not label.startswith("guard:") and max(ends) > stop for label, ends in tags.items())


def _own_clause(s: Scope, after: int) -> bool:
    """The match starts a clause of its own after the idiom: a clause word ("and", "so") between,
    and a person or "i" right after it ("after the quiz AND SOMEONE is following me")."""
    cut = [j for j in range(after, s.start) if s.words[j] in CLAUSE]
    if not cut:
        return False
    first = cut[-1] + 1
    return first < len(s.tags) and ("person" in s.tags[first] or s.words[first] == "i")


def all_clear(s: Scope) -> Stop:
    """The part says the person is safe or that it is over, and does not negate it."""
    if "all_clear" in s.rule.ignore or "guard:all_clear" not in s.present:
        return None
    where = _all_clear_in(s.tags, s.start)
    return ("all_clear", " ".join(s.words[slice(*where)])) if where else None


def mistaken(s: Scope) -> Stop:
    """In the match's part or a later one, the fright was mistaken ("i thought i saw him
    outside, but it wasn't him"); not in an earlier one ("it wasn't him last time, but...")."""
    if "mistaken" in s.rule.ignore:
        return None
    for p in range(s.part, len(s.reading.tags)):
        tags = s.reading.tags[p]
        where = _first(tags, "guard:mistaken") if "guard:mistaken" in s.reading.present[p] else None
        if where:
            return "mistaken", " ".join(s.reading.parts[p][slice(*where)])
    return None


def habit(s: Scope) -> Stop:
    """A pattern ("he keeps...", "all the time") asked about, with no "now" anywhere: "he keeps
    leaving gifts on my doorstep, do i bin them?" asks what to do about stalking, not for help
    this minute."""
    if "habit" in s.rule.ignore or plea_in(s.reading):
        return None
    why = habit_asked(s.reading)
    return ("habit", why) if why else None


def habit_asked(reading: Reading) -> str:
    """The habitual words of a message that asks about a pattern and has no "now" ("" if not)."""
    if reading.now_anywhere or not any("guard:habitual" in p for p in reading.present):
        return ""
    asked = reading.question_mark or any("guard:asks" in p for p in reading.present)
    if not asked:
        asked = any(_opens_as_question_part(tags) for tags in reading.tags)
    if not asked:
        return ""
    for tags, words in zip(reading.tags, reading.parts, strict=True):
        where = _first(tags, "guard:habitual")
        if where:
            return f"a pattern asked about ({' '.join(words[slice(*where)])!r}), and no 'now'"
    return ""


def near_words(s: Scope) -> Stop:
    """Negation, past and future words just before or inside the match, not its own. A
    "still" or "just" near the match lets a past word describe now ("he had his hands round my
    neck just now"); one far from it does not ("I was strangled in 2021 and I still get...")."""
    low, high = max(0, s.start - BEFORE), min(len(s.tags), s.end + AFTER)
    right_now = any("guard:right_now" in s.tags[i] for i in range(low, high))
    # "could you send someone": a request, not a maybe
    request = bool(s.tags) and f"guard:{REQUEST}" in s.tags[0]
    # a statement after a question: the question's words ("what SHOULD i do") are not its own
    opener = s.tags[0].get(f"guard:{OPENER}") if s.tags else None
    asked = _question_end(s.tags) if opener else 0
    low = max(low, asked) if opener and _statement_after(s, asked) else low
    # a new clause: "nobody came AND he is still outside" (round 5)
    low = max([low, *(i + 1 for i in range(low, s.start) if s.words[i] in CLAUSE)])
    for name in ("negation", "past", "future"):
        if name in s.rule.ignore or (name == "past" and right_now):
            continue
        if name == "future" and request:
            continue
        for i in range(low, s.end):
            for stop in s.tags[i].get(f"guard:{name}", ()):
                if s.consumed.intersection(range(i, stop)):
                    continue
                if stop in s.consumed and s.tags[stop].get("guard:negation"):
                    continue  # "will" of the rule's own "will not let me leave"
                if s.words[i] == WITHOUT and stop not in s.consumed:
                    continue  # "without" negates the word after it: "without TALKING he is ..."
                return name, " ".join(s.words[i:stop])
    return None


def online(s: Scope) -> Stop:
    """An online place just after the match ("following me on instagram")."""
    if "online" in s.rule.ignore:
        return None
    for i in range(s.end, min(len(s.words), s.end + AFTER)):
        for stop in s.tags[i].get("guard:online", ()):
            return "online", " ".join(s.words[i:stop])
    return None


CHECKS: tuple[Callable[[Scope], Stop], ...] = (
    record,
    question,
    hypothetical,
    idiom,
    not_a_person,
    joke,
    all_clear,
    mistaken,
    identified,
    all_clear_after,
    habit,
    near_words,
    online,
    not_urgent,
    past_time,
    asked_not_now,
)
# checks whose verdict does not depend on where the match is in its part (see apply)
PART_WIDE = frozenset((mistaken, habit, all_clear_after, not_urgent))


def _opens_as_question(reading: Reading) -> bool:
    """The message opens with a question opener that is not a request ("how can this bot help")."""
    return bool(reading.tags) and _opens_as_question_part(reading.tags[0])


def _opens_as_question_part(tags: Tags) -> bool:
    first = tags[0] if tags else {}
    return f"guard:{OPENER}" in first and f"guard:{REQUEST}" not in first


def record_opener(reading: Reading) -> str:
    """The words of a record opener at the start of the message ("log this"), when the message
    has no word that means this very minute (`right_now`: "now", "still", "just"); "" otherwise.
    A day word does not undo a record ("diary: he liked all my photos again today")."""
    if not reading.tags or any("guard:right_now" in p for p in reading.present):
        return ""
    tags = reading.tags[0]
    for i in range(min(RECORD_START, len(tags))):
        ends = tags[i].get("guard:record")
        if ends:
            return " ".join(reading.parts[0][i : max(ends)])
    return ""
