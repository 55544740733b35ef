"""What every part of the engine reads: the project, the compiled flows, the registry, the danger
check, and where a person is in the flows.

The engine is composed, one object per concern, each handed the parts it uses when it is made:
`Screens(core)` (bot/engine/screens.py: what a screen shows), `Moving(core, screens)`
(bot/engine/navigation.py: entering steps, Back), `Dispatch(core, screens, moving)`
(bot/engine/dispatch.py: what an event means), and `Engine` (bot/engine/engine.py), the driver:
one event in, the place loaded and saved, replies out. A part names what it uses of another in
its `__init__`, so a reader sees each part's dependencies in one place.
"""

from __future__ import annotations

from bot.content.catalog import Catalog, ContactCard
from bot.engine.danger import DangerDetector
from bot.engine.events import Button
from bot.engine.machines import CompiledFlow
from bot.engine.place import Place
from bot.engine.registry import Registry
from bot.engine.turn import Turn
from bot.flows.loader import Project
from bot.flows.model import Step

# A screen made once for everyone: its text, buttons and contact cards.
RenderedScreen = tuple[str, tuple[Button, ...], tuple[ContactCard, ...]]


class EngineCore:
    """The flows and what every part reads of them (see the module docstring)."""

    def __init__(
        self, project: Project, registry: Registry, danger: DangerDetector | None = None
    ) -> None:
        self.project = project
        self.catalog: Catalog = project.catalog
        self.registry = registry
        self.danger = danger or DangerDetector()
        self.machines = {fid: CompiledFlow(f) for fid, f in project.flows.items()}
        # rendered screens without user data, by (flow, step, has Back): the same for everyone
        self.screens: dict[tuple[str, str, bool], RenderedScreen] = {}

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
