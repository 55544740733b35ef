"""The danger grammar: word classes, rules over them, and the guards that stop a rule.

Everything a reviewer may change is in content/danger_grammar.yaml (its header explains the
format); this module only reads it and matches. Matching one part of a message:

1. Tag: every word position gets the classes (and guard lists, and rule words) whose entries start
   there, with where each entry ends (entries may be several words: "on his way").
2. Rules: a rule is a list of classes that must follow each other in the part with at most `gap`
   words between two of them. Every way a rule matches is tried until one passes the guards.
3. Guards (guards.py): a record opener, a question opener, a hypothetical word, an idiom, an
   all-clear, negation / past / future words near the match, an online place after it, a past
   time with no "now".

A rule's entries are exact words after reading (reading.py does spelling, typos and text-speak),
so the cost is a few dictionary look-ups per word plus short searches over the tags: well under
1 ms for a 500-character message (bench/bench_danger.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.engine.danger import guards
from bot.engine.danger import lexicon as lexicon_module
from bot.engine.danger.guards import GUARD_NAMES, HYPOTHETICAL, OPENER
from bot.engine.danger.reading import Reader

AGENT = "agent"  # a rule element: any word that can be a person ("Dave", "the neighbour")
FILLER_LONGEST = 4  # words in the longest entry of a class allowed beside a whole-part rule
MAX_TRIES = 64  # ways one rule may match one part before it is given up (guards a slow case)

Tags = list[dict[str, list[int]]]
# libyaml's loader when PyYAML has it: the pure-Python one takes ~0.1 s of start-up for this file
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class GrammarError(ValueError):
    """The grammar file is not as its header describes (names the entry)."""


@dataclass(slots=True, frozen=True)
class Rule:
    name: str
    says: str
    match: tuple[str, ...]
    gap: int = 2
    whole_part: bool = False
    allow: str = ""
    ignore: frozenset[str] = frozenset()
    now: bool = False  # counts only with a `now` word in the same part
    whole_message: bool = False  # a whole part that is the whole message (round 7b)


@dataclass(slots=True)
class Finding:
    """One way a rule matched one part, and the guard that stopped it (if any)."""

    rule: Rule
    part: int
    spans: tuple[tuple[int, int], ...]
    blocked_by: str = ""
    because: str = ""

    @property
    def counts(self) -> bool:
        return not self.blocked_by

    @property
    def judged(self) -> bool:
        """Stopped only by a guard whose stop the classifier may overrule (guards.JUDGED)."""
        return self.blocked_by in guards.JUDGED


@dataclass(slots=True)
class Reading:
    """A message as read: its parts, their tags, and what the guards need about the whole."""

    parts: list[list[str]]
    tags: list[Tags]
    starts: list[dict[str, list[int]]] = field(default_factory=list)  # label -> positions
    present: list[set[str]] = field(default_factory=list)  # the labels found in each part
    past_time_anywhere: bool = False
    now_anywhere: bool = False
    findings: list[Finding] = field(default_factory=list)
    question_mark: bool = False  # the message has a "?" (the parts lose their punctuation)
    plea: str | None = None  # the present-danger signal (scope.plea_in), found once (round 7b)


def _as_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise GrammarError(f"{where}: expected a list of words")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, str | int):
            raise GrammarError(f"{where}: {v!r} is not a word (write yes/no/on/off in quotes)")
    return [str(v) for v in value]


class Grammar:
    """The compiled grammar: a reader, an index of entries by first word, and the rules."""

    def __init__(self, data: Mapping[str, Any], lexicon: Mapping[str, Any] | None = None) -> None:
        spellings = {str(k): str(v) for k, v in (data.get("spellings") or {}).items()}
        rewrites = {str(k): str(v) for k, v in (data.get("rewrites") or {}).items()}
        plain = Reader(spellings, rewrites)  # reads the grammar's own entries (no typo fixing)
        classes = data.get("classes") or {}
        self.rules = [self._rule(raw, i, classes) for i, raw in enumerate(data.get("rules") or [])]
        split, self.tilde_words = _split(_entries(classes, data.get("guards") or {}, self.rules))
        self.vocabulary = sorted(
            {w for _, words in split for w in words if "~" not in w}
            | {w for v in spellings.values() for w in v.split()}
            | {w for k in rewrites for w in k.split()}
        )
        lex = lexicon_module.load() if lexicon is None else dict(lexicon)
        forms: dict[str, list[str]] = dict(lex.get("forms") or {})
        self.stale = lexicon is None and lex.get("digest") != lexicon_module.digest(
            [f"{lemma}~{suffix}" for lemma, suffix in self.tilde_words], self.vocabulary
        )
        if self.stale:
            # the grammar changed since lexicon.json was made: make the missing forms now (slow)
            for lemma, suffix in self.tilde_words:
                forms.setdefault(f"{lemma}~{suffix}", lexicon_module.inflect(lemma, suffix))
        self.members = _members(split, forms, plain)
        # classes only allowed beside a whole-part rule ("please", "at"): matched in `_whole`, not
        # tagged on every word (round 7b: fillers "at", "in", "the" cost 12% more tags otherwise)
        used = {e for rule in self.rules for e in rule.match}
        self._fillers = {
            rule.allow: frozenset(self.members.get(rule.allow, ()))
            for rule in self.rules
            if rule.allow and rule.allow not in used
        }
        for name, entries in self._fillers.items():
            if any(len(e) > FILLER_LONGEST for e in entries):
                raise GrammarError(f"classes.{name}: an entry longer than {FILLER_LONGEST} words")
        self._index_entries()
        # each rule with the tag labels of its elements, and those it needs present in a part
        self._compiled: list[tuple[Rule, tuple[str, ...], frozenset[str]]] = []
        for rule in self.rules:
            labels = tuple(e if e == AGENT or e in self.members else f"={e}" for e in rule.match)
            self._compiled.append((rule, labels, frozenset(x for x in labels if x != AGENT)))
        self.not_agent = {s[0] for s in self.members.get("not_agent", ()) if len(s) == 1}
        self.not_agent |= {s[0] for s in self.members.get("is", ()) if len(s) == 1}

        real = lex.get("real_words") or []
        all_words = {w for seqs in self.members.values() for seq in seqs for w in seq}
        self.reader = Reader(
            spellings,
            rewrites,
            # without the list of real words, correcting would turn "hat" into "hit": don't
            vocabulary=all_words | set(self.vocabulary) if real else (),
            real_words=real,
            frequency=lex.get("frequency") or {},
        )

    def _index_entries(self) -> None:
        """first word -> entry length -> words -> labels (one dict look-up per length), and the
        same split for speed: one-word entries by word, longer ones by their first two words
        (most word pairs start no entry: one look-up)."""
        self.index: dict[str, dict[int, dict[tuple[str, ...], list[str]]]] = {}
        for label, seqs in self.members.items():
            if label in self._fillers:
                continue
            for seq in seqs:
                same_size = self.index.setdefault(seq[0], {}).setdefault(len(seq), {})
                same_size.setdefault(seq, []).append(label)
        self.guard_labels = frozenset(m for m in self.members if m.startswith("guard:"))
        self._single: dict[str, tuple[str, ...]] = {}
        multi: dict[tuple[str, ...], dict[int, dict[tuple[str, ...], list[str]]]] = {}
        for first, by_len in self.index.items():
            if 1 in by_len:
                self._single[first] = tuple(by_len[1][(first,)])
            for size, entries in by_len.items():
                for seq, labels in entries.items() if size > 1 else ():
                    multi.setdefault(seq[:2], {}).setdefault(size, {})[seq] = labels
        self._multi = {pair: tuple(sorted(by.items())) for pair, by in multi.items()}

    @classmethod
    def from_file(cls, path: Path, lexicon: Mapping[str, Any] | None = None) -> Grammar:
        """The grammar in a file; a broken file stops start-up with a message naming it."""
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f", line {mark.line + 1}" if mark is not None else ""
            raise GrammarError(f"{path}{line}: not valid YAML ({exc})") from exc
        if not isinstance(data, dict):
            raise GrammarError(f"{path}: expected spellings, rewrites, classes, guards and rules")
        try:
            return cls(data, lexicon)
        except GrammarError as exc:
            raise GrammarError(f"{path}: {exc}") from exc

    @staticmethod
    def _rule(raw: Any, i: int, classes: Mapping[str, Any]) -> Rule:
        if not isinstance(raw, dict) or not raw.get("name") or not raw.get("match"):
            raise GrammarError(f"rules[{i}]: each rule needs a name and a match list")
        ignore = frozenset(_as_list(raw.get("ignore"), f"rules[{i}].ignore"))
        unknown = ignore - {*GUARD_NAMES, OPENER, HYPOTHETICAL}
        if unknown:
            raise GrammarError(f"rule {raw['name']!r}: no such guard {sorted(unknown)}")
        allow = str(raw.get("allow") or "")
        if allow and allow not in classes:
            raise GrammarError(f"rule {raw['name']!r}: allow names no class {allow!r}")
        return Rule(
            name=str(raw["name"]),
            says=str(raw.get("says") or ""),
            match=tuple(str(e) for e in _as_list(raw["match"], f"rules[{i}].match")),
            gap=int(raw.get("gap", 2)),
            whole_part=bool(raw.get("whole_part", False) or raw.get("whole_message", False)),
            allow=allow,
            ignore=ignore,
            now=bool(raw.get("now", False)),
            whole_message=bool(raw.get("whole_message", False)),
        )

    # ------------------------------------------------------------------ reading

    def _tag(self, words: list[str]) -> tuple[Tags, dict[str, list[int]]]:
        """Each position's labels with their ends, and each label's start positions."""
        tags: Tags = []
        starts: dict[str, list[int]] = {}
        n = len(words)
        single, multi = self._single, self._multi
        for i, word in enumerate(words):
            here: dict[str, list[int]] = {label: [i + 1] for label in single.get(word, ())}
            longer = multi.get((word, words[i + 1])) if i + 1 < n else None
            for size, entries in longer or ():
                end = i + size
                if end <= n:
                    for label in entries.get(tuple(words[i:end]), ()):
                        here.setdefault(label, []).append(end)
            # any word may name a person ("Dave"), except a guard word ("dreaming he is...")
            if word not in self.not_agent and word.isalpha() and self.guard_labels.isdisjoint(here):
                here[AGENT] = [i + 1]
            for label in here:
                starts.setdefault(label, []).append(i)
            tags.append(here)
        return tags, starts

    def read(self, text: str) -> Reading:
        parts = self.reader.parts(text)
        tagged = [self._tag(p) for p in parts]
        present = [set(starts) for _, starts in tagged]
        return Reading(
            parts=parts,
            tags=[tags for tags, _ in tagged],
            starts=[starts for _, starts in tagged],
            present=present,
            past_time_anywhere=any("guard:past_time" in p for p in present),
            now_anywhere=any("guard:now" in p for p in present),
            question_mark="?" in text,
        )

    # ------------------------------------------------------------------ matching

    @staticmethod
    def _ways(
        tags: Tags, starts: dict[str, list[int]], rule: Rule, labels: tuple[str, ...]
    ) -> Iterator[tuple[tuple[int, int], ...]]:
        """Every way the rule's elements follow each other in the part."""
        last = len(labels) - 1
        n = len(tags)
        gap = rule.gap

        Spans = tuple[tuple[int, int], ...]

        def extend(k: int, pos: int, spans: Spans) -> Iterator[Spans]:
            label = labels[k]
            for start in range(pos, min(n, pos + gap + 1)):
                for end in tags[start].get(label, ()):
                    if k == last:
                        yield (*spans, (start, end))
                    else:
                        yield from extend(k + 1, end, (*spans, (start, end)))

        first = labels[0]
        for start in starts.get(first, ()):
            for end in tags[start][first]:
                if last == 0:
                    yield ((start, end),)
                else:
                    yield from extend(1, end, ((start, end),))

    def findings(self, reading: Reading, stop_at_first: bool = True) -> list[Finding]:
        """Every rule match in the message with its verdict; by default only up to the first
        match that counts (all that `is_danger` needs)."""
        found: list[Finding] = []
        parts = reading.parts
        for p, tags in enumerate(reading.tags):
            present = reading.present[p]
            starts = reading.starts[p]
            for rule, labels, needs in self._compiled:
                if not needs <= present or (rule.now and "guard:now" not in present):
                    continue
                if rule.whole_message and len(reading.parts) != 1:
                    continue
                for tries, spans in enumerate(self._ways(tags, starts, rule, labels)):
                    if tries >= MAX_TRIES:
                        break
                    if rule.whole_part and not self._whole(tags, parts[p], spans, rule.allow):
                        continue
                    finding = Finding(rule, p, spans)
                    part_wide = self.guard(reading, finding)
                    found.append(finding)
                    if finding.counts:
                        if stop_at_first:
                            return found
                        break
                    if part_wide:
                        break  # every other way in this part is stopped the same way
        return found

    def _whole(
        self, tags: Tags, words: list[str], spans: tuple[tuple[int, int], ...], allow: str
    ) -> bool:
        covered = {i for s, e in spans for i in range(s, e)}
        fillers = self._fillers.get(allow)
        i = 0
        while i < len(tags):
            if i in covered:
                i += 1
                continue
            if fillers is not None:
                end = _filler_end(fillers, words, i)
            else:
                end = max(tags[i].get(allow) or [0])
            if not end:
                return False
            i = end
        return True

    # ------------------------------------------------------------------ guards

    @staticmethod
    def guard(reading: Reading, finding: Finding) -> bool:
        """Set `finding.blocked_by` to the first guard that stops it, and the words why; True
        when that guard looks at the whole part, not the match (guards.PART_WIDE)."""
        return guards.apply(reading, finding)


