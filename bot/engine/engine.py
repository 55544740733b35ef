"""The engine: one event from one user in, the replies for the channel to render out.

It never imports a channel. The user's place (flow, step, slots, history) is plain data that the
conversation store keeps, so a restarted process continues every user where they were.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import weakref
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from typing import Any

from bot import metrics
from bot.content.catalog import Catalog, ContactCard
from bot.engine.actions import ActionFailed, Registry
from bot.engine.danger import DangerDetector
from bot.engine.events import MAX_TEXT, Button, Event, Kind, Reply
from bot.engine.machines import EXIT, CompiledFlow, parse_exit
from bot.engine.place import (
    FEATURE_SCREEN,
    PLACE_VERSION,
    SHOWN_BUTTONS,
    ConversationStore,
    KeptAnswer,
    Navigation,
    Place,
    Slot,
)
from bot.engine.slots import SLOT_TYPES, Answer, Invalid, clean_text
from bot.engine.turn import Turn
from bot.flows.loader import Project
from bot.flows.model import BUILTIN_COMMANDS, Step

log = logging.getLogger(__name__)

GLOBAL_EMERGENCY = "!e"
GLOBAL_BACK = "!b"
GLOBAL_MENU = "!m"
GLOBAL_SKIP = "!s"
GLOBAL_CARRY_ON = "!c"  # "Carry on where I was", under the emergency screen a danger message gets
SKIP_WORDS = {"skip", "pass", "next", "dont know", "don't know", "not sure"}
MAX_HOPS = 40  # steps entered in one turn without waiting for the user (guards a loop)


def _token(flow: str, step: str) -> str:
    """A short, stable code for a screen, so a button from another screen is recognised."""
    return format(zlib.crc32(f"{flow}{EXIT}{step}".encode()) & 0xFFFFFF, "x")


def _pack(replies: list[Reply]) -> list[list[Any]]:
    """Replies as plain data (documents left out: they are made again on request)."""
    return [
        [
            r.text,
            [[b.label, b.data] for b in r.buttons],
            [c.key for c in r.contacts],
            r.screen,
            r.delete_message,
        ]
        for r in replies
        if r.document is None
    ]


def _unpack(packed: list[list[Any]], catalog: Catalog) -> list[Reply]:
    return [
        Reply(
            text=text,
            buttons=[Button(label, data) for label, data in buttons],
            contacts=[catalog.contacts[k] for k in contacts if k in catalog.contacts],
            screen=screen,
            delete_message=bool(rest and rest[0]),
        )
        for text, buttons, contacts, screen, *rest in packed
    ]


def _said(event: Event) -> str:
    """The words a person wrote in an event, as far as danger is concerned."""
    if event.kind in (Kind.TEXT, Kind.ATTACHMENT):
        return event.text[:MAX_TEXT]
    if event.kind == Kind.COMMAND:
        return event.args[:MAX_TEXT]
    return ""


def _norm(text: str) -> str:
    return " ".join(clean_text(text).casefold().replace("’", "'").split())


@lru_cache(maxsize=4096)
def _label_forms(label: str) -> tuple[str, str]:
    """A button label as typed text is compared with it: whole, and without the 🚨 mark."""
    whole = _norm(label)
    return whole, _norm(whole.lstrip("🚨 "))


class Engine:
    """Runs the flows for every user of every channel."""

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
        self._screens: dict[
            tuple[str, str, bool], tuple[str, tuple[Button, ...], tuple[ContactCard, ...]]
        ] = {}
        self._max_places = max_cached_places
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    # ---------------------------------------------------------------- entry point

    async def handle(self, user_id: str, event: Event) -> list[Reply]:
        """Handle one event from one user; events of one user are handled one at a time."""
        user_ref = self.store.user_ref(user_id)
        lock = self._locks.get(user_ref)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[user_ref] = lock
        async with lock:
            try:
                place = await self._load(user_ref)
            except Exception as exc:  # noqa: BLE001 - the store is down: still answer, calmly
                return self._store_failed(None, event, exc)
            turn = Turn(self, user_ref, place, event)
            if event.key and place.replay.handled(event.key):
                return self._handled_already(turn)
            await self._dispatch(turn)
            if turn.drop_place:
                self.forget(user_ref)
                return turn.replies
            sent_file = any(r.document is not None for r in turn.replies)
            if event.key and not sent_file:  # files are not kept: a replay makes them again
                place.replay.add(event.key)
                # a turn that said more than the screen the user lands on (a confirmation, the
                # emergency advice, advice on the way) keeps its whole answer for a replay
                if turn.keep_answer or any(not r.screen for r in turn.replies):
                    place.replay.kept = KeptAnswer(event.key, _pack(turn.replies))
                else:
                    place.replay.kept = None
            self._keep_feature_buttons(turn)
            try:
                await self.store.save_place(user_ref, place.to_dict())
            except Exception as exc:  # noqa: BLE001 - e.g. database locked, disk full
                self._places.pop(user_ref, None)  # next event reloads the last committed place
                return self._store_failed(turn, event, exc)
            return turn.replies

    def _handled_already(self, turn: Turn) -> list[Reply]:
        """The channel delivered an event again (e.g. after a crash, before it confirmed it).

        Its effects were committed with the place the first time, so nothing is done again; the
        user sees the answer a feature kept for it, or the screen they are on (their first answer
        may never have reached them).
        """
        kept = turn.place.replay.answer_for(turn.event.key)
        if kept is not None:
            return _unpack(kept, self.catalog)
        step = self._current_step(turn)
        if step is not None and step.interactive:
            self._show(turn, step)
        return turn.replies

    def _store_failed(self, turn: Turn | None, event: Event, exc: Exception) -> list[Reply]:
        """The store failed: say so calmly, keep nothing half-done, and never drop the 999 advice."""
        log.error("conversation store failed: %s", type(exc).__name__)
        replies: list[Reply] = []
        if turn is not None and turn.danger_shown:
            replies.append(self._emergency_screen())
        elif turn is None and self.danger.is_danger(_said(event)):
            replies.append(self._emergency_screen())
            metrics.DANGER_SHOWN.inc()
        text, cards = self.catalog.render("bot.save_failed")
        replies.append(Reply(text=text, contacts=cards))
        return replies

    def _keep_feature_buttons(self, turn: Turn) -> None:
        """Remember the last buttons shown when a feature made them (not a step), so that typing
        a button's number or label (the console) picks from what the user actually sees; and
        whether that screen is a passing one, outside the history (for Back)."""
        nav = turn.place.nav
        last = next((r for r in reversed(turn.replies) if r.buttons), None)
        on_feature_screen = last is not None and last is turn.feature_screen
        if on_feature_screen and not turn.feature_screen_kept:
            nav.off_history = True
        else:
            nav.off_history = False
        if last is not None and (
            on_feature_screen or any(self.registry.button_handler_for(b.data) for b in last.buttons)
        ):
            nav.shown_buttons = [[b.label, b.data] for b in last.buttons]
        else:
            nav.shown_buttons = []

    async def place_of(self, user_id: str) -> Place:
        return await self._load(self.store.user_ref(user_id))

    async def erase_user(self, turn: Turn) -> None:
        """Everything `turn`'s person keeps: each feature's eraser, the place, then the
        after-erase hooks (see `Turn.erase_user`)."""
        for erase in self.registry.erasers:
            await erase(turn)
        await self.store.delete_place(turn.user_ref)
        for after in self.registry.after_erase:
            await after(turn)
        self.forget(turn.user_ref)
        turn.drop_place = True

    def forget(self, user_ref: str) -> None:
        """Drop what memory holds of a user (after their data is deleted)."""
        self._places.pop(user_ref, None)

    async def _load(self, user_ref: str) -> Place:
        place = self._places.get(user_ref)
        if place is not None:
            self._places.move_to_end(user_ref)
            return place
        raw = await self.store.load_place(user_ref)
        place = Place.from_dict(raw) if raw else Place()
        if place.flow and (
            place.flow not in self.machines
            or place.step not in self.machines[place.flow].flow.steps
        ):
            # the flows changed under a saved place: start afresh, keeping all but where they were
            nav = place.nav
            place = Place(
                data=place.data,
                nav=Navigation(
                    welcomed=nav.welcomed,
                    off_history=nav.off_history,
                    shown_buttons=nav.shown_buttons,
                ),
                replay=place.replay,
                sections=place.sections,
            )
        self._places[user_ref] = place
        if len(self._places) > self._max_places:
            self._places.popitem(last=False)
        return place

    # ---------------------------------------------------------------- dispatch

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
            if event.kind == Kind.BUTTON and event.data == GLOBAL_EMERGENCY:
                await self._enter(turn, "emergency")
                return
            if event.kind == Kind.BUTTON and event.data == GLOBAL_CARRY_ON:
                await self._welcome(turn)  # nowhere yet (danger in the very first message)
                return
            shown = turn.place.nav.shown_buttons
            if event.kind == Kind.TEXT and shown:  # a number typed on a feature's screen
                chosen = self._match_button(
                    _norm(event.text), [Button(label, data) for label, data in shown]
                )
                if chosen is not None:
                    await self._button(turn, chosen.data)
                    return
            if (
                event.kind == Kind.BUTTON
                and event.data == GLOBAL_BACK
                and turn.place.nav.can_go_back()
            ):
                await self._back(turn)  # from a feature's screen shown before any flow
                return
            handler = self.registry.attachment_handler
            if event.kind == Kind.ATTACHMENT and handler is not None and await handler(turn):
                return  # a file sent first thing is offered to the journal, not dropped
            await self._welcome(turn)
            return
        if event.kind == Kind.BUTTON:
            await self._button(turn, event.data)
        elif event.kind in (Kind.TEXT, Kind.LOCATION):
            await self._text(turn)
        elif event.kind == Kind.ATTACHMENT:
            handler = self.registry.attachment_handler
            if handler is None or not await handler(turn):
                turn.say("bot.not_expected_here")
                await self._present_current(turn)
        else:
            turn.say("bot.cannot_keep_this")
            await self._present_current(turn)

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
            return self._match_button(_norm(turn.event.text), buttons) is not None
        buttons = self._typed_buttons(turn, step)
        return self._match_button(_norm(turn.event.text), buttons) is not None

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
        token, _, index = data.partition(".")
        if data == GLOBAL_SKIP and step and step.kind == "question" and step.optional:
            await self._skip(turn, step)
            return
        if step is None or token != _token(turn.place.flow or "", step.id) or not index.isdecimal():
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
        typed = _norm(turn.event.text)
        if turn.event.kind == Kind.TEXT and not typed:
            turn.say("bot.empty_message")
            await self._present_current(turn)
            return
        buttons = self._typed_buttons(turn, step)
        if turn.event.kind == Kind.TEXT:
            chosen = self._match_button(typed, buttons)
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

    @staticmethod
    def _match_button(typed: str, buttons: list[Button]) -> Button | None:
        if typed.isdecimal() and 1 <= int(typed) <= len(buttons):
            return buttons[int(typed) - 1]
        for button in buttons:
            if typed in _label_forms(button.label):
                return button
        return None

    async def _answer_yesno(self, turn: Turn, step: Step, yes: bool) -> None:
        turn.set_slot(step.collect or "", yes, self.catalog.text("btn.yes" if yes else "btn.no"))
        trigger = "yes" if yes and step.on_yes else "no" if not yes and step.on_no else "next"
        await self._fire(turn, step, trigger)

    async def _skip(self, turn: Turn, step: Step) -> None:
        turn.place.drop_slot(turn.place.flow or "", step.collect or "")
        await self._fire(turn, step, "next")

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

    def _is_step(self, flow: str, step: str) -> bool:
        return flow in self.machines and step in self.machines[flow].flow.steps

    # ---------------------------------------------------------------- moving

    def _current_step(self, turn: Turn) -> Step | None:
        return self.current_step(turn.place)

    def current_step(self, place: Place) -> Step | None:
        if place.flow is None or place.flow not in self.machines:
            return None
        return self.machines[place.flow].flow.steps.get(place.step or "")

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

    # ---------------------------------------------------------------- rendering

    def _show(self, turn: Turn, step: Step) -> None:
        flow = turn.place.flow or ""
        has_back = len(turn.place.history) >= 2
        cached = self._screens.get((flow, step.id, has_back))
        if cached is None:
            slot_values = turn.place.displays(flow)
            texts: list[str] = []
            cards: list[ContactCard] = []
            keys = [*step.say, *([step.ask] if step.ask else [])]
            for key in keys:
                text, found = self.catalog.render(key, slot_values)
                texts.append(text)
                cards.extend(c for c in found if c not in cards)
            cached = ("\n\n".join(texts), tuple(self._buttons(turn.place, step)), tuple(cards))
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

    def _buttons(self, place: Place, step: Step) -> list[Button]:
        """The buttons of a screen: its own, then emergency, Back and Menu, always last.

        Emergency stands in the same place on every screen, in the same words: straight after
        the screen's own buttons, before Back and Menu. It is left out only on the emergency
        advice's own first screen, and where the screen's own option into it already bears the
        same name (the welcome's); Back only where there is nothing to go back to.
        """
        flow = place.flow or ""
        token = _token(flow, step.id)
        label = self.catalog.text
        buttons: list[Button] = []
        if step.kind == "screen":
            buttons = [Button(label(o.label), f"{token}.{i}") for i, o in enumerate(step.options)]
        elif step.type == "choice":
            buttons = [Button(label(c.label), f"{token}.{i}") for i, c in enumerate(step.choices)]
        elif step.type == "yesno":
            buttons = [
                Button(label("btn.yes"), f"{token}.0"),
                Button(label("btn.no"), f"{token}.1"),
            ]
        if step.kind == "question" and step.optional:
            buttons.append(Button(label("btn.skip"), GLOBAL_SKIP))
        if not step.interactive:
            return buttons
        leads_to_emergency = any(o.target.flow == "emergency" for o in step.options)
        first_emergency_screen = flow == "emergency" and step.id == self._emergency_start()
        if not first_emergency_screen and not leads_to_emergency:
            buttons.append(Button(label("btn.emergency"), GLOBAL_EMERGENCY))
        if len(place.history) >= 2:
            buttons.append(Button(label("btn.back"), GLOBAL_BACK))
        if flow != "menu":
            buttons.append(Button(label("btn.menu"), GLOBAL_MENU))
        return buttons

    def _feature_screen(self, turn: Turn, text: str, buttons: list[Button], again: str) -> Reply:
        """A feature's screen (see `Turn.show_screen`), ending like `_buttons`' screens."""
        history = turn.place.history
        if again:
            self._remember(turn, [FEATURE_SCREEN, again])
        label = self.catalog.text
        nav = [Button(label("btn.emergency"), GLOBAL_EMERGENCY)]
        if len(history) >= (2 if again else 1):  # a screen to go back to
            nav.append(Button(label("btn.back"), GLOBAL_BACK))
        nav.append(Button(label("btn.menu"), GLOBAL_MENU))
        reply = Reply(text=text, buttons=[*buttons, *nav])
        turn.replies.append(reply)
        turn.feature_screen, turn.feature_screen_kept = reply, bool(again)
        return reply

    def _emergency_start(self) -> str:
        return self.machines["emergency"].flow.start

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
        texts, cards = [], []
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
        label = self.catalog.text
        nav = [
            Button(label("btn.emergency"), GLOBAL_EMERGENCY),
            Button(label("btn.menu"), GLOBAL_MENU),
        ]
        last = replace(turn.replies[-1], buttons=nav)
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


__all__ = [
    "BUILTIN_COMMANDS",
    "GLOBAL_BACK",
    "GLOBAL_CARRY_ON",
    "GLOBAL_EMERGENCY",
    "GLOBAL_MENU",
    "GLOBAL_SKIP",
    "PLACE_VERSION",
    "SHOWN_BUTTONS",
    "ConversationStore",
    "Engine",
    "Place",
    "Slot",
    "Turn",
]
