"""Rules every screen follows, so a frightened person on a phone takes it in at a glance.

Checked by `safety-bot validate` and at start-up, like every other flow defect, each breach
naming the file, the line and the step:

- at most `MAX_LINES` lines of text on a screen (its `say` texts and its question together);
- at most `MAX_BUTTONS` buttons of its own on a screen, and at most `MAX_ANSWERS` answers (Skip
  included) on a choice question: a list of answers to pick one from, such as the kinds of
  incident, reads as one list. The engine adds "I'm in danger now" (first), Back and Menu
  (last) to every screen, always in the same place, so a flow may not add buttons in those
  words itself;
- emergency first: a screen's own way into the emergency advice (`btn.emergency`, the welcome's)
  is its first option, where the engine's emergency button stands on every other screen;
- no repeats on one screen: no number named twice, no sentence said twice;
- plain words: a term of `content/glossary.yaml` is explained on the first screen of a flow that
  uses it (its `explain` words stand on that screen), so later screens of the flow may use it bare.
"""

from __future__ import annotations

import re

from bot.content.catalog import PLACEHOLDER_RE, Catalog
from bot.flows.model import Flow, Step
from bot.flows.problems import Problem

MAX_LINES = 6
MAX_BUTTONS = 7
MAX_ANSWERS = 10
# the words the engine puts on every screen: a flow's own button may not say them again
ENGINE_BUTTONS = ("btn.emergency", "btn.back", "btn.menu", "menu.emergency")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def check_screens(flow: Flow, catalog: Catalog, problems: list[Problem]) -> None:
    """Append a `Problem` for each screen of `flow` that breaks one of the rules above."""
    explained: set[str] = set()
    for step in flow.steps.values():  # file order: a flow reads top to bottom
        text = _screen_text(step, catalog)
        if text is None:
            continue
        for message in (
            *_too_long(text),
            *_too_many_buttons(step, catalog),
            *_emergency_not_first(step),
            *_repeats(text),
            *_unexplained(text, catalog, explained),
        ):
            problems.append(Problem(flow.path, step.line, message, step.id))


def _screen_text(step: Step, catalog: Catalog) -> str | None:
    keys = [*step.say, *([step.ask] if step.ask else [])]
    if not keys or not all(catalog.has(k) for k in keys):
        return None  # unknown keys are reported by the flow checks
    return "\n".join(catalog.texts[k].text for k in keys)


def _too_long(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_LINES:
        return [f"{len(lines)} lines of text on one screen (at most {MAX_LINES}): split it"]
    return []


def _too_many_buttons(step: Step, catalog: Catalog) -> list[str]:
    found = []
    if step.kind == "screen" and len(step.options) > MAX_BUTTONS:
        found.append(
            f"{len(step.options)} buttons on one screen (at most {MAX_BUTTONS}): group them"
        )
    answers = len(step.choices) + (1 if step.optional else 0)
    if step.type == "choice" and answers > MAX_ANSWERS:
        found.append(f"{answers} answers to choose from (at most {MAX_ANSWERS})")
    engine_words = {catalog.texts[k].text for k in ENGINE_BUTTONS if catalog.has(k)}
    for option in step.options:
        if option.target.flow == "emergency" and option.label == "btn.emergency":
            continue  # the way into the emergency advice, in its one name: the engine adds none
        if option.label in ENGINE_BUTTONS or (
            catalog.has(option.label) and catalog.texts[option.label].text in engine_words
        ):
            found.append(
                f"button '{option.label}' repeats one the engine adds to every screen "
                "(emergency, Back, Menu): leave it out"
            )
    return found


def _emergency_not_first(step: Step) -> list[str]:
    into_emergency = [i for i, o in enumerate(step.options) if o.target.flow == "emergency"]
    if into_emergency and into_emergency[0] != 0:
        label = step.options[into_emergency[0]].label
        return [
            f"button '{label}' leads to the emergency advice but is option "
            f"{into_emergency[0] + 1}: the emergency button stands first on every screen"
        ]
    return []


def _repeats(text: str) -> list[str]:
    found = []
    numbers = [m.group(2) for m in PLACEHOLDER_RE.finditer(text) if m.group(1) == "contact"]
    for key in sorted({n for n in numbers if numbers.count(n) > 1}):
        found.append(f"the number {{contact:{key}}} is named twice on one screen")
    sentences = [s.strip().lower() for s in _SENTENCE_END.split(text.replace("\n", " "))]
    sentences = [s for s in sentences if len(s) > 3]
    for sentence in sorted({s for s in sentences if sentences.count(s) > 1}):
        found.append(f"the sentence '{sentence}' is said twice on one screen")
    return found


def _unexplained(text: str, catalog: Catalog, explained: set[str]) -> list[str]:
    found = []
    lowered = text.lower()
    for term in catalog.glossary:
        if term.term in explained:
            continue
        if re.search(rf"(?<!\w){re.escape(term.term.lower())}(?!\w)", lowered) is None:
            continue
        if term.explain.lower() in lowered:
            explained.add(term.term)
        else:
            found.append(
                f"'{term.term}' needs plain words the first time this flow uses it: "
                f"add '{term.explain}' beside it (content/glossary.yaml)"
            )
    return found
