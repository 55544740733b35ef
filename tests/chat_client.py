"""A test client that talks to the real engine the way a person does: send text, click buttons.

Tests read like the conversation:

    await chat.send("/start")
    await chat.click("No, not right now")
    assert "What would help" in chat.text

or, so that rewording a screen in `content/` touches no test, in content ids rendered through
the catalog:

    await chat.press("btn.skip")
    chat.expect("journal.logged", number=1)   # slots not named match anything
"""

from __future__ import annotations

import functools
import re

from bot.content.catalog import PLACEHOLDER_RE, Catalog, load_catalog
from bot.engine.engine import Engine
from bot.engine.events import Event, Reply
from bot.settings import PROJECT_ROOT, Settings


class ChatClient:
    def __init__(self, engine: Engine, user_id: str = "test:1") -> None:
        self.engine = engine
        self.user_id = user_id
        self.replies: list[Reply] = []

    async def send(self, text: str) -> list[Reply]:
        return await self._handle(Event.from_text(text))

    async def event(self, event: Event) -> list[Reply]:
        return await self._handle(event)

    async def click(self, label: str) -> list[Reply]:
        """Press the button with this label (or containing it) on the last screen shown."""
        for reply in reversed(self.replies):
            for button in reply.buttons:
                if button.label == label or label in button.label:
                    return await self._handle(Event.button(button.data))
            if reply.buttons:
                break
        raise AssertionError(f"no button {label!r} on the last screen; buttons: {self.buttons}")

    async def _handle(self, event: Event) -> list[Reply]:
        self.replies = await self.engine.handle(self.user_id, event)
        return self.replies

    @property
    def text(self) -> str:
        """Everything the last event's replies said, joined."""
        return "\n".join(r.text for r in self.replies)

    @property
    def buttons(self) -> list[str]:
        for reply in reversed(self.replies):
            if reply.buttons:
                return [b.label for b in reply.buttons]
        return []

    @property
    def contacts(self) -> list[str]:
        return [c.number for r in self.replies for c in r.contacts]

    # ---------------------------------------------------------------- in content ids

    @property
    def catalog(self) -> Catalog:
        return self.engine.catalog

    def words(self, key: str, **slots: object) -> str:
        """The catalog's text for `key`, its slots filled with `slots`."""
        return self.catalog.text(key, {k: str(v) for k, v in slots.items()})

    async def press(self, key: str, **slots: object) -> list[Reply]:
        """Press the button whose label is the catalog's text for `key`."""
        label = self.words(key, **slots)
        for reply in reversed(self.replies):
            for button in reply.buttons:
                if label_is(button.label, label):
                    return await self._handle(Event.button(button.data))
            if reply.buttons:
                break
        raise AssertionError(f"no button {key} ({label!r}) on the last screen: {self.buttons}")

    def expect(self, key: str, **slots: object) -> None:
        """Assert that the last replies said the text `key`; slots not named match anything."""
        pattern = said_pattern(self.catalog, key, {k: str(v) for k, v in slots.items()})
        assert re.search(pattern, self.text), f"{key} not said; the bot said: {self.text!r}"


def label_is(shown: str, label: str) -> bool:
    """Whether a button shown as `shown` is the one whose words are `label` (the channel or the
    engine may put an icon before the words, as on the emergency button)."""
    return shown == label or shown.lstrip("🚨📞 ") == label


def said_pattern(catalog: Catalog, key: str, slots: dict[str, str]) -> str:
    """A regular expression for the text of `key` as the engine renders it."""
    text = catalog.texts[key].text.strip()
    parts: list[str] = []
    at = 0
    for match in PLACEHOLDER_RE.finditer(text):
        parts.append(re.escape(text[at : match.start()]))
        kind, name = match.group(1), match.group(2)
        if kind == "slot":
            # a slot not named may run over lines (a summary, a list)
            parts.append(re.escape(slots[name]) if name in slots else "(?s:.*?)")
        else:
            card = catalog.contacts[name]
            parts.append(re.escape(card.number if kind == "contact" else card.name))
        at = match.end()
    parts.append(re.escape(text[at:]))
    return "".join(parts)


@functools.cache
def project_catalog() -> Catalog:
    """The real project's catalog, as a bot or console subprocess loads it (once per process):
    for tests that read what a subprocess printed or sent."""
    settings = Settings(data_dir=PROJECT_ROOT / "unused")  # only its content and region
    problems: list = []
    loaded = load_catalog(settings.content_dir, settings.region, problems)
    assert not problems, problems
    return loaded


def project_words(key: str, **slots: object) -> str:
    """The real project's text for `key`, its slots filled with `slots`."""
    return project_catalog().text(key, {k: str(v) for k, v in slots.items()})


def project_said(text: str, key: str, **slots: object) -> bool:
    """Whether `text` (what a subprocess printed) says the real project's text for `key`;
    slots not named match anything."""
    pattern = said_pattern(project_catalog(), key, {k: str(v) for k, v in slots.items()})
    return re.search(pattern, text) is not None
