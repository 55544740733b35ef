"""docs/engine.md and flows/README.md name only things that exist: every `bot/...` path, every
`turn.NAME` a feature is told to use, every `registry.NAME` it is told to call."""

from __future__ import annotations

import inspect
import re

import pytest

from bot.engine.registry import Registry
from bot.engine.turn import Turn
from bot.settings import PROJECT_ROOT

DOCS = ["docs/engine.md", "flows/README.md"]


def text_of(doc: str) -> str:
    return (PROJECT_ROOT / doc).read_text(encoding="utf-8")


@pytest.mark.parametrize("doc", DOCS)
def test_every_path_named_exists(doc: str) -> None:
    paths = set(re.findall(r"\b(bot/[\w/]+(?:\.py)?)", text_of(doc)))
    assert paths, f"{doc} names no module"
    missing = [p for p in sorted(paths) if not (PROJECT_ROOT / p).exists()]
    assert missing == [], f"{doc} names paths that do not exist"


@pytest.mark.parametrize("doc", DOCS)
def test_every_turn_and_registry_name_exists(doc: str) -> None:
    text = text_of(doc)
    for owner, kind in (("turn", Turn), ("registry", Registry)):
        names = set(re.findall(rf"(?<![/\w]){owner}\.(\w+)", text))
        made_in_init = (
            set(re.findall(r"self\.(\w+) =", inspect.getsource(Turn.__init__)))
            if kind is Turn
            else set(vars(Registry()))
        )
        missing = [n for n in sorted(names) if not hasattr(kind, n) and n not in made_in_init]
        assert missing == [], f"{doc} names {owner}.{missing} that do not exist"


def test_the_how_to_names_the_api_a_feature_uses() -> None:
    guide = text_of("docs/engine.md").split("## How to add a feature", 1)[1].split("\n## ", 1)[0]
    for needed in ("registry.command(", "registry.action(", "registry.needs_steps(", "turn.state("):
        assert needed in guide
