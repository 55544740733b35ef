"""What every part of the engine shares: the project, the compiled flows, the registry and the
store, and where a person is in the flows. The parts build on it in one line:
`EngineCore` <- `Screens` (bot/engine/screens.py: what a screen shows) <- `Moving`
(bot/engine/navigation.py: entering steps, Back) <- `Dispatch` (bot/engine/dispatch.py: what an
event means) <- `Engine` (bot/engine/engine.py: one event in, replies out, the place kept).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import weakref
from collections import OrderedDict
from collections.abc import Callable

from bot.content.catalog import Catalog, ContactCard
from bot.engine.danger import DangerDetector
from bot.engine.events import Button
from bot.engine.machines import CompiledFlow
from bot.engine.place import ConversationStore, Place
from bot.engine.registry import Registry
from bot.engine.turn import Turn
from bot.flows.loader import Project
from bot.flows.model import Step

# A screen made once for everyone: its text, buttons and contact cards.
RenderedScreen = tuple[str, tuple[Button, ...], tuple[ContactCard, ...]]


class EngineCore:
    """The engine's shared state (see the module docstring for the parts built on it)."""

    def __init__(
        self,
        project: Project,
        registry: Registry,
        store: ConversationStore,
        *,
        danger: DangerDetector | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        max_cached_places: int = 10_000,
    ) -> None:
        self.project = project
        self.catalog: Catalog = project.catalog
        self.registry = registry
        self.store = store
        self.danger = danger or DangerDetector()
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.machines = {fid: CompiledFlow(f) for fid, f in project.flows.items()}
        self._places: OrderedDict[str, Place] = OrderedDict()
        # rendered screens without user data, by (flow, step, has Back): the same for everyone
        self._screens: dict[tuple[str, str, bool], RenderedScreen] = {}
        self._max_places = max_cached_places
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def _current_step(self, turn: Turn) -> Step | None:
        return self.current_step(turn.place)

    def current_step(self, place: Place) -> Step | None:
        """The step `place` is on, or None (outside every flow, or a step that is gone)."""
        nav = place.nav  # (read once: this runs several times a turn)
        compiled = self.machines.get(nav.flow) if nav.flow is not None else None
        return compiled.flow.steps.get(nav.step or "") if compiled is not None else None

    def _is_step(self, flow: str, step: str) -> bool:
        return flow in self.machines and step in self.machines[flow].flow.steps

    def _emergency_start(self) -> str:
        return self.machines["emergency"].flow.start
