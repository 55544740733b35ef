"""What a reviewer signs: every text and phone number, its source, its review date, its hash.

The review status (due, never reviewed, dated in the future) is `safety-bot content report`'s,
reused as it is. Each item carries a SHA-256 of its words (for a number: its name and number),
so `manifest.json` of a signed pack lets the next pack flag exactly what changed since.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

from bot.content.catalog import Catalog
from bot.flows.yamlsource import Located, YamlProblem, load_yaml
from bot.ops.content_report import DEFAULT_MONTHS, build_report

MANIFEST_FORMAT = 1
NEW, CHANGED, SAME = "new", "changed", ""


class ManifestError(Exception):
    """The --since manifest cannot be read; the message says which file and why."""


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str
    url: str | None


@dataclass(frozen=True, slots=True)
class Entry:
    """One text or number as the pack shows and the manifest records it."""

    kind: str  # text | contact
    key: str
    words: str  # the text as written (placeholders kept), or "name: number"
    digest: str
    source: Source
    section: str | None
    reviewed: dt.date | None
    status: str  # content_report's: DUE, NO DATE, FUTURE or ok
    file: str
    line: int
    change: str = SAME  # NEW or CHANGED since the signed pack, else ""

    @property
    def flagged(self) -> bool:
        return self.status != "ok"

    def as_manifest(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "id": self.key,
            "sha256": self.digest,
            "source": self.source.id,
            "source_title": self.source.title,
            "section": self.section,
            "reviewed": self.reviewed.isoformat() if self.reviewed else None,
            "file": self.file,
        }


@dataclass(slots=True)
class Since:
    """The signed pack this one is compared with."""

    path: Path
    region: str
    generated: str
    digests: dict[tuple[str, str], str]


def digest(words: str) -> str:
    return hashlib.sha256(words.encode("utf-8")).hexdigest()


def load_sources(content_dir: Path, catalog: Catalog) -> dict[str, Source]:
    """Each source's title (as loaded) and its link, where sources.yaml has one."""
    urls: dict[str, str] = {}
    try:
        data = load_yaml(content_dir / "sources.yaml")
    except (YamlProblem, OSError):
        data = None
    if isinstance(data, Located):
        for sid, body in data.items():
            url = body.get("url") if isinstance(body, Located) else None
            if isinstance(url, str) and url.startswith(("https://", "http://")):
                urls[sid] = url
    return {sid: Source(sid, title, urls.get(sid)) for sid, title in catalog.sources.items()}


def load_since(path: Path) -> Since:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(
            f"{path}: no such file (give the signed pack's manifest.json)"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"{path}: not a review pack manifest ({exc})") from None
    if not isinstance(raw, dict) or raw.get("format") != MANIFEST_FORMAT:
        raise ManifestError(f"{path}: not a review pack manifest (format {MANIFEST_FORMAT})")
    digests = {}
    for item in raw.get("items", []):
        if isinstance(item, dict) and {"kind", "id", "sha256"} <= item.keys():
            digests[(str(item["kind"]), str(item["id"]))] = str(item["sha256"])
    return Since(path, str(raw.get("region", "")), str(raw.get("generated", "")), digests)


def build_entries(
    catalog: Catalog,
    content_dir: Path,
    *,
    months: int = DEFAULT_MONTHS,
    today: dt.date | None = None,
    since: Since | None = None,
) -> tuple[dict[tuple[str, str], Entry], dt.date]:
    """Every text and number by (kind, key), and the review cutoff date."""
    report, cutoff = build_report(catalog, content_dir, months=months, today=today)
    sources = load_sources(content_dir, catalog)
    root = content_dir.parent
    entries: dict[tuple[str, str], Entry] = {}
    for item in report:
        if item.kind == "text":
            words = catalog.texts[item.key].text
        else:
            card = catalog.contacts[item.key]
            words = f"{card.name}: {card.number}"
        try:
            file = str(item.path.relative_to(root))
        except ValueError:
            file = str(item.path)
        entry = Entry(
            item.kind,
            item.key,
            words,
            digest(words),
            sources.get(item.source, Source(item.source, "(not in sources.yaml)", None)),
            item.section,
            item.reviewed,
            item.status,
            file,
            item.line,
        )
        if since is not None:
            before = since.digests.get((item.kind, item.key))
            change = NEW if before is None else CHANGED if before != entry.digest else SAME
            entry = replace(entry, change=change)
        entries[(item.kind, item.key)] = entry
    return entries, cutoff


def removed_since(entries: dict[tuple[str, str], Entry], since: Since | None) -> list[str]:
    """Items the signed pack had and this one does not, as "kind id"."""
    if since is None:
        return []
    return sorted(f"{kind} {key}" for kind, key in since.digests if (kind, key) not in entries)


def manifest(
    entries: dict[tuple[str, str], Entry], region: str, generated: dt.date, months: int
) -> str:
    body = {
        "format": MANIFEST_FORMAT,
        "region": region,
        "generated": generated.isoformat(),
        "review_months": months,
        "items": [e.as_manifest() for e in sorted(entries.values(), key=lambda e: (e.kind, e.key))],
    }
    return json.dumps(body, ensure_ascii=False, indent=1) + "\n"
