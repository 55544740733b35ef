"""The engine: one event from one user in, the replies for the channel to render out.

It never imports a channel. The user's place (flow, step, slots, history) is typed data
(bot/engine/place.py) that the conversation store keeps, so a restarted process continues every
user where they were. The engine is built in parts, one concern each (see bot/engine/core.py):
screens, navigation, dispatch; this module handles one event end to end: the user's lock, their
place loaded, the replay check, dispatch, and the place saved before the answer goes out.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import weakref
from collections import OrderedDict
from collections.abc import Callable

from bot import metrics
from bot.engine.buttons import (
    GLOBAL_BACK,
    GLOBAL_CARRY_ON,
    GLOBAL_EMERGENCY,
    GLOBAL_MENU,
    GLOBAL_SKIP,
)
from bot.engine.core import EngineCore
from bot.engine.danger import DangerDetector
from bot.engine.dispatch import Dispatch, _said
from bot.engine.events import Event, Kind, Reply
from bot.engine.navigation import Moving
from bot.engine.place import (
    PLACE_VERSION,
    ConversationStore,
    KeptAnswer,
    Navigation,
    Place,
    Slot,
)
from bot.engine.registry import Registry
from bot.engine.replay import pack, unpack
from bot.engine.screens import Screens
from bot.engine.turn import Turn
from bot.flows.loader import Project
from bot.flows.model import BUILTIN_COMMANDS

log = logging.getLogger(__name__)


class Engine:
    """Runs the flows for every user of every channel: drives the parts (bot/engine/core.py)."""

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
        core = EngineCore(project, registry, danger)
        screens = Screens(core)
        moving = Moving(core, screens)
        dispatch = Dispatch(core, screens, moving)
        self.project, self.catalog, self.registry = project, core.catalog, registry
        self.machines, self.danger = core.machines, core.danger
        self.store = store
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._places: OrderedDict[str, Place] = OrderedDict()
        self._max_places = max_cached_places
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        # what this driver uses of the parts, and what `Turn` and the tools reach through it
        self.current_step, self._current_step = core.current_step, core._current_step
        self._show, self._feature_screen = screens._show, screens._feature_screen
        self._emergency_screen, self.help_text = screens._emergency_screen, screens.help_text
        self.emergency_text = screens.emergency_text
        self.emergency_screen_keys = screens.emergency_screen_keys
        self._enter, self._present_current = moving._enter, moving._present_current
        self._dispatch, self._handle_event = dispatch._dispatch, dispatch._handle_event

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
                    place.replay.kept = KeptAnswer(event.key, pack(turn.replies))
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
            return unpack(kept, self.catalog)
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

    def turn_without_event(self, user_ref: str) -> Turn:
        """A turn of no event for `user_ref`, on an empty place: for work on a person's data
        outside a conversation (a planned erasure carried out at start-up)."""
        return Turn(self, user_ref, Place(), Event(Kind.UNSUPPORTED))

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


__all__ = [
    "BUILTIN_COMMANDS",
    "GLOBAL_BACK",
    "GLOBAL_CARRY_ON",
    "GLOBAL_EMERGENCY",
    "GLOBAL_MENU",
    "GLOBAL_SKIP",
    "PLACE_VERSION",
    "ConversationStore",
    "Engine",
    "Place",
    "Slot",
    "Turn",
]
