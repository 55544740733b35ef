"""One compiled `transitions` machine per flow, shared by every user.

A user's place is plain data (flow, step, slots) kept in the store. To move a user, the engine
asks the flow's machine to fire a trigger from the user's step; the machine answers with the
destination state. `Machine.add_model` binds every trigger and state onto the model (about
130 us for our flows) and scans a plain list, so it must not run per message or per user: each
machine keeps ONE resident model, a cursor, set to the user's step just before the trigger.
`fire` has no `await` inside and the machine has no async callbacks, so no other user's event
can run between setting the cursor and reading the destination.

Machine states are the flow's step ids, plus exit states whose names start with `>` (which ids
cannot contain): `>menu`, `>end`, and `>flow>ID>STEP` for a jump into another flow.
"""

from __future__ import annotations

from transitions import Machine

from bot.flows.model import Flow, Step, Target

EXIT = ">"


def exit_state(target: Target) -> str | None:
    """The machine state for a target that leaves the flow, or None for a step of this flow."""
    if target.special:
        return f"{EXIT}{target.special}"
    if target.flow:
        return f"{EXIT}flow{EXIT}{target.flow}{EXIT}{target.step or ''}"
    return None


def parse_exit(state: str) -> tuple[str, str | None]:
    """('menu'|'end'|'flow', flow id) from an exit state name."""
    parts = state[1:].split(EXIT)
    if parts[0] == "flow":
        return "flow", parts[1] + (f"{EXIT}{parts[2]}" if len(parts) > 2 and parts[2] else "")
    return parts[0], None


def _dest(target: Target) -> str:
    return exit_state(target) or str(target.step)


class _Cursor:
    """A throwaway model: the machine writes the destination into `state`."""

    state: str


def step_triggers(step: Step) -> list[tuple[str, Target]]:
    """The triggers leaving a step, in a fixed order: pick0..N for buttons, then answers."""
    triggers = [
        (f"pick{i}", option.target)
        for i, option in enumerate(step.options)
        if not option.target.command  # a command is run by the engine, not a move
    ]
    for name, target in (
        ("next", step.next),
        ("yes", step.on_yes),
        ("no", step.on_no),
        ("fail", step.on_error),
    ):
        if target:
            triggers.append((name, target))
    return triggers


class CompiledFlow:
    """A flow's machine plus its one cursor."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        states: list[str] = list(flow.steps)
        transitions: list[dict[str, str]] = []
        for step in flow.steps.values():
            for trigger, target in step_triggers(step):
                dest = _dest(target)
                if dest.startswith(EXIT) and dest not in states:
                    states.append(dest)
                transitions.append({"trigger": trigger, "source": step.id, "dest": dest})
        self.machine = Machine(
            model=None,
            states=states,
            transitions=transitions,
            initial=flow.start,
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )
        self._cursor = _Cursor()
        self.machine.add_model(self._cursor, initial=flow.start)

    def fire(self, step: str, trigger: str) -> str:
        """Fire `trigger` from `step`; return the destination state (a step or an exit)."""
        cursor = self._cursor
        cursor.state = step  # the store is the truth; the cursor only stands in for this user
        cursor.trigger(trigger)  # type: ignore[attr-defined]
        return cursor.state