def _filler_end(fillers: frozenset[tuple[str, ...]], words: list[str], i: int) -> int:
    """Where the longest filler entry starting at word i ends (0: none starts there)."""
    for end in range(min(len(words), i + FILLER_LONGEST), i, -1):
        if tuple(words[i:end]) in fillers:
            return end
    return 0


def _entries(
    classes: Mapping[str, Any], guard_lists: Mapping[str, Any], rules: list[Rule]
) -> list[tuple[str, str]]:
    """Every entry as (label, text): class members, guard words, and a rule's own words."""
    raw: list[tuple[str, str]] = []
    for name, members in classes.items():
        raw += [(str(name), m) for m in _as_list(members, f"classes.{name}")]
    for name, members in guard_lists.items():
        raw += [(f"guard:{name}", m) for m in _as_list(members, f"guards.{name}")]
    for rule in rules:
        raw += [(f"={e}", e) for e in rule.match if e not in classes and e != AGENT]
    return raw


def _split(
    raw: list[tuple[str, str]],
) -> tuple[list[tuple[str, list[str]]], list[tuple[str, str]]]:
    """Entries cut into words ("~" words kept for their forms), and the "~" words themselves."""
    tilde_words: list[tuple[str, str]] = []
    split: list[tuple[str, list[str]]] = []
    for label, text in raw:
        words = []
        for word in text.split():
            lemma, tilde, suffix = word.partition("~")
            if tilde:
                tilde_words.append((lemma.casefold(), suffix))
            words.append(word.casefold() if tilde else word)
        split.append((label, words))
    return split, tilde_words


def _members(
    split: list[tuple[str, list[str]]], forms: Mapping[str, list[str]], plain: Reader
) -> dict[str, set[tuple[str, ...]]]:
    """Each label's entries as read, every form of a "~" word spelled out."""
    members: dict[str, set[tuple[str, ...]]] = {}
    for label, words in split:
        options: list[list[str]] = [[]]
        for word in words:
            lemma, tilde, suffix = word.partition("~")
            choices = forms.get(f"{lemma}~{suffix}", [lemma]) if tilde else [word]
            options = [o + [c] for o in options for c in choices]
        for option in options:
            seq = tuple(plain.words(" ".join(option), correct=False))
            if seq:
                members.setdefault(label, set()).add(seq)
    return members
