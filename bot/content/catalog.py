"""The bot's words and its phone numbers, loaded from `content/`, and how a text is rendered.

Texts are keyed by id, each citing its source. Numbers live once, in `contacts.yaml` (plus the
region pack), and texts refer to them as `{contact:KEY}` / `{name:KEY}`, so a number is never
typed twice and every screen knows which numbers it names (the channels offer them as cards).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.flows.problems import Problem
from bot.flows.yamlsource import Located, YamlProblem, load_yaml

KEY_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
PLACEHOLDER_RE = re.compile(r"\{(contact|name|slot):([A-Za-z0-9_]+)\}")
# A run of 3+ digits (optionally spaced) typed straight into a text: numbers belong in contacts.yaml.
TYPED_NUMBER_RE = re.compile(r"(?<![\w{:/.])\d(?:[\d ]{1,}\d)(?![\w}:/])")

YEAR_RE = re.compile(r"^(19|20)\d\d$")  # "the 1997 Act" is a year, not a number to dial
TEXT_KEYS = {"text", "source", "section", "reviewed", "note"}
CONTACT_KEYS = {"name", "number", "source", "section", "reviewed", "note"}
SOURCE_KEYS = {"title", "url", "note"}
REGION_KEYS = {"contacts", "texts", "name"}
SPECIAL_FILES = {
    "contacts.yaml",
    "sources.yaml",
    "danger_grammar.yaml",  # read by bot.engine.danger, not texts
    "danger_examples.yaml",  # the danger classifier's training examples, not texts
    "danger_training.yaml",  # which files train the danger classifier (round 7a), not texts
    "source_checklist.yaml",
    "glossary.yaml",
    "ask_like.yaml",  # the words people use for each advice screen (bot/ask)
}


@dataclass(frozen=True)
class ContactCard:
    """A phone number the user can tap: the channel renders it (Telegram: sendContact)."""

    key: str
    name: str
    number: str


@dataclass(frozen=True)
class TextItem:
    key: str
    text: str
    source: str
    section: str | None
    reviewed: dt.date | None
    path: Path
    line: int


@dataclass(frozen=True)
class Term:
    """A word a reader may not know, and the plain words that must stand beside it."""

    term: str
    explain: str
    line: int


@dataclass
class Catalog:
    texts: dict[str, TextItem] = field(default_factory=dict)
    contacts: dict[str, ContactCard] = field(default_factory=dict)
    contact_sources: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    region: str = "cheshire"
    glossary: list[Term] = field(default_factory=list)

    def has(self, key: str) -> bool:
        return key in self.texts

    def render(
        self, key: str, slots: dict[str, str] | None = None
    ) -> tuple[str, list[ContactCard]]:
        """The text for `key` with placeholders filled, and the contacts it names, in order."""
        item = self.texts[key]
        cards: list[ContactCard] = []

        def fill(match: re.Match[str]) -> str:
            kind, name = match.group(1), match.group(2)
            if kind == "slot":
                return (slots or {}).get(name, "")
            card = self.contacts[name]
            if kind == "contact":
                if card not in cards:
                    cards.append(card)
                return card.number
            return card.name

        return PLACEHOLDER_RE.sub(fill, item.text).strip(), cards

    def uses_slots(self, key: str) -> bool:
        """Does this text show something the user gave (so it cannot be cached for everyone)?"""
        return "{slot:" in self.texts[key].text

    def text(self, key: str, slots: dict[str, str] | None = None) -> str:
        return self.render(key, slots)[0]

    def count(self, key: str, count: int) -> str:
        """A number with its words, from `KEY.one` (for 1) or `KEY.other` (any other number),
        each with `{slot:count}`: "1 incident", "2 incidents"."""
        return self.text(f"{key}.{'one' if count == 1 else 'other'}", {"count": str(count)})


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _unknown_keys(
    mapping: Located, allowed: set[str], path: Path, what: str, problems: list[Problem]
) -> None:
    for key in mapping:
        if key not in allowed:
            problems.append(Problem(path, mapping.line_of(key), f"unknown key '{key}' in {what}"))


def _load_sources(path: Path, catalog: Catalog, problems: list[Problem]) -> None:
    data = load_yaml(path)
    if not isinstance(data, Located):
        problems.append(Problem(path, 1, "sources.yaml must be a mapping of source ids"))
        return
    for sid, body in data.items():
        if not isinstance(body, Located) or not isinstance(body.get("title"), str):
            problems.append(Problem(path, data.line_of(sid), f"source '{sid}' needs a title"))
            continue
        _unknown_keys(body, SOURCE_KEYS, path, f"source '{sid}'", problems)
        catalog.sources[sid] = body["title"]


def _check_cited(
    body: Located, path: Path, what: str, catalog: Catalog, problems: list[Problem]
) -> tuple[str, str | None]:
    source = body.get("source")
    section = body.get("section")
    if not isinstance(source, str):
        problems.append(Problem(path, body.line, f"{what} has no source"))
        return "", None
    if source not in catalog.sources:
        problems.append(Problem(path, body.line_of("source"), f"{what}: unknown source '{source}'"))
    if source != "bot" and not isinstance(section, str):
        problems.append(Problem(path, body.line, f"{what} cites '{source}' but names no section"))
    return source, section if isinstance(section, str) else None


def _load_contacts(data: object, path: Path, catalog: Catalog, problems: list[Problem]) -> None:
    if not isinstance(data, Located):
        problems.append(Problem(path, getattr(data, "line", 1), "contacts must be a mapping"))
        return
    for key, body in data.items():
        line = data.line_of(key)
        if not KEY_RE.match(key) or "." in key:
            problems.append(Problem(path, line, f"contact id '{key}' must be [a-z0-9_]+"))
            continue
        if not isinstance(body, Located):
            problems.append(Problem(path, line, f"contact '{key}' must be a mapping"))
            continue
        _unknown_keys(body, CONTACT_KEYS, path, f"contact '{key}'", problems)
        name, number = body.get("name"), body.get("number")
        if not isinstance(name, str) or not isinstance(number, str | int):
            problems.append(Problem(path, line, f"contact '{key}' needs a name and a number"))
            continue
        cited = _check_cited(body, path, f"contact '{key}'", catalog, problems)
        catalog.contacts[key] = ContactCard(key, name, str(number))
        catalog.contact_sources[key] = cited


def _load_texts(
    data: object, path: Path, catalog: Catalog, problems: list[Problem], override: bool
) -> None:
    if not isinstance(data, Located):
        problems.append(Problem(path, getattr(data, "line", 1), "texts must be a mapping of ids"))
        return
    for key, body in data.items():
        line = data.line_of(key)
        if not KEY_RE.match(key):
            problems.append(Problem(path, line, f"text id '{key}' must be dotted [a-z0-9_]"))
            continue
        if not isinstance(body, Located) or not isinstance(body.get("text"), str):
            problems.append(Problem(path, line, f"text '{key}' needs a 'text'"))
            continue
        _unknown_keys(body, TEXT_KEYS, path, f"text '{key}'", problems)
        if key in catalog.texts and not override:
            first = catalog.texts[key]
            problems.append(
                Problem(
                    path, line, f"duplicate text id '{key}' (first in {first.path}:{first.line})"
                )
            )
            continue
        source, section = _check_cited(body, path, f"text '{key}'", catalog, problems)
        catalog.texts[key] = TextItem(
            key, body["text"], source, section, _as_date(body.get("reviewed")), path, line
        )


def _check_placeholders(catalog: Catalog, problems: list[Problem]) -> None:
    for item in catalog.texts.values():
        for match in PLACEHOLDER_RE.finditer(item.text):
            kind, name = match.group(1), match.group(2)
            if kind in ("contact", "name") and name not in catalog.contacts:
                problems.append(
                    Problem(item.path, item.line, f"text '{item.key}': unknown contact '{name}'")
                )
        bare = PLACEHOLDER_RE.sub("", item.text)
        for stray in re.finditer(r"\{[^}]*\}", bare):
            problems.append(
                Problem(
                    item.path, item.line, f"text '{item.key}': unknown placeholder {stray.group(0)}"
                )
            )
        typed = next(
            (m for m in TYPED_NUMBER_RE.finditer(bare) if not YEAR_RE.match(m.group(0))), None
        )
        if typed:
            problems.append(
                Problem(
                    item.path,
                    item.line,
                    f"text '{item.key}': number '{typed.group(0)}' typed in the text; "
                    "use {contact:KEY} from contacts.yaml",
                )
            )


def _load_glossary(path: Path, catalog: Catalog, problems: list[Problem]) -> None:
    data = load_yaml(path)
    if not isinstance(data, list):
        problems.append(Problem(path, 1, "the glossary is a list of {term, explain}"))
        return
    for item in data:
        line = getattr(item, "line", 1)
        if not (
            isinstance(item, Located)
            and isinstance(item.get("term"), str)
            and isinstance(item.get("explain"), str)
        ):
            problems.append(Problem(path, line, "each glossary entry needs 'term' and 'explain'"))
            continue
        _unknown_keys(item, {"term", "explain"}, path, "a glossary entry", problems)
        catalog.glossary.append(Term(item["term"], item["explain"], line))


def load_catalog(content_dir: Path, region: str, problems: list[Problem]) -> Catalog:
    """Load every content file; defects are appended to `problems`, never raised."""
    catalog = Catalog(region=region)

    def guarded(path: Path, fn: Callable[[Path], None]) -> None:
        try:
            fn(path)
        except YamlProblem as exc:
            problems.append(Problem(exc.path, exc.line, exc.message))

    sources_path = content_dir / "sources.yaml"
    if not sources_path.exists():
        problems.append(Problem(sources_path, 1, "missing: every content item cites a source here"))
    else:
        guarded(sources_path, lambda p: _load_sources(p, catalog, problems))

    contacts_path = content_dir / "contacts.yaml"
    if contacts_path.exists():
        guarded(contacts_path, lambda p: _load_contacts(load_yaml(p), p, catalog, problems))
    else:
        problems.append(Problem(contacts_path, 1, "missing: the registry of phone numbers"))

    glossary_path = content_dir / "glossary.yaml"
    if glossary_path.exists():
        guarded(glossary_path, lambda p: _load_glossary(p, catalog, problems))

    for path in sorted(content_dir.glob("*.yaml")):
        if path.name in SPECIAL_FILES:
            continue
        guarded(path, lambda p: _load_texts(load_yaml(p), p, catalog, problems, override=False))

    region_path = content_dir / "regions" / f"{region}.yaml"
    if not region_path.exists():
        problems.append(Problem(region_path, 1, f"no region pack for region '{region}'"))
    else:

        def load_region(p: Path) -> None:
            data = load_yaml(p)
            if not isinstance(data, Located):
                problems.append(Problem(p, 1, "a region pack must be a mapping"))
                return
            _unknown_keys(data, REGION_KEYS, p, "the region pack", problems)
            if data.get("contacts"):
                _load_contacts(data["contacts"], p, catalog, problems)
            if data.get("texts"):
                _load_texts(data["texts"], p, catalog, problems, override=True)

        guarded(region_path, load_region)

    _check_placeholders(catalog, problems)
    return catalog
