"""Where one user is: typed data the conversation store keeps (sealed) between events.

A `Place` is navigation (flow, step, history, what the last screen showed), slots (answers by
flow), replay bookkeeping (the keys of events already handled, an answer kept for a replay) and
one typed section per feature that declares one (`Section`). Its stored form is versioned JSON
(`to_json`, `PLACE_VERSION`); `from_json` also reads the version-less form saved before it, so
no one loses their place when this code is deployed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypedDict, TypeVar

PLACE_VERSION = 2
MAX_HISTORY = 30
MAX_HANDLED_KEYS = 8
# the flow part of a history entry that is a feature's screen: [FEATURE_SCREEN, its button data]
FEATURE_SCREEN = "!"

# The keys the engine kept in the untyped `data` dict before version 2 (read, never written).
_OLD_WELCOMED = "welcomed"
_OLD_SHOWN_BUTTONS = "_shown_buttons"
_OLD_HANDLED_KEYS = "_keys"
_OLD_KEPT_ANSWER = "_answer"
_OLD_OFF_HISTORY = "_off_history"
_OLD_ENGINE_KEYS = (
    _OLD_WELCOMED,
    _OLD_SHOWN_BUTTONS,
    _OLD_HANDLED_KEYS,
    _OLD_KEPT_ANSWER,
    _OLD_OFF_HISTORY,
)


class SlotEntry(TypedDict):
    """A slot as stored: its value and the words it was said back in."""

    v: Any
    d: str


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

    def stored(self) -> SlotEntry:
        return {"v": self.value, "d": self.display}


@dataclass(slots=True)
class Navigation:
    """Where the person is, what they can go back to, and what their last screen showed."""

    flow: str | None = None
    step: str | None = None
    # [flow, step] per screen seen, oldest first; [FEATURE_SCREEN, data] for a feature's screen
    history: list[list[str]] = field(default_factory=list)
    # the person sees a passing screen of a feature's (an offer, a confirmation), shown over
    # the last screen in the history without joining it: Back returns to that screen
    off_history: bool = False
    welcomed: bool = False
    # a feature's buttons shown last, as [label, data]: typing a number picks from these
    shown_buttons: list[list[str]] = field(default_factory=list)

    def remember(self, here: list[str]) -> None:
        if not self.history or self.history[-1] != here:
            self.history.append(here)
            del self.history[:-MAX_HISTORY]

    def can_go_back(self) -> bool:
        """Is there a screen to go back to from the one the user sees?"""
        return len(self.history) >= (1 if self.off_history else 2)

    def stored(self) -> dict[str, Any]:
        """The stored form, without the fields at their defaults (the lists are shared)."""
        stored: dict[str, Any] = {"flow": self.flow, "step": self.step, "history": self.history}
        if self.off_history:
            stored["off_history"] = True
        if self.welcomed:
            stored["welcomed"] = True
        if self.shown_buttons:
            stored["shown_buttons"] = self.shown_buttons
        return stored


_NAV_FIELDS = frozenset(f.name for f in dataclasses.fields(Navigation))


@dataclass(slots=True)
class KeptAnswer:
    """The whole answer to an event, for when the channel delivers that event again."""

    key: str
    replies: list[list[Any]]


@dataclass(slots=True)
class Replay:
    """Which events were handled (their keys, newest last) and the answer kept for the last."""

    keys: list[str] = field(default_factory=list)
    kept: KeptAnswer | None = None

    def handled(self, key: str) -> bool:
        return key in self.keys

    def add(self, key: str) -> None:
        self.keys = [*self.keys, key][-MAX_HANDLED_KEYS:]

    def answer_for(self, key: str) -> list[list[Any]] | None:
        return self.kept.replies if self.kept is not None and self.kept.key == key else None


S = TypeVar("S")


class Section(Generic[S]):
    """A feature's own typed part of the place (declared once, at module level).

    `kind` is a dataclass of JSON-ready fields with defaults (str, int, bool, lists and dicts of
    them); its stored form is its fields (shallow), left out while all are at their defaults.
    A feature reads and changes it with `turn.state(SECTION)`; unknown stored fields are
    ignored, missing ones take their default.
    `legacy` reads the section from the untyped `data` keys a feature kept before it declared
    one (called when no stored section exists and `data` holds keys). It must remove the keys
    it read: a section at its defaults is not stored, so `legacy` may be called again later.
    """

    __slots__ = ("kind", "legacy", "name")

    def __init__(
        self,
        name: str,
        kind: type[S],
        legacy: Callable[[dict[str, Any]], S | None] | None = None,
    ) -> None:
        if not dataclasses.is_dataclass(kind):
            raise TypeError(f"section {name!r}: {kind!r} is not a dataclass")
        self.name = name
        self.kind = kind
        self.legacy = legacy

    def load(self, raw: Any) -> S:
        names = {f.name for f in dataclasses.fields(self.kind)}  # type: ignore[arg-type]
        known = {k: v for k, v in raw.items() if k in names} if isinstance(raw, dict) else {}
        return self.kind(**known)


class Place:
    """Where one user is (see the module docstring). `flow`, `step` and `history` are the
    navigation's, named on the place for the engine's and tools' convenience."""

    __slots__ = ("data", "nav", "replay", "sections", "slots")

    def __init__(
        self,
        flow: str | None = None,
        step: str | None = None,
        slots: dict[str, dict[str, SlotEntry]] | None = None,
        history: list[list[str]] | None = None,
        data: dict[str, Any] | None = None,
        *,
        nav: Navigation | None = None,
        replay: Replay | None = None,
        sections: dict[str, Any] | None = None,
    ) -> None:
        self.nav = nav or Navigation(flow, step, history or [])
        self.slots: dict[str, dict[str, SlotEntry]] = slots or {}
        self.replay = replay or Replay()
        # a feature's section: its typed object once read this run, else its stored JSON
        self.sections: dict[str, Any] = sections or {}
        # untyped keys of features that declare no section yet (the journal, while it moves)
        self.data: dict[str, Any] = data or {}

    # ---------------------------------------------------------------- navigation

    @property
    def flow(self) -> str | None:
        return self.nav.flow

    @flow.setter
    def flow(self, value: str | None) -> None:
        self.nav.flow = value

    @property
    def step(self) -> str | None:
        return self.nav.step

    @step.setter
    def step(self, value: str | None) -> None:
        self.nav.step = value

    @property
    def history(self) -> list[list[str]]:
        return self.nav.history

    @history.setter
    def history(self, value: list[list[str]]) -> None:
        self.nav.history = value

    # ---------------------------------------------------------------- slots

    def slot(self, flow: str, name: str) -> Slot | None:
        entry = self.slots.get(flow, {}).get(name)
        return Slot.of(entry) if entry is not None else None

    def set_slot(self, flow: str, name: str, slot: Slot) -> None:
        self.slots.setdefault(flow, {})[name] = slot.stored()

    def drop_slot(self, flow: str, name: str) -> None:
        self.slots.get(flow, {}).pop(name, None)

    def displays(self, flow: str) -> dict[str, str]:
        """A flow's answers as said back, by slot name (what `{slot:...}` in a text shows)."""
        return {name: Slot.of(entry).display for name, entry in self.slots.get(flow, {}).items()}

    # ---------------------------------------------------------------- sections

    def state(self, section: Section[S]) -> S:
        """A feature's section, made (from its stored form, its legacy keys or its defaults) the
        first time it is asked for; changes to it are saved with the place."""
        held = self.sections.get(section.name)
        if isinstance(held, section.kind):
            return held
        made: S | None = None
        if held is None and section.legacy is not None and self.data:
            made = section.legacy(self.data)
        if made is None:
            made = section.load(held or {})
        self.sections[section.name] = made
        return made

    def reset(self) -> None:
        """Forget everything (the person's data was erased; the event goes on from nothing)."""
        self.nav = Navigation()
        self.slots.clear()
        self.replay = Replay()
        self.sections.clear()
        self.data.clear()

    # ---------------------------------------------------------------- stored form

    def to_json(self) -> dict[str, Any]:
        """The stored form: only what differs from a new place (a default field, an empty part
        or a section at its defaults is left out; `from_json` gives them back), and the live
        lists shared, not copied. Both matter for speed: the place is sealed and written on
        every turn, and a deep copy of it cost 40% of a turn (docs/engine.md, Benchmarks)."""
        stored: dict[str, Any] = {"v": PLACE_VERSION, "nav": self.nav.stored()}
        if self.slots:
            stored["slots"] = self.slots
        replay = self.replay
        if replay.keys or replay.kept is not None:
            kept = replay.kept
            stored["replay"] = {
                "keys": replay.keys,
                "kept": [kept.key, kept.replies] if kept is not None else None,
            }
        sections = {}
        for name, held in self.sections.items():
            plain = _stored_section(held)
            if plain is not None:
                sections[name] = plain
        if sections:
            stored["sections"] = sections
        if self.data:
            stored["data"] = self.data
        return stored

    to_dict = to_json  # the name the store and older callers use

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Place:
        if raw.get("v") != PLACE_VERSION:
            return cls._from_version_1(raw)
        nav_raw = raw.get("nav") or {}
        nav = Navigation(**{k: v for k, v in nav_raw.items() if k in _NAV_FIELDS})
        replay_raw = raw.get("replay") or {}
        kept = replay_raw.get("kept")
        replay = Replay(
            keys=list(replay_raw.get("keys") or []),
            kept=KeptAnswer(kept[0], kept[1]) if kept else None,
        )
        return cls(
            slots=raw.get("slots") or {},
            data=raw.get("data") or {},
            nav=nav,
            replay=replay,
            sections=dict(raw.get("sections") or {}),
        )

    from_dict = from_json

    @classmethod
    def _from_version_1(cls, raw: dict[str, Any]) -> Place:
        """The form saved before version 2: navigation and replay were untyped `data` keys."""
        data = dict(raw.get("data") or {})
        kept = data.get(_OLD_KEPT_ANSWER)
        nav = Navigation(
            flow=raw.get("flow"),
            step=raw.get("step"),
            history=raw.get("history") or [],
            off_history=bool(data.get(_OLD_OFF_HISTORY)),
            welcomed=bool(data.get(_OLD_WELCOMED)),
            shown_buttons=data.get(_OLD_SHOWN_BUTTONS) or [],
        )
        replay = Replay(
            keys=list(data.get(_OLD_HANDLED_KEYS) or []),
            kept=KeptAnswer(kept["k"], kept["r"])
            if isinstance(kept, dict) and "k" in kept
            else None,
        )
        for key in _OLD_ENGINE_KEYS:
            data.pop(key, None)
        return cls(slots=raw.get("slots") or {}, data=data, nav=nav, replay=replay)


def _stored_section(held: Any) -> Any:
    """A section's stored form: its fields (JSON-ready by contract, so shared, not copied), or
    None when they are all at their defaults. A section still in its stored form (not read this
    run) is kept as it is."""
    kind = type(held)
    if kind is dict:
        return held
    names, default = _SECTION_FORMS.get(kind) or _learn_section(kind)
    plain = {name: getattr(held, name) for name in names}
    return None if plain == default else plain


def _learn_section(kind: type) -> tuple[tuple[str, ...], dict[str, Any]]:
    names = tuple(f.name for f in dataclasses.fields(kind))
    blank = kind()
    form = _SECTION_FORMS[kind] = (names, {name: getattr(blank, name) for name in names})
    return form


_SECTION_FORMS: dict[type, tuple[tuple[str, ...], dict[str, Any]]] = {}


class ConversationStore(Protocol):
    """Where places live between events (bot.store.conversations implements it)."""

    def user_ref(self, user_id: str) -> str: ...

    async def load_place(self, user_ref: str) -> dict[str, Any] | None: ...

    async def save_place(self, user_ref: str, place: dict[str, Any]) -> None: ...

    async def delete_place(self, user_ref: str) -> None: ...
