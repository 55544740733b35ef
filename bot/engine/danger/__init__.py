"""Spotting messages that say "I'm in danger now", so the emergency advice comes first.

A message is danger when, in any wording, it says that someone is here, outside, following,
getting in, hurting or threatening now; that the person is hurt, hiding or trapped; or that they
need the police or help now. The words live in content/danger_grammar.yaml, reviewable by people
who do not program; `safety-bot danger explain "TEXT"` prints why a message did or did not match.

Why a grammar and not a phrase list: the old list (kept in bench/old_danger_matcher.py as the
baseline) matched its own test corpus, written with it, 100%, and caught 32.9% of the danger
messages of a blind corpus. Measured on that corpus's held-aside part, once (docs/danger.md,
tests/test_danger_corpus.py): recall 85.4%, false alarms 11.6% (tuned part: 100% / 0.5%), short
of the issue's 97% / 10%. Cost: p99 ~0.87 ms CPU per 500-character message, ~0.07 s to load.
A false alarm costs little (the advice shows, the person carries on); a miss can cost a life: the
grammar leans toward raising the alarm.
"""

from __future__ import annotations

from pathlib import Path

from bot.engine.danger.grammar import Finding, Grammar, GrammarError, Reading

__all__ = ["DangerDetector", "Explanation", "GrammarError"]

GRAMMAR_FILE = "danger_grammar.yaml"
MAX_CHARS = 4096  # the engine passes at most MAX_TEXT characters; a guard for other callers


class Explanation:
    """Why a message is or is not danger: its parts as read, and each rule that matched."""

    __slots__ = ("text", "reading", "findings")

    def __init__(self, text: str, reading: Reading, findings: list[Finding]) -> None:
        self.text = text
        self.reading = reading
        self.findings = findings

    @property
    def is_danger(self) -> bool:
        return any(f.counts for f in self.findings)

    def __str__(self) -> str:
        lines = [f"DANGER: {self.text!r}" if self.is_danger else f"not danger: {self.text!r}"]
        for i, words in enumerate(self.reading.parts, 1):
            lines.append(f"  part {i} read as: {' '.join(words)}")
        if not self.findings:
            lines.append("  no rule matched")
        for f in self.findings:
            words = self.reading.parts[f.part]
            shown = " ... ".join(" ".join(words[s:e]) for s, e in f.spans)
            head = f"  rule {f.rule.name!r} matched [{shown}] in part {f.part + 1}"
            if f.counts:
                lines.append(f"{head}: counts ({f.rule.says})")
            else:
                lines.append(f"{head}: stopped by the {f.blocked_by} guard ({f.because})")
        return "\n".join(lines)


class DangerDetector:
    """Tells whether a free-text message signals immediate danger."""

    __slots__ = ("grammar",)

    def __init__(self, grammar: Grammar | None = None) -> None:
        self.grammar = grammar

    @classmethod
    def from_file(cls, path: Path) -> DangerDetector:
        """The detector for a grammar file (content/danger_grammar.yaml); none if it is missing."""
        if not path.exists():
            return cls(None)
        return cls(Grammar.from_file(path))

    @classmethod
    def from_content(cls, content_dir: Path) -> DangerDetector:
        return cls.from_file(content_dir / GRAMMAR_FILE)

    def is_danger(self, text: str) -> bool:
        if self.grammar is None or not text or text.lstrip().startswith("/") and " " not in text:
            return False  # no grammar, nothing, or a bare command (/help): not words to read
        reading = self.grammar.read(text[:MAX_CHARS])
        return any(f.counts for f in self.grammar.findings(reading))

    def explain(self, text: str) -> Explanation:
        """Every rule that matched and the guard that stopped each (for `danger explain`)."""
        if self.grammar is None:
            return Explanation(text, Reading([], []), [])
        reading = self.grammar.read(text[:MAX_CHARS])
        return Explanation(text, reading, self.grammar.findings(reading, stop_at_first=False))
