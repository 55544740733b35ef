"""The word forms and spelling knowledge the danger grammar needs, made once from libraries.

Make it again after editing the grammar: `safety-bot danger lexicon`.

Why a generated file (lexicon.json beside this module): the two libraries that know English are
slow to start (lemminflect ~1 s to load its tables, symspellpy's 82,765-word dictionary ~0.1-0.3 s
to read), and start-up must stay under 0.5 s. So `safety-bot danger lexicon` asks them
once and keeps only what the grammar uses:

- `forms`: every inflection of each word the grammar writes with "~" (lemminflect), e.g. follow ->
  follows, followed, following;
- `real_words`: the English words (symspellpy's bundled frequency dictionary) that lie within the
  spelling corrector's reach of a grammar word but are words in their own right ("hat" is not a
  typo of "hit", "bread" not of "break"), so they are never "corrected", and those that could be
  read as grammar words run together ("nowhere" is not "now here"), so they are never cut;
- `frequency`: how common each grammar word is, so a typo close to two grammar words goes to the
  likelier one.

The file carries a digest of the grammar it was made from. If the grammar changed and the file was
not made again, the detector makes the missing parts in memory (slower start-up, same answers) and
`tests/test_danger_grammar.py` fails until the file is made again.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

LEXICON_FILE = Path(__file__).with_name("lexicon.json")
# Edits allowed when correcting a word of this length (shorter words are never corrected).
MIN_CORRECTED = 4


def max_edits(word: str) -> int:
    """How far a typed word may be from the grammar word it is taken for."""
    if len(word) < MIN_CORRECTED:
        return 0
    return 1 if len(word) <= 5 else 2


# Parts of speech in the form tags lemminflect returns, by the grammar's "~" suffix.
_TAGS = {
    "": None,  # every form
    "ing": {"VBG"},
    "ed": {"VBD", "VBN"},
    "s": {"VB", "VBP", "VBZ", "NN", "NNS"},
}


def digest(lemmas: Iterable[str], vocabulary: Iterable[str]) -> str:
    text = "\n".join(sorted(set(lemmas))) + "\n--\n" + "\n".join(sorted(set(vocabulary)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def inflect(lemma: str, suffix: str) -> list[str]:
    """The forms of `lemma` selected by a "~" suffix ("", "ing", "ed", "s"), via lemminflect."""
    import lemminflect  # slow: only to build the lexicon

    found = lemminflect.getAllInflections(lemma) or lemminflect.getAllInflectionsOOV(lemma, "VERB")
    wanted = _TAGS.get(suffix)
    forms = {lemma} if suffix in ("", "s") else set()
    for tag, words in found.items():
        if wanted is None or tag in wanted:
            forms.update(words)
    return sorted(forms)


def _dictionary_path() -> Path:
    return Path(str(importlib.resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"))


def _dictionary_words() -> list[str]:
    with _dictionary_path().open(encoding="utf-8") as handle:
        return [line.partition(" ")[0] for line in handle]


def build(tilde_words: Iterable[tuple[str, str]], vocabulary: Iterable[str]) -> dict[str, Any]:
    """Make the lexicon for the grammar's "~" words and its whole vocabulary (slow: seconds)."""
    from symspellpy import SymSpell, Verbosity

    tilde = sorted(set(tilde_words))
    forms = {f"{lemma}~{suffix}": inflect(lemma, suffix) for lemma, suffix in tilde}
    vocab = set(vocabulary)
    for words in forms.values():
        vocab.update(words)
    vocab = {w for w in vocab if w.isalpha()}
    counts: dict[str, int] = {}
    with _dictionary_path().open(encoding="utf-8") as handle:
        for line in handle:
            word, _, count = line.partition(" ")
            counts[word] = int(count)
    speller = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    for word in vocab:
        speller.create_dictionary_entry(word, counts.get(word, 1))
    real_words = []
    for word in counts:
        if word in vocab or not word.isalpha() or max_edits(word) == 0:
            continue
        if speller.lookup(word, Verbosity.TOP, max_edit_distance=max_edits(word)):
            real_words.append(word)
    return {
        "digest": digest([f"{lemma}~{suffix}" for lemma, suffix in tilde], vocabulary),
        "forms": forms,
        "frequency": {w: counts.get(w, 1) for w in sorted(vocab)},
        "real_words": sorted(real_words),
    }


def load() -> dict[str, Any]:
    if not LEXICON_FILE.exists():
        return {"digest": "", "forms": {}, "frequency": {}, "real_words": []}
    data: dict[str, Any] = json.loads(LEXICON_FILE.read_text(encoding="utf-8"))
    return data


def rebuild(grammar_file: Path, target: Path = LEXICON_FILE) -> str:
    """Make lexicon.json again from the grammar (after editing content/danger_grammar.yaml)."""
    from bot.engine.danger.grammar import Grammar

    grammar = Grammar.from_file(grammar_file, lexicon={})
    data = build(grammar.tilde_words, grammar.vocabulary)
    # English words the reader would cut into grammar words ("somewhere" -> "some where",
    # "nowhere" -> "now here") are real words: kept whole, never cut nor corrected
    reader = Grammar.from_file(grammar_file, lexicon=data).reader
    kept = set(data["real_words"])
    data["real_words"] = sorted(
        kept | {w for w in _dictionary_words() if w not in kept and reader.would_cut(w)}
    )
    target.write_text(json.dumps(data, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    return (
        f"{target}: {len(data['forms'])} words with forms, "
        f"{len(data['real_words'])} real words kept from correction"
    )
