"""One event being handled: everything a feature (an action, a command, a button handler) may see
and do, and nothing more. Features never reach `turn.engine`: the engine's insides move, this
surface does not (see `Turn` for the list)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from bot.content.catalog import Catalog
from bot.engine.actions import DiaryAppendix, ServiceKey
from bot.engine.events import Button, Document, Event, Reply
from bot.engine.place import Place, Section, Slot
from bot.flows.model import Flow, Step

if TYPE_CHECKING:
    from bot.engine.engine import Engine

T = TypeVar("T")


class Turn:
    """One event from one user being handled: what actions, commands and buttons see and use.

    The API for features (use these; never `turn.engine`, which is kept only while the journal
    moves off it):

    Who and what
      `turn.user_ref`, `turn.event`, `turn.now`, `turn.danger_shown`
    Words
      `turn.catalog`, `turn.text(key, **values)`, `turn.count(key, n)`
    Where the person is
      `turn.flow` (id or None), `turn.step` (the current `Step` or None), `turn.step_id`,
      `turn.steps_of(flow)` (a flow's steps by id), `turn.flows` (every flow by id),
      `turn.shown_buttons` (a feature's buttons shown last, as `Button`s)
    Answers (slots; `flow` defaults to the current one)
      `turn.slots` (values by name), `turn.slot(name, flow)`, `turn.shown(name, flow)`,
      `turn.set_slot(name, value, display, flow)`, `turn.drop_slot(name, flow)`,
      `turn.slots_of(flow)` (a copy, as `Slot`s), `turn.replace_slots(flow, slots)`
    A feature's own state (a dataclass declared once: `SECTION = Section("name", Kind)`)
      `turn.state(SECTION)` (typed; saved with the place)
    Services (built in bot/app.py or by a channel, declared with a typed `ServiceKey`)
      `turn.service(KEY)` (raises if missing), `turn.service_or_none(KEY)`
    Answering
      `turn.say(key, **values)`, `turn.say_text(text, buttons)`,
      `turn.show_screen(text, buttons, again)`, `turn.send_document(document, caption)`,
      `turn.keep_answer = True` (a replayed event gets this answer again)
    Moving
      `await turn.go(flow, step, fresh)`, `await turn.show_current()`, `await turn.redo(event)`,
      `turn.wait_on(step)` (a feature's screen asks the current flow's `step`)
    The person's data
      `await turn.erase_user()` (every feature's eraser, then the place; nothing is saved
      after), `await turn.diary_appendices()` (what features add to the export)
    """

    def __init__(self, engine: Engine, user_ref: str, place: Place, event: Event) -> None:
        self.engine = engine
        self.user_ref = user_ref
        self.place = place
        self.event = event
        self.replies: list[Reply] = []
        self.now = engine.clock()
        # the person's words said they are in danger: the turn ends with the emergency screen,
        # and nothing is shown below it (not the old screen, not "I couldn't read that")
        self.danger_shown = False
        self.drop_place = False  # set once the user's data was erased: do not save the place again
        # set by a feature whose answer is not the screen (e.g. "Saved as incident 4"): if the
        # channel delivers this event again, the same answer is given again
        self.keep_answer = False
        self.feature_screen: Reply | None = None  # the last screen a feature showed (show_screen)
        self.feature_screen_kept = False  # ... and whether it is in the history
        self.presenting_feature = False  # a feature's screen is being shown again (no loop)

    # ---------------------------------------------------------------- words

    @property
    def catalog(self) -> Catalog:
        return self.engine.catalog

    def text(self, key: str, **values: str) -> str:
        return self.engine.catalog.text(key, values)

    def count(self, key: str, count: int) -> str:
        """A number with its words from content: "1 incident", "2 incidents"."""
        return self.engine.catalog.count(key, count)

    # ---------------------------------------------------------------- where

    @property
    def flow(self) -> str | None:
        return self.place.flow

    @property
    def step(self) -> Step | None:
        """The step the person is on, or None (outside every flow, or a step that is gone)."""
        return self.engine.current_step(self.place)

    @property
    def step_id(self) -> str | None:
        """The id of the step the person is on (None outside every flow)."""
        return self.place.step

    def steps_of(self, flow: str) -> Mapping[str, Step]:
        """A flow's steps by id, in the file's order (empty for an unknown flow)."""
        compiled = self.engine.machines.get(flow)
        return compiled.flow.steps if compiled is not None else {}

    @property
    def flows(self) -> Mapping[str, Flow]:
        return self.engine.project.flows

    @property
    def shown_buttons(self) -> list[Button]:
        """The buttons a feature's screen showed last (empty after a flow's screen)."""
        return [Button(label, data) for label, data in self.place.nav.shown_buttons]

    # ---------------------------------------------------------------- answers

    @property
    def services(self) -> dict[str, Any]:
        """The untyped services dict: kept for the journal until it moves to `service(KEY)`."""
        return self.engine.registry.services

    def service(self, key: ServiceKey[T]) -> T:
        return self.engine.registry.service(key)

    def service_or_none(self, key: ServiceKey[T]) -> T | None:
        return self.engine.registry.service_or_none(key)

    @property
    def slots(self) -> dict[str, Any]:
        """The current flow's answers, by slot name."""
        return {name: slot.value for name, slot in self.slots_of(self.place.flow).items()}

    def slot(self, name: str, flow: str | None = None) -> Slot | None:
        return self.place.slot(self._flow_id(flow), name)

    def shown(self, name: str, flow: str | None = None) -> str:
        """An answer as the person saw it said back ("" if not answered)."""
        slot = self.slot(name, flow)
        return slot.display if slot is not None else ""

    def set_slot(self, name: str, value: Any, display: str, flow: str | None = None) -> None:
        self.place.set_slot(self._flow_id(flow), name, Slot(value, display))

    def drop_slot(self, name: str, flow: str | None = None) -> None:
        self.place.drop_slot(self._flow_id(flow), name)

    def slots_of(self, flow: str | None = None) -> dict[str, Slot]:
        """A flow's answers by name (a copy: change them with `set_slot`/`replace_slots`)."""
        return {name: Slot.of(entry) for name, entry in self._flow_slots(flow).items()}

    def replace_slots(self, flow: str, slots: Mapping[str, Slot]) -> None:
        self.place.slots[flow] = {}
        for name, slot in slots.items():
            self.place.set_slot(flow, name, slot)

    def _flow_id(self, flow: str | None) -> str:
        return flow if flow is not None else self.place.flow or ""

    def _flow_slots(self, flow: str | None) -> dict[str, Any]:
        return self.place.slots.get(self._flow_id(flow), {})

    # ---------------------------------------------------------------- a feature's own state

    def state(self, section: Section[T]) -> T:
        """The feature's typed section of the person's place (declared with `Section`); what
        the feature changes in it is saved with the place at the end of the turn."""
        return self.place.state(section)

    # ---------------------------------------------------------------- answering

    def say(self, key: str, **values: str) -> Reply:
        """Add a text from content (with `{slot:...}` filled from `values`)."""
        text, cards = self.engine.catalog.render(key, values)
        reply = Reply(text=text, contacts=cards)
        self.replies.append(reply)
        return reply

    def say_text(self, text: str, buttons: list[Button] | None = None) -> Reply:
        """Add a text built in code (e.g. a summary of the user's own answers)."""
        reply = Reply(text=text, buttons=buttons or [])
        self.replies.append(reply)
        return reply

    def show_screen(self, text: str, buttons: list[Button], again: str = "") -> Reply:
        """Show a screen a feature made in code (a list, an offer): emergency first, its
        buttons, then Back and Menu, as on every flow screen.

        `again` is the data of the feature's own button that shows this screen again, and only
        shows it (it changes nothing): the screen joins the history, so Back from a later screen
        returns to it. Without `again` the screen is passing (an offer, a confirmation): it does
        not join the history, and Back from it returns to the screen the user was on before.
        """
        return self.engine._feature_screen(self, text, buttons, again)

    def send_document(self, document: Document, caption: str = "") -> None:
        """Send a file (an export). A turn that sends one is not remembered by its event key:
        delivered again after a crash, it runs again and makes the file again, so a feature
        that sends a document must only read."""
        self.replies.append(Reply(text=caption, document=document))

    # ---------------------------------------------------------------- moving

    async def go(self, flow: str, step: str | None = None, fresh: bool = True) -> None:
        """Move to a flow (at its start, or `step`) and present it."""
        await self.engine._enter(self, flow, step, fresh=fresh)

    def wait_on(self, step: str) -> None:
        """Stay on `step` of the current flow without showing it: the screen the feature just
        showed (`show_screen`) asks that step's question in its own way, and what the person
        types next answers the step. A step the flow lacks is a bug: it raises."""
        if step not in self.steps_of(self.place.flow or ""):
            raise ValueError(f"flow {self.place.flow!r} has no step {step!r}")
        self.place.step = step

    async def show_current(self) -> None:
        await self.engine._present_current(self)

    async def redo(self, event: Event) -> None:
        """Handle `event` in this turn as if it had just come (one a feature held back, e.g.
        behind the journal's PIN, and now lets through)."""
        self.event = replace(event, key=self.event.key)
        await self.engine._handle_event(self)  # its danger words were read when it came

    # ---------------------------------------------------------------- the person's data

    async def erase_user(self) -> None:
        """Erase everything this person keeps: every feature's eraser (declared on the
        registry, in order), their place, then the `after_erase` hooks (a scrub of freed
        pages). Nothing of this turn's place is saved after it."""
        await self.engine.erase_user(self)

    async def diary_appendices(self) -> list[DiaryAppendix]:
        """What every feature adds at the end of this person's exported diary."""
        made = [await make(self) for make in self.engine.registry.diary_appendices]
        return [appendix for appendix in made if appendix is not None]
