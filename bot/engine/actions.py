"""Named Python callbacks that flows call with `action: NAME`, and extra commands.

Flows say *when* something happens; the code registered here says *what*. The engine only knows
the names, so the validator can check that every `action:` in a flow has code behind it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from bot.engine.turn import Turn

T = TypeVar("T")


class ServiceKey(Generic[T]):
    """A typed name for a service a feature needs (its store, a channel's scheduler).

    The feature declares the key (`CHECKLISTS = ServiceKey[ChecklistStore]("checklists")`);
    bot/app.py (or a channel) provides the value (`registry.provide(CHECKLISTS, store)`); the
    feature reads it as `turn.service(CHECKLISTS)`, typed.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"ServiceKey({self.name!r})"


class ServiceMissing(LookupError):
    """A feature asked for a service nobody provided (a wiring mistake in bot/app.py)."""


class ActionFailed(Exception):
    """An action could not finish; `content_key` says so calmly to the user."""

    def __init__(self, content_key: str = "bot.action_failed") -> None:
        super().__init__(content_key)
        self.content_key = content_key


Action = Callable[["Turn"], Awaitable[None]]
CommandHandler = Callable[["Turn"], Awaitable[None]]


@dataclass(frozen=True)
class DiaryAppendix:
    """Pages a feature adds at the end of the exported diary, and their own CSV file.

    Each page is a title, an introduction and label/value rows; the journal's export lays them
    out (it alone knows PDF). `csv_rows` start with `csv_header`.
    """

    pages: list[tuple[str, str, list[tuple[str, str]]]]
    csv_name: str  # file name stem, e.g. "risk-questions"
    csv_header: list[str]
    csv_rows: list[list[str]]


# What a feature keeps for the export; None when it keeps nothing for this user.
AppendixMaker = Callable[["Turn"], Awaitable[DiaryAppendix | None]]
# Erases what a feature keeps for the user (called by /delete_my_data, after the journal's).
Eraser = Callable[["Turn"], Awaitable[None]]


@dataclass
class Registry:
    """What the code offers the flows: actions by name, commands by name, and fallbacks."""

    actions: dict[str, Action] = field(default_factory=dict)
    commands: dict[str, CommandHandler] = field(default_factory=dict)
    command_flows: dict[str, str] = field(default_factory=dict)
    # Called first for free text that the current step does not expect (a question, a greeting:
    # bot.ask); returns True if it handled it.
    text_router: Callable[[Turn], Awaitable[bool]] | None = None
    # Called for free text that the current step does not expect; returns True if it handled it.
    text_fallback: Callable[[Turn], Awaitable[bool]] | None = None
    # Called for attachments (photos, files...) outside a question that takes them.
    attachment_handler: Callable[[Turn], Awaitable[bool]] | None = None
    # Buttons that are not a flow step's, by the prefix of their data (e.g. "j:" for the journal):
    # a feature's own screens (lists, confirmations). The handler reads `turn.event.data`.
    button_handlers: dict[str, CommandHandler] = field(default_factory=dict)
    # Called first for every event (after the danger check); returns True if it answered it
    # (e.g. the journal lock taking a PIN, or asking for one before a private screen).
    before_turn: Callable[[Turn], Awaitable[bool]] | None = None
    services: dict[str, Any] = field(default_factory=dict)
    # Called by /cancel before the answers are dropped: a feature lets go of what the abandoned
    # step held (the journal deletes a draft's waiting files), so "nothing was saved" is true.
    on_cancel: list[Action] = field(default_factory=list)
    # Commands every channel answers itself (e.g. /clear), listed by /help with the engine's.
    channel_commands: list[str] = field(default_factory=list)
    # Declared by features that keep the person's data beside the journal (e.g. the risk check):
    # what they add to the export, and how their data is erased with everything else.
    diary_appendices: list[AppendixMaker] = field(default_factory=list)
    erasers: list[Eraser] = field(default_factory=list)
    # Run by `Turn.erase_user` after the place is deleted (e.g. a scrub of the freed pages).
    after_erase: list[Eraser] = field(default_factory=list)
    # What shows what the person kept (their records, answered checklists): behind the journal
    # lock (bot/journal/lock.py) once they set a PIN. Commands by name, buttons by data prefix,
    # and places in a flow where something saved is on screen (a predicate on the place).
    private_commands: set[str] = field(default_factory=set)
    private_buttons: list[str] = field(default_factory=list)
    private_places: list[Callable[[Any], bool]] = field(default_factory=list)

    def private(
        self,
        commands: tuple[str, ...] = (),
        buttons: tuple[str, ...] = (),
        place: Callable[[Any], bool] | None = None,
    ) -> None:
        """Declare what of a feature shows what the person kept (see `private_commands`)."""
        self.private_commands.update(commands)
        self.private_buttons.extend(buttons)
        if place is not None:
            self.private_places.append(place)

    def provide(self, key: ServiceKey[T], value: T) -> None:
        """Wire a service (bot/app.py, a channel) for features to read with `turn.service`."""
        self.services[key.name] = value

    def service(self, key: ServiceKey[T]) -> T:
        value = self.services.get(key.name)
        if value is None:
            raise ServiceMissing(f"no service {key.name!r}: bot/app.py provides it")
        return value  # type: ignore[no-any-return]  # provide() put a T under this name

    def service_or_none(self, key: ServiceKey[T]) -> T | None:
        return self.services.get(key.name)

    def action(self, name: str) -> Callable[[Action], Action]:
        def register(fn: Action) -> Action:
            self.actions[name] = fn
            return fn

        return register

    def command(self, name: str) -> Callable[[CommandHandler], CommandHandler]:
        def register(fn: CommandHandler) -> CommandHandler:
            self.commands[name] = fn
            return fn

        return register

    def command_opens_flow(self, name: str, flow: str) -> None:
        self.command_flows[name] = flow

    def button(self, prefix: str) -> Callable[[CommandHandler], CommandHandler]:
        """Handle buttons whose data starts with `prefix` (not ones the engine makes for steps)."""

        def register(fn: CommandHandler) -> CommandHandler:
            self.button_handlers[prefix] = fn
            return fn

        return register

    def button_handler_for(self, data: str) -> CommandHandler | None:
        for prefix, handler in self.button_handlers.items():
            if data.startswith(prefix):
                return handler
        return None
