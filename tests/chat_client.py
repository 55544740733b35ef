"""A test client that talks to the real engine the way a person does: send text, click buttons.

Tests read like the conversation:

    await chat.send("/start")
    await chat.click("No, not right now")
    assert "What would help" in chat.text
"""

from __future__ import annotations

from bot.engine.engine import Engine
from bot.engine.events import Event, Reply


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
