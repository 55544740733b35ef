"""Moving through the flows: entering a flow or step, running steps until one waits for the
person, and Back (to a flow's screen or to a feature's screen in the history)."""

from __future__ import annotations

import logging

from bot.engine.core import EngineCore
from bot.engine.events import Event
from bot.engine.machines import EXIT, parse_exit
from bot.engine.place import FEATURE_SCREEN
from bot.engine.registry import ActionFailed
from bot.engine.screens import Screens
from bot.engine.turn import Turn
from bot.flows.model import Step

log = logging.getLogger("bot.engine.engine")

MAX_HOPS = 40  # steps entered in one turn without waiting for the user (guards a loop)


class Moving:
    """Entering flows and steps, and going back."""

    def __init__(self, core: EngineCore, screens: Screens) -> None:
        self.machines = core.machines
        self.registry = core.registry
        self._current_step = core._current_step
        self._is_step = core._is_step
        self._show = screens._show

    async def _back(self, turn: Turn) -> None:
        """Back to the screen before the one the user sees: the last in the history if they see
        a feature's passing screen, else the one before the last."""
        history = turn.place.history
        if not turn.place.nav.can_go_back():
            turn.say("bot.nothing_to_go_back_to")
            await self._present_current(turn)
            return
        if not turn.place.nav.off_history:
            history.pop()
        flow, step = history[-1]
        if flow == FEATURE_SCREEN:
            await self._back_to_feature(turn, step)
            return
        if not self._is_step(flow, step):
            history.clear()
            await self._enter(turn, "menu")
            return
        turn.place.flow, turn.place.step = flow, step
        await self._present_current(turn)

    async def _back_to_feature(self, turn: Turn, data: str) -> None:
        """Back to a feature's screen: its button `data` shows it again (and keeps it in the
        history again). Under it, the user is on the flow screen they were on before it."""
        history = turn.place.history
        history.pop()
        handler = self.registry.button_handler_for(data)
        under = next((entry for entry in reversed(history) if entry[0] != FEATURE_SCREEN), None)
        if handler is None or (under is not None and not self._is_step(*under)):
            history.clear()
            await self._enter(turn, "menu")
            return
        # typed text goes where it went when the feature's screen was first shown
        turn.place.flow, turn.place.step = under if under is not None else (None, None)
        turn.event = Event.button(data)
        await handler(turn)

    async def _fire(self, turn: Turn, step: Step, trigger: str) -> None:
        machine = self.machines[turn.place.flow or ""]
        dest = machine.fire(step.id, trigger)
        await self._arrive(turn, dest)

    async def _arrive(self, turn: Turn, dest: str) -> None:
        if not dest.startswith(EXIT):
            turn.place.step = dest
            await self._run(turn)
            return
        kind, target = parse_exit(dest)
        if kind == "menu":
            await self._enter(turn, "menu")
        elif kind == "end":
            turn.place.flow, turn.place.step = None, None
            turn.place.slots.clear()
            turn.place.history.clear()
            turn.say("bot.goodbye")
        else:
            flow, _, at = (target or "").partition(EXIT)
            await self._enter(turn, flow, at or None)

    async def _enter(
        self, turn: Turn, flow: str, step: str | None = None, fresh: bool = True
    ) -> None:
        compiled = self.machines[flow]
        if fresh and flow not in ("emergency", turn.place.flow):
            turn.place.slots.pop(flow, None)
        if flow == "start":
            turn.place.nav.welcomed = True
        turn.place.flow = flow
        turn.place.step = step or compiled.flow.start
        await self._run(turn)

    async def _run(self, turn: Turn) -> None:
        """Enter steps until one waits for the user: show screens, run actions."""
        for _ in range(MAX_HOPS):
            step = self._current_step(turn)
            if step is None:
                await self._enter(turn, "menu")
                return
            if step.kind == "action":
                for key in step.say:
                    turn.say(key)
                try:
                    await self.registry.actions[step.action or ""](turn)
                except ActionFailed as failure:
                    if turn.place.flow is None or self._current_step(turn) is not step:
                        return
                    if step.on_error:
                        turn.say(failure.content_key)
                        await self._fire(turn, step, "fail")
                    else:
                        turn.say(failure.content_key)
                        self._back_to_last_screen(turn)
                        await self._present_current(turn)
                    return
                if self._current_step(turn) is not step:
                    return  # the action moved the user itself
                if await self._left_flow(turn, step):
                    return
                continue
            if step.interactive:
                self._remember(turn)
                self._show(turn, step)
                return
            # a screen with only `next`: show it and move on
            self._show(turn, step)
            if await self._left_flow(turn, step):
                return
        log.error("flow loop: more than %d steps without waiting for the user", MAX_HOPS)
        await self._enter(turn, "menu")

    async def _left_flow(self, turn: Turn, step: Step) -> bool:
        """Fire `next` from a step that does not wait; True if that left the flow (and arrived)."""
        dest = self.machines[turn.place.flow or ""].fire(step.id, "next")
        if dest.startswith(EXIT):
            await self._arrive(turn, dest)
            return True
        turn.place.step = dest
        return False

    def _back_to_last_screen(self, turn: Turn) -> None:
        if turn.place.history:
            turn.place.flow, turn.place.step = turn.place.history[-1]

    def _remember(self, turn: Turn, here: list[str] | None = None) -> None:
        turn.place.nav.remember(here or [turn.place.flow or "", turn.place.step or ""])

    async def _present_current(self, turn: Turn, repeat: bool = False) -> None:
        if await self._present_feature_screen(turn):
            return
        step = self._current_step(turn)
        if step is None or not step.interactive:
            await self._enter(turn, "menu")
            return
        self._remember(turn)  # a no-op unless a feature's screen was last in the history
        self._show(turn, step)

    async def _present_feature_screen(self, turn: Turn) -> bool:
        """If the user's last screen was a feature's (a journal list, an incident), show that
        one again, made afresh, not the flow screen under it: after a restart, "1" must mean
        what the person sees, not a button of an older screen."""
        history = turn.place.history
        if turn.presenting_feature or not history or history[-1][0] != FEATURE_SCREEN:
            return False
        if turn.place.nav.off_history:
            return False
        data = history[-1][1]
        handler = self.registry.button_handler_for(data)
        if handler is None:
            return False
        turn.presenting_feature = True  # a feature that shows "where you were" lands here once
        history.pop()  # the handler shows it again and keeps it again
        turn.event = Event.button(data)
        await handler(turn)
        return True
