"""The loaded form of a flow file: plain, frozen data the engine compiles into state machines."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MENU = "menu"  # reserved target: the main menu
END = "end"  # reserved target: close the conversation quietly
RESERVED_TARGETS = (MENU, END)
RESERVED_FLOWS = ("start", "menu", "emergency")
BUILTIN_COMMANDS = ("start", "menu", "back", "cancel", "help", "emergency")


@dataclass(frozen=True)
class StepNeed:
    """A step a feature's code depends on (it sends people there, or reads it), and where in
    the code that was declared: a flow set without it does not load."""

    flow: str
    step: str
    declared_in: Path
    declared_line: int


@dataclass(frozen=True)
class Target:
    """Where a button, an answer or an action leads."""

    step: str | None = None  # a step of the same flow
    flow: str | None = None  # another flow (starting at `step` if given, else its start)
    special: str | None = None  # MENU or END
    command: str | None = None  # a command, as if typed (e.g. `incidents` for the journal)

    def describe(self) -> str:
        if self.command:
            return f"/{self.command}"
        if self.special:
            return self.special
        if self.flow:
            return f"flow {self.flow}" + (f" at {self.step}" if self.step else "")
        return f"step {self.step}"


@dataclass(frozen=True)
class Option:
    label: str  # content key
    target: Target
    line: int


@dataclass(frozen=True)
class Choice:
    value: str
    label: str  # content key


@dataclass(frozen=True)
class Step:
    id: str
    kind: str  # "screen" | "question" | "action"
    line: int
    say: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    next: Target | None = None
    # question
    collect: str | None = None
    ask: str | None = None
    type: str | None = None
    optional: bool = False
    choices: tuple[Choice, ...] = ()
    on_yes: Target | None = None
    on_no: Target | None = None
    # action
    action: str | None = None
    on_error: Target | None = None
    # steps of this flow the action may send the person to instead of `next` (it calls
    # `turn.go`); declared so the validator checks them and counts them as reachable
    may_go: tuple[Target, ...] = ()

    @property
    def interactive(self) -> bool:
        """Does this step wait for the user (a screen with buttons, or a question)?"""
        return self.kind == "question" or (self.kind == "screen" and bool(self.options))


@dataclass(frozen=True)
class Flow:
    id: str
    title: str | None
    start: str
    steps: dict[str, Step] = field(default_factory=dict)
    path: Path = Path()
    line: int = 1
    # every question's text must cite a source other than the bot's own words (a checklist
    # that must ask what its source asks, e.g. the risk questions)
    sourced_questions: bool = False
