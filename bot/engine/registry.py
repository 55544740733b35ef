"""What the code offers the flows, declared once: actions, commands, buttons, services, the
steps a feature depends on, what it seals and how it is erased.

Flows say *when* something happens; the code registered here says *what*. The engine only knows
the names, so the validator can check that every `action:` in a flow has code behind it, and
`load_project` that every step a feature sends people to exists. A command is declared once
(`Registry.command`): `/help`, the Telegram command menu and the console's help are made from
the declarations (see `Command`).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bot.flows.model import BUILTIN_COMMANDS, StepNeed

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


@dataclass(frozen=True, slots=True)
class Command:
    """A command as a person meets it, declared once.

    `help` is the content id of its one plain line in /help; `menu` the content id of its words
    in a channel's command menu (Telegram's; anyone glancing at the phone may read them, so
    they say nothing of stalking), or None to leave it out of the menu. A text that content
    lacks leaves the command out of that list (tests/test_screens.py asks for every help line).
    `menu_rank` orders the menu (ties keep the order of declaration); `neutral` keeps it in the
    cut-down menu after /clear.
    """

    name: str
    help: str
    menu: str | None
    menu_rank: int = 50
    neutral: bool = False


# The engine's own commands: (name, menu rank, in the neutral menu). Menu words for those with a
# `menu.command.<name>` text; back/cancel/menu are in /help only.
_BUILTIN_MENU = {"start": (0, True), "emergency": (1, True), "help": (99, True)}


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
    _prefixes: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)
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
    # Every command a person can use, declared once, in the order declared (the engine's first).
    declared: dict[str, Command] = field(default_factory=dict)
    # Steps of the flows that a feature's code sends people to (`needs_steps`): load_project
    # refuses a flow set without one, naming the flow file and the declaring line.
    needed_steps: list[StepNeed] = field(default_factory=list)
    # What a feature seals at rest, for key rotation (bot.ops.rotate reads these off the
    # registry; the store's spec objects, kept opaque here: the engine knows no store)
    sealed_tables: list[Any] = field(default_factory=list)
    sealed_files: list[Any] = field(default_factory=list)
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

    def __post_init__(self) -> None:
        for name in BUILTIN_COMMANDS:
            rank, neutral = _BUILTIN_MENU.get(name, (50, False))
            self.declare(name, menu_rank=rank, neutral=neutral)

    # ---------------------------------------------------------------- commands

    def declare(
        self,
        name: str,
        *,
        help: str | None = None,  # noqa: A002 - the word a person reads
        menu: str | None = None,
        menu_rank: int = 50,
        neutral: bool = False,
    ) -> Command:
        """Declare a command for /help and the menus. `help`/`menu` default to the content ids
        `help.command.<name>` and `menu.command.<name>` (listed only where content has them)."""
        command = Command(
            name,
            help or f"help.command.{name}",
            menu or f"menu.command.{name}",
            menu_rank,
            neutral,
        )
        self.declared[name] = command
        return command

    def command(
        self,
        name: str,
        *,
        help: str | None = None,
        menu: str | None = None,
        menu_rank: int = 50,  # noqa: A002
    ) -> Callable[[CommandHandler], CommandHandler]:
        """Declare a command and the code that answers it (one registration: /help and the
        command menus list it from here)."""
        self.declare(name, help=help, menu=menu, menu_rank=menu_rank)

        def register(fn: CommandHandler) -> CommandHandler:
            self.commands[name] = fn
            return fn

        return register

    def command_opens_flow(
        self,
        name: str,
        flow: str,
        *,
        help: str | None = None,
        menu: str | None = None,
        menu_rank: int = 50,  # noqa: A002
    ) -> None:
        """Declare a command that opens a flow at its start (e.g. /record)."""
        self.declare(name, help=help, menu=menu, menu_rank=menu_rank)
        self.command_flows[name] = flow

    def channel_command(
        self,
        name: str,
        *,
        help: str | None = None,
        menu: str | None = None,
        menu_rank: int = 50,  # noqa: A002
    ) -> None:
        """Declare a command every channel answers itself (e.g. /clear, which wipes its screen)."""
        self.declare(name, help=help, menu=menu, menu_rank=menu_rank)
        self.channel_commands.append(name)

    def command_names(self) -> set[str]:
        """Every command a flow's option may run (`command: NAME`)."""
        return set(self.declared)

    def menu_commands(self, *, neutral: bool = False) -> list[Command]:
        """The commands of a channel's command menu, in its order (the cut-down one after
        /clear if `neutral`). Whether content has each one's words is the channel's to check."""
        listed = [c for c in self.declared.values() if c.menu and (c.neutral or not neutral)]
        return sorted(listed, key=lambda c: c.menu_rank)

    # ---------------------------------------------------------------- flows, data

    def needs_steps(self, flow: str, *steps: str) -> None:
        """Declare steps of `flow` that the feature's code sends people to (`turn.go(flow,
        step)`) or reads: a flow set without one does not load."""
        caller = inspect.stack()[1]
        for step in steps:
            self.needed_steps.append(StepNeed(flow, step, Path(caller.filename), caller.lineno))

    def seal(self, *, tables: tuple[Any, ...] = (), files: tuple[Any, ...] = ()) -> None:
        """Declare what a feature seals at rest (bot.store.sealed specs), for key rotation."""
        self.sealed_tables.extend(t for t in tables if t not in self.sealed_tables)
        self.sealed_files.extend(f for f in files if f not in self.sealed_files)

    def on_erase(self, eraser: Eraser) -> Eraser:
        """Declare how a feature erases what it keeps for a person (`Turn.erase_user`)."""
        self.erasers.append(eraser)
        return eraser

    # ---------------------------------------------------------------- services

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

    def button(self, prefix: str) -> Callable[[CommandHandler], CommandHandler]:
        """Handle buttons whose data starts with `prefix` (not ones the engine makes for steps)."""

        def register(fn: CommandHandler) -> CommandHandler:
            self.button_handlers[prefix] = fn
            return fn

        return register

    def button_handler_for(self, data: str) -> CommandHandler | None:
        # asked for every button of every screen (bot/engine/engine.py): most are a step's,
        # rejected by one startswith over all prefixes (kept while the handlers' count holds;
        # prefixes are only ever added, wrapping one replaces its handler, not its prefix)
        if len(self._prefixes) != len(self.button_handlers):
            self._prefixes = tuple(self.button_handlers)
        if not data.startswith(self._prefixes):
            return None
        for prefix, handler in self.button_handlers.items():
            if data.startswith(prefix):
                return handler
        return None
