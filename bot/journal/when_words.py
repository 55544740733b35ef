"""The words people use for when something happened: parts of the day, clock times, ranges,
"about", "ago", and which runs of words in a longer message may be a time phrase.

bot/journal/when.py reads them; the table of phrasings they are tested on is in
tests/test_journal_when.py.
"""

from __future__ import annotations

import re

# How people say them; the longest match wins. "last night"/"tonight" also give the day.
PART_WORDS: tuple[tuple[str, str, int | None], ...] = (
    (r"on the way home from work|after work|after school", "evening", None),
    (r"first thing", "morning", None),
    (r"last night", "night", -1),
    (r"tonight|tonite", "night", 0),
    (r"this evening", "evening", 0),
    (r"this morning", "morning", 0),
    (r"this (?:afternoon|arvo)", "afternoon", 0),
    (
        r"(?:in )?the (?:early|small|wee) hours(?: of(?: the morning)?)?|early hours",
        "early_hours",
        None,
    ),
    (r"tea ?time|at tea", "teatime", None),
    (r"lunch ?time|at lunch|over lunch", "lunchtime", None),
    (r"(?:in the )?morning", "morning", None),
    (r"(?:in the )?(?:afternoon|arvo)", "afternoon", None),
    (r"(?:in the )?evening", "evening", None),
    (r"(?:at |in the )?night", "night", None),
)
APPROX = r"(?:about|around|round about|roughly|approximately|approx\.?|circa|abt|sometime around)"
AMPM = r"(?:\s*(?P<{}>a\.?m\.?|p\.?m\.?))?"
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
AGO = re.compile(
    r"\b(?P<n>\d+|an?|one|two|three|four|five|half an|a couple of|a few|few)\s+"
    r"(?P<unit>minutes?|mins?|hours?|hrs?)\s+ago\b"
)
NOW_RE = re.compile(r"\b(?P<w>just now|right now|a (?:few|couple of) minutes? ago|now)\b")
EARLIER = re.compile(r"\bearlier(?: today| on)?\b")
# 21:15, 9:30pm, 9.30pm (a dot only with am/pm: 12.03 may be a date), 9pm, noon...
CLOCK = (
    r"(?<![\d/:.])(?P<h{i}>\d{{1,2}})(?::(?P<m{i}>\d{{2}})|\.(?P<d{i}>\d{{2}})(?=\s*[ap]\.?m))?"
    r"(?:\s*(?P<ap{i}>[ap])\.?m\.?)?(?:\s*o'?clock)?"
)
HALF = re.compile(r"\bhalf (?:past )?(?P<h>\d{1,2})\b")
QUARTER = re.compile(r"\bquarter (?P<rel>past|to) (?P<h>\d{1,2})\b")
NAMED = re.compile(r"\b(?P<w>noon|midday|midnight)\b")
RANGE_RE = re.compile(
    r"(?:\b(?:between|from)\s+)?" + CLOCK.format(i=1) + r"\s*(?:and|to|till|until|-|–)\s*"
    r"" + CLOCK.format(i=2) + r"(?![/\d])"
)
RANGE_NEEDS = re.compile(r"\bbetween\b|\bfrom\b|[-–]|\d\s*[ap]\.?m|:")
TIME_RE = re.compile(
    r"(?:(?P<approx>" + APPROX + r")\s+)?(?:at\s+)?" + CLOCK.format(i=1) + r"(?P<ish>\s*-?ish)?"
    r"(?![/\d])"
)
ISH = re.compile(r"-?ish\b")
FILLER = re.compile(
    r"\b(?:on|at|the|in|of|sometime|some time|it was|was|around|about|and|from|approx)\b"
)
WEEK_BEFORE_LAST = re.compile(r"\b(?:the )?week before last\b")
WEEKDAY = re.compile(r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*")
ORDINAL_ALONE = re.compile(r"^(?:the )?(?P<d>\d{1,2})(?:st|nd|rd|th)$")
# For a longer message (quick capture): words that may belong to a time phrase.
VOCAB = re.compile(
    r"^(?:\d{1,2}(?::\d{2}|\.\d{2})?(?:[ap]\.?m\.?)?|\d{1,2}(?:st|nd|rd|th)|\d{1,2}/\d{1,2}(?:/\d{2,4})?"
    r"|[ap]\.?m\.?|o'?clock|-?ish|\d{1,2}ish|noon|midday|midnight|half|quarter|past|to|till|until"
    r"|between|and|from|at|on|the|in|of|this|last|next|ago|an?|few|couple|minutes?|mins?|hours?"
    r"|hrs?|days?|weeks?|just|right|now|earlier|today|tonight|tonite|yesterday|morning|afternoon"
    r"|arvo|evening|night|teatime|tea|lunchtime|lunch|early|small|wee|hours|first|thing|about"
    r"|around|roughly|approx|approximately|circa|before|week|fortnight|sometime"
    r"|mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|sat(?:urday)?"
    r"|sun(?:day)?|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|\d{1,2}|\d{4}|-|–)$"
)
EDGE = {
    "and",
    "to",
    "till",
    "until",
    "from",
    "at",
    "on",
    "the",
    "in",
    "of",
    "a",
    "an",
    "few",
    "-",
    "–",
    "half",
    "quarter",
    "past",
    "just",
    "right",
    "first",
    "before",
    "about",
    "around",
}
WEAK_ALONE = {"sat", "sun", "may", "march", "mar", "wed", "mon", "second", "now", "tea"}
ANCHOR = re.compile(
    r"\d[:.]\d{2}|\d\s*[ap]\.?m|ago\b|\byesterday\b|\btoday\b|\btonight|\btonite|\bnight\b"
    r"|\bmorning\b|\bafternoon\b|\barvo\b|\bevening\b|\bteatime\b|\btea time\b|\blunch"
    r"|\bearly hours|\bsmall hours|\bnoon\b|\bmidday\b|\bmidnight\b|\bjust now\b|\bright now\b"
    r"|\bearlier\b|\bweek\b|\bhalf \d|\bquarter (?:past|to) \d|\d/\d|\bbetween \d"
    r"|\b\d{1,2}(?:st|nd|rd|th)\b|\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\d\s*-?ish\b"
)


def normalise(text: str) -> str:
    lowered = text.casefold().replace("’", "'")
    lowered = re.sub(r"[^\w:./'\-– ]+", " ", lowered)
    lowered = re.sub(r"(?<=\d)(?=[ap]m\b)", "", lowered)
    return " ".join(lowered.split())[:200]


def original_words(text: str, words: str) -> str:
    """The person's own spelling of a phrase found inside their message (for quoting it)."""
    pattern = r"[\W_]*".join(re.escape(w) for w in words.split(" "))
    match = re.search(pattern, text, flags=re.IGNORECASE)
    return match.group(0) if match else words


def candidate_spans(cleaned: str) -> list[tuple[int, int]]:
    """Runs of time words in a message that hold an anchor, longest first."""
    tokens = cleaned.split(" ")
    spans: list[tuple[int, int]] = []
    start = None
    for index, token in enumerate([*tokens, "\x00"]):
        if token != "\x00" and VOCAB.match(token):
            if start is None:
                start = index
            continue
        if start is not None:
            first, last = start, index
            while first < last and tokens[first] in EDGE:
                first += 1
            while last > first and tokens[last - 1] in EDGE:
                last -= 1
            run = " ".join(tokens[first:last])
            if first < last and ANCHOR.search(run) and run not in WEAK_ALONE:
                spans.append((first, last))
            start = None
    # Longest first; a lone ordinal ("the 3rd time he called") only if nothing better is there.
    return sorted(
        spans,
        key=lambda s: (bool(ORDINAL_ALONE.match(" ".join(tokens[s[0] : s[1]]))), s[0] - s[1]),
    )
