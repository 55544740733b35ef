"""Where one user is: the plain data the conversation store keeps (sealed) between events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

PLACE_VERSION = 1
SHOWN_BUTTONS = "_shown_buttons"  # place.data: a feature's buttons shown last, as [label, data]


@dataclass(frozen=True, slots=True)
class Slot:
    """One answer: its value, and the words it was said back in."""

    value: Any
    display: str

    @classmethod
    def of(cls, entry: Any) -> Slot:
        """From its stored form ({"v": value, "d": display})."""
        if isinstance(entry, Slot):
            return entry
        return cls(entry.get("v"), str(entry.get("d", "")))

    def stored(self) -> dict[str, Any]:
        return {"v": self.value, "d": self.display}


class ConversationStore(Protocol):
    """Where places live between events (bot.store.conversations implements it)."""

    def user_ref(self, user_id: str) -> str: ...

    async def load_place(self, user_ref: str) -> dict[str, Any] | None: ...

    async def save_place(self, user_ref: str, place: dict[str, Any]) -> None: ...

    async def delete_place(self, user_ref: str) -> None: ...


@dataclass(eq=False)
class Place:
    """Where one user is. Plain data: it is what the store keeps (encrypted)."""

    flow: str | None = None
    step: str | None = None
    slots: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    history: list[list[str]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def set_slot(self, flow: str, name: str, slot: Slot) -> None:
        self.slots.setdefault(flow, {})[name] = slot.stored()

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": PLACE_VERSION,
            "flow": self.flow,
            "step": self.step,
            "slots": self.slots,
            "history": self.history,
            "data": self.data,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Place:
        return cls(
            flow=raw.get("flow"),
            step=raw.get("step"),
            slots=raw.get("slots") or {},
            history=raw.get("history") or [],
            data=raw.get("data") or {},
        )
