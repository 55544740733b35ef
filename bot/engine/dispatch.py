"""What an event means: a command, a button (a flow's, a feature's or a shared one), typed text
(a button's number or label, an answer, or free text for a feature), a file; and the danger check
every word the person wrote goes through first."""

from __future__ import annotations

from dataclasses import replace

from bot import metrics
from bot.engine.buttons import (
    GLOBAL_BACK,
    GLOBAL_CARRY_ON,
    GLOBAL_EMERGENCY,
    GLOBAL_MENU,
    GLOBAL_SKIP,
    match_button,
    norm,
    token,
)
from bot.engine.core import EngineCore
from bot.engine.events import MAX_TEXT, Button, Event, Kind
from bot.engine.navigation import Moving
from bot.engine.screens import Screens
from bot.engine.slots import SLOT_TYPES, Answer, Invalid
from bot.engine.turn import Turn
from bot.flows.model import Step

SKIP_WORDS = {"skip", "pass", "next", "dont know", "don't know", "not sure"}


def _said(event: Event) -> str:
    """The words a person wrote in an event, as far as danger is concerned."""
    if event.kind in (Kind.TEXT, Kind.ATTACHMENT):
        return event.text[:MAX_TEXT]
    if event.kind == Kind.COMMAND:
        return event.args[:MAX_TEXT]
    return ""


