"""What a screen shows: its texts, its own buttons, and the navigation every screen shares.

One place decides the navigation: `frame` orders a screen's buttons ("I'm in danger now" first,
in the same words on every screen, then its own, then Back and Menu, always last) and `back_possible` decides whether there is a screen to go back to.
Flow screens (`_show`), a feature's screens (`_feature_screen`) and a turn that ended without
buttons (`_emergency_within_reach`) all go through them, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from bot.content.catalog import ContactCard
from bot.engine.buttons import (
    GLOBAL_BACK,
    GLOBAL_CARRY_ON,
    GLOBAL_EMERGENCY,
    GLOBAL_MENU,
    GLOBAL_SKIP,
    token,
)
from bot.engine.core import EngineCore, RenderedScreen
from bot.engine.events import Button, Reply
from bot.engine.place import FEATURE_SCREEN, Place
from bot.engine.turn import Turn
from bot.flows.model import Step


@dataclass(frozen=True, slots=True)
class Frame:
    """Which shared buttons a screen gets."""

    emergency: bool = True
    back: bool = False
    menu: bool = True


def back_possible(history_length: int, screen_in_history: bool) -> bool:
    """Is there a screen to go back to? The history ends with the screen shown, if it joined
    it; a passing screen (an offer, a confirmation) did not, so one entry is enough."""
    return history_length >= (2 if screen_in_history else 1)


def frame(own: Sequence[Button], shared: Frame, label: Callable[[str], str]) -> list[Button]:
    """A screen's buttons in their one order: emergency first, its own, then Back and Menu.

    Emergency stands at the top of every screen, in the same words (issue 18). Where a screen's
    own first option is the way into the emergency advice (the welcome's), it is that button,
    and the validator (bot/flows/screen_rules.py) keeps it first.
    """
    buttons = [Button(label("btn.emergency"), GLOBAL_EMERGENCY)] if shared.emergency else []
    buttons.extend(own)
    if shared.back:
        buttons.append(Button(label("btn.back"), GLOBAL_BACK))
    if shared.menu:
        buttons.append(Button(label("btn.menu"), GLOBAL_MENU))
    return buttons


class Screens:
    """Rendering: flow screens, a feature's screens, the emergency screen, /help."""

    def __init__(self, core: EngineCore) -> None:
        self.catalog = core.catalog
        self.machines = core.machines
        self.registry = core.registry
        self._screens = core.screens
        self._emergency_start = core._emergency_start

    def _show(self, turn: Turn, step: Step) -> None:
        flow = turn.place.flow or ""
        has_back = back_possible(len(turn.place.history), screen_in_history=True)
        cached = self._screens.get((flow, step.id, has_back))
        if cached is None:
            cached = self._render(turn.place, step, has_back)
            keys = [*step.say, *([step.ask] if step.ask else [])]
            if not any(self.catalog.uses_slots(key) for key in keys):
                self._screens[(flow, step.id, has_back)] = cached  # same for every user
        text, buttons, cards_shown = cached
        turn.replies.append(
            Reply(
                text=text,
                buttons=list(buttons),
                contacts=list(cards_shown),
                screen=step.interactive,
            )
        )

    def _render(self, place: Place, step: Step, has_back: bool) -> RenderedScreen:
        slot_values = place.displays(place.flow or "")
        texts: list[str] = []
        cards: list[ContactCard] = []
        for key in [*step.say, *([step.ask] if step.ask else [])]:
            text, found = self.catalog.render(key, slot_values)
            texts.append(text)
            cards.extend(c for c in found if c not in cards)
        return "\n\n".join(texts), tuple(self._buttons(place, step, has_back)), tuple(cards)

    def _buttons(self, place: Place, step: Step, has_back: bool | None = None) -> list[Button]:
        """The buttons of a flow screen, framed by the shared ones (`frame`).

        Emergency is left out only on the emergency advice's own first screen, and where the
        screen's own option into it already bears the same name (the welcome's); Back only
        where there is nothing to go back to; Menu on the menu itself.
        """
        own = self._own_buttons(place.flow or "", step)
        if not step.interactive:
            return own
        if has_back is None:
            has_back = back_possible(len(place.history), screen_in_history=True)
        flow = place.flow or ""
        leads_to_emergency = any(o.target.flow == "emergency" for o in step.options)
        first_emergency_screen = flow == "emergency" and step.id == self._emergency_start()
        shared = Frame(
            emergency=not first_emergency_screen and not leads_to_emergency,
            back=has_back,
            menu=flow != "menu",
        )
        return frame(own, shared, self.catalog.text)

    def _own_buttons(self, flow: str, step: Step) -> list[Button]:
        """A step's own buttons: its options or choices, Yes/No, and Skip if it may be skipped."""
        code = token(flow, step.id)
        label = self.catalog.text
        buttons: list[Button] = []
        if step.kind == "screen":
            buttons = [Button(label(o.label), f"{code}.{i}") for i, o in enumerate(step.options)]
        elif step.type == "choice":
            buttons = [Button(label(c.label), f"{code}.{i}") for i, c in enumerate(step.choices)]
        elif step.type == "yesno":
            buttons = [Button(label("btn.yes"), f"{code}.0"), Button(label("btn.no"), f"{code}.1")]
        if step.kind == "question" and step.optional:
            buttons.append(Button(label("btn.skip"), GLOBAL_SKIP))
        return buttons

    def _feature_screen(self, turn: Turn, text: str, buttons: list[Button], again: str) -> Reply:
        """A feature's screen (see `Turn.show_screen`), framed like a flow screen."""
        if again:
            turn.place.nav.remember([FEATURE_SCREEN, again])
        has_back = back_possible(len(turn.place.history), screen_in_history=bool(again))
        reply = Reply(text=text, buttons=frame(buttons, Frame(back=has_back), self.catalog.text))
        turn.replies.append(reply)
        turn.feature_screen, turn.feature_screen_kept = reply, bool(again)
        return reply

    def emergency_screen_keys(self) -> list[str]:
        """The texts of the emergency screen a danger message gets: every text of the emergency
        flow in its order (call 999 now; can't speak: 55, the Silent Solution; deaf:
        emergencySMS; where is safe), so nothing needs a tap before the person can act on it."""
        keys: list[str] = []
        for step in self.machines["emergency"].flow.steps.values():
            keys.extend(k for k in step.say if k not in keys)
        return keys

    def _emergency_screen(self) -> Reply:
        """The full emergency advice in one message, and one button: "Carry on where I was"."""
        texts: list[str] = []
        cards: list[ContactCard] = []
        for key in self.emergency_screen_keys():
            text, found = self.catalog.render(key)
            texts.append(text)
            cards.extend(c for c in found if c not in cards)
        carry_on = Button(self.catalog.text("btn.carry_on"), GLOBAL_CARRY_ON)
        return Reply(text="\n\n".join(texts), buttons=[carry_on], contacts=cards)

    def _emergency_on_top(self, turn: Turn) -> None:
        """After a danger message: what the turn did stays done (an answer kept, a /log saved,
        a file offered), but the emergency screen comes last, so the 999 advice stays on top.
        The flow screens the turn showed are dropped: "Carry on where I was" shows where the
        person is; a feature's message ("Saved as incident 4") stays above the advice."""
        screen = self._emergency_screen()
        turn.replies = [*(r for r in turn.replies if not r.screen), screen]
        # a passing screen over the place: typing 1 is "Carry on", Back returns as from any
        turn.feature_screen, turn.feature_screen_kept = screen, False

    def _emergency_within_reach(self, turn: Turn) -> None:
        """A turn that ends without buttons (an export's files, a goodbye, a usage note) gets
        emergency and Menu under its last message, like every other screen."""
        if not turn.replies or turn.drop_place or any(r.buttons for r in turn.replies):
            return
        last = replace(turn.replies[-1], buttons=frame([], Frame(), self.catalog.text))
        turn.replies[-1] = last
        turn.feature_screen, turn.feature_screen_kept = last, False

    def help_text(self) -> str:
        """`/help`: how the bot works, then every command a person can use, one line each, in
        the words of its declared help text (a command whose text content lacks is not listed)."""
        return "\n".join([self.catalog.text("bot.help"), *self.help_lines()])

    def help_lines(self) -> list[str]:
        """One line per declared command: "/name – what it does" (console and /help)."""
        return [
            f"/{c.name} – {self.catalog.text(c.help)}"
            for c in self.registry.declared.values()
            if self.catalog.has(c.help)
        ]

    def emergency_text(self) -> str:
        """The first line of emergency advice (used by channels' error messages)."""
        flow = self.machines["emergency"].flow
        return self.catalog.text(flow.steps[flow.start].say[0]).splitlines()[0]