class Dispatch:
    """From an event to what it asks for."""

    def __init__(self, core: EngineCore, screens: Screens, moving: Moving) -> None:
        self.catalog = core.catalog
        self.registry = core.registry
        self.danger = core.danger
        self._current_step = core._current_step
        self._buttons = screens._buttons
        self.help_text = screens.help_text
        self._emergency_on_top = screens._emergency_on_top
        self._emergency_within_reach = screens._emergency_within_reach
        self._enter = moving._enter
        self._fire = moving._fire
        self._back = moving._back
        self._present_current = moving._present_current

    async def _dispatch(self, turn: Turn) -> None:
        event = turn.event
        if event.kind == Kind.TEXT and len(event.text) > MAX_TEXT * 4:
            event = replace(event, text=event.text[: MAX_TEXT * 4])
            turn.event = event
        # every word the person wrote is read for danger: typed text and answers, forwarded
        # text, a command's words (/log he has a knife), a file's caption
        if not self._is_button_text(turn) and self.danger.is_danger(_said(event)):
            turn.danger_shown = True
            metrics.DANGER_SHOWN.inc()
        await self._handle_event(turn)
        if turn.danger_shown:
            self._emergency_on_top(turn)
        else:
            self._emergency_within_reach(turn)

    async def _handle_event(self, turn: Turn) -> None:
        if self.registry.before_turn is not None and await self.registry.before_turn(turn):
            return
        event = turn.event
        if event.kind == Kind.COMMAND:
            await self._command(turn)
            return
        if event.kind == Kind.BUTTON:
            handler = self.registry.button_handler_for(event.data)
            if handler is not None:
                await handler(turn)
                return
        if turn.place.flow is None:
            await self._outside_flows(turn)
            return
        if event.kind == Kind.BUTTON:
            await self._button(turn, event.data)
        elif event.kind in (Kind.TEXT, Kind.LOCATION):
            await self._text(turn)
        elif event.kind == Kind.ATTACHMENT:
            take_file = self.registry.attachment_handler
            if take_file is None or not await take_file(turn):
                turn.say("bot.not_expected_here")
                await self._present_current(turn)
        else:
            turn.say("bot.cannot_keep_this")
            await self._present_current(turn)

    async def _outside_flows(self, turn: Turn) -> None:
        """An event from someone in no flow: new, their conversation ended, or on a feature's
        screen shown before any flow."""
        event = turn.event
        if event.kind == Kind.BUTTON and event.data == GLOBAL_EMERGENCY:
            await self._enter(turn, "emergency")
            return
        if event.kind == Kind.BUTTON and event.data == GLOBAL_CARRY_ON:
            await self._welcome(turn)  # nowhere yet (danger in the very first message)
            return
        shown = turn.place.nav.shown_buttons
        if event.kind == Kind.TEXT and shown:  # a number typed on a feature's screen
            chosen = match_button(norm(event.text), [Button(label, data) for label, data in shown])
            if chosen is not None:
                await self._button(turn, chosen.data)
                return
        if event.kind == Kind.BUTTON and event.data == GLOBAL_BACK and turn.place.nav.can_go_back():
            await self._back(turn)  # from a feature's screen shown before any flow
            return
        take_file = self.registry.attachment_handler
        if event.kind == Kind.ATTACHMENT and take_file is not None and await take_file(turn):
            return  # a file sent first thing is offered to the journal, not dropped
        await self._welcome(turn)

    async def _welcome(self, turn: Turn) -> None:
        """A new user, or one whose conversation ended: welcome them (or show the menu)."""
        await self._enter(turn, "menu" if turn.place.nav.welcomed else "start")

    def _is_button_text(self, turn: Turn) -> bool:
        """Is this typed text the label or number of a button on the user's screen?"""
        if turn.event.kind != Kind.TEXT:
            return False
        step = self._current_step(turn)
        if step is None:
            shown = turn.place.nav.shown_buttons
            buttons = [Button(label, data) for label, data in shown]
            return match_button(norm(turn.event.text), buttons) is not None
        buttons = self._typed_buttons(turn, step)
        return match_button(norm(turn.event.text), buttons) is not None

    def _typed_buttons(self, turn: Turn, step: Step) -> list[Button]:
        """The buttons a typed number or label picks from: a feature's, if it showed some last."""
        shown = turn.place.nav.shown_buttons
        if shown:
            return [Button(label, data) for label, data in shown]
        return self._buttons(turn.place, step)

    async def _command(self, turn: Turn) -> None:
        name = turn.event.command
        place = turn.place
        if name == "start":
            place.slots.clear()
            place.history.clear()
            await self._enter(turn, "start")
        elif name == "menu":
            await self._enter(turn, "menu")
        elif name == "emergency":
            await self._enter(turn, "emergency")
        elif name == "back":
            await self._back(turn)
        elif name == "cancel":
            for let_go in self.registry.on_cancel:
                await let_go(turn)
            place.slots.clear()
            place.history.clear()
            turn.say("bot.cancelled")
            await self._enter(turn, "menu")
        elif name == "help":
            turn.say_text(self.help_text())
            await self._present_current(turn)
        elif name == "clear":  # the channel wiped the chat from the screen (the console's /clear)
            turn.show_screen(self.catalog.text("bot.cleared"), [])
        elif name in self.registry.command_flows:
            await self._enter(turn, self.registry.command_flows[name])
        elif name in self.registry.commands:
            await self.registry.commands[name](turn)
        else:
            turn.say("bot.unknown_command")
            await self._present_current(turn)

    async def _button(self, turn: Turn, data: str) -> None:
        handler = self.registry.button_handler_for(data)
        if handler is not None:  # a feature's own button, picked by typing its number or label
            turn.event = Event.button(data)
            await handler(turn)
            return
        if data == GLOBAL_EMERGENCY:
            await self._enter(turn, "emergency")
            return
        if data == GLOBAL_CARRY_ON:  # from the emergency screen: the screen they were on
            if turn.place.flow is None:
                await self._welcome(turn)
            else:
                await self._present_current(turn)
            return
        if data == GLOBAL_MENU:
            await self._enter(turn, "menu")
            return
        if data == GLOBAL_BACK:
            await self._back(turn)
            return
        step = self._current_step(turn)
        code, _, index = data.partition(".")
        if data == GLOBAL_SKIP and step and step.kind == "question" and step.optional:
            await self._skip(turn, step)
            return
        if step is None or code != token(turn.place.flow or "", step.id) or not index.isdecimal():
            turn.say("bot.stale_button")
            await self._present_current(turn)
            return
        await self._pick(turn, step, int(index))

    async def _pick(self, turn: Turn, step: Step, index: int) -> None:
        if step.kind == "screen" and index < len(step.options):
            command = step.options[index].target.command
            if command:  # a button that runs a command, as if it were typed
                turn.event = replace(turn.event, kind=Kind.COMMAND, command=command, args="")
                await self._command(turn)
                return
            await self._fire(turn, step, f"pick{index}")
        elif step.kind == "question" and step.type == "choice" and index < len(step.choices):
            choice = step.choices[index]
            turn.set_slot(step.collect or "", choice.value, self.catalog.text(choice.label))
            await self._fire(turn, step, "next")
        elif step.kind == "question" and step.type == "yesno" and index < 2:
            await self._answer_yesno(turn, step, index == 0)
        else:
            turn.say("bot.stale_button")
            await self._present_current(turn)

    async def _text(self, turn: Turn) -> None:
        step = self._current_step(turn)
        if step is None:
            await self._enter(turn, "menu")
            return
        typed = norm(turn.event.text)
        if turn.event.kind == Kind.TEXT and not typed:
            turn.say("bot.empty_message")
            await self._present_current(turn)
            return
        buttons = self._typed_buttons(turn, step)
        if turn.event.kind == Kind.TEXT:
            chosen = match_button(typed, buttons)
            if chosen is not None:
                await self._button(turn, chosen.data)
                return
        if step.kind == "question":
            if step.optional and typed in SKIP_WORDS:
                await self._skip(turn, step)
                return
            parser = SLOT_TYPES.get(step.type or "text")
            result = parser(turn.event, turn.now) if parser else Invalid("check.text")
            if isinstance(result, Answer):
                if step.type == "yesno":
                    await self._answer_yesno(turn, step, bool(result.value))
                    return
                turn.set_slot(step.collect or "", result.value, result.display)
                if step.type == "datetime":
                    turn.say("check.understood_when", _understood=result.display)
                await self._fire(turn, step, "next")
                return
            if turn.danger_shown:
                return  # not "I couldn't read that as a date": the emergency screen, alone
            if self.registry.text_fallback and await self.registry.text_fallback(turn):
                return
            turn.say(result.content_key)
            await self._present_current(turn, repeat=True)
            return
        if await self._typed_free_text(turn):
            return
        if not turn.danger_shown:  # after emergency advice, just show where they were
            turn.say("bot.pick_an_option")
        await self._present_current(turn, repeat=True)

    async def _typed_free_text(self, turn: Turn) -> bool:
        """Typed text the screen does not expect: a question, a situation or a greeting for the
        advice router (bot.ask), then something to keep (the journal's offer)."""
        for handler in (self.registry.text_router, self.registry.text_fallback):
            if handler is not None and await handler(turn):
                return True
        return False

    async def _answer_yesno(self, turn: Turn, step: Step, yes: bool) -> None:
        turn.set_slot(step.collect or "", yes, self.catalog.text("btn.yes" if yes else "btn.no"))
        trigger = "yes" if yes and step.on_yes else "no" if not yes and step.on_no else "next"
        await self._fire(turn, step, trigger)

    async def _skip(self, turn: Turn, step: Step) -> None:
        turn.place.drop_slot(turn.place.flow or "", step.collect or "")
        await self._fire(turn, step, "next")
