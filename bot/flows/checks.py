"""The checks a loaded flow set must pass: every text, type, action, command and target known;
no dead end, no loop that never waits, every step reachable; every flow reachable; every step
the code needs present. Each defect is a `Problem` naming the file, line and step."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.content.catalog import Catalog
from bot.flows.model import RESERVED_FLOWS, Flow, Step, StepNeed, Target
from bot.flows.problems import Problem


def _targets(step: Step) -> Iterable[tuple[Target, int]]:
    for option in step.options:
        yield option.target, option.line
    for target in (step.next, step.on_yes, step.on_no, step.on_error, *step.may_go):
        if target:
            yield target, step.line


@dataclass(frozen=True)
class Known:
    """What the code registers, for the flows to be checked against."""

    types: set[str]
    actions: set[str]
    commands: set[str]


class FlowCheck:
    """One flow's checks, as named steps (`run` is the driver)."""

    def __init__(
        self,
        flow: Flow,
        flows: dict[str, Flow],
        catalog: Catalog,
        known: Known,
        problems: list[Problem],
    ) -> None:
        self.flow, self.flows, self.catalog, self.known = flow, flows, catalog, known
        self.problems = problems

    def run(self) -> None:
        flow = self.flow
        self.need_text(flow.title, flow.line, None)
        if flow.start not in flow.steps:
            self.problem(flow.line, f"'start' names step '{flow.start}', which does not exist")
        for step in flow.steps.values():
            self.texts(step)
            self.kinds(step)
            for target, line in _targets(step):
                self.target(step, target, line)
            self.dead_end(step)
        for step in flow.steps.values():
            self.loop_from(step)
        self.reachable()

    def problem(self, line: int, message: str, step: str | None = None) -> None:
        self.problems.append(Problem(self.flow.path, line, message, step))

    def need_text(self, key: str | None, line: int, step: str | None) -> None:
        if key is not None and not self.catalog.has(key):
            self.problem(line, f"unknown content key '{key}'", step)

    def texts(self, step: Step) -> None:
        for key in step.say:
            self.need_text(key, step.line, step.id)
        self.need_text(step.ask, step.line, step.id)
        for option in step.options:
            self.need_text(option.label, option.line, step.id)
        for choice in step.choices:
            self.need_text(choice.label, step.line, step.id)
        if self.flow.sourced_questions and step.ask and self.catalog.has(step.ask):
            if self.catalog.texts[step.ask].source == "bot":
                self.problem(
                    step.line,
                    f"question '{step.ask}' must cite its source: this flow asks a sourced "
                    "checklist (sourced_questions: true), not the bot's own words",
                    step.id,
                )

    def kinds(self, step: Step) -> None:
        if step.kind == "question" and step.type not in self.known.types:
            self.problem(step.line, f"unknown question type '{step.type}'", step.id)
        if step.kind == "action" and step.action and step.action not in self.known.actions:
            self.problem(step.line, f"action '{step.action}' is not registered in code", step.id)

    def target(self, step: Step, target: Target, line: int) -> None:
        if target.command:
            if target.command not in self.known.commands:
                self.problem(
                    line, f"command '/{target.command}' is not registered in code", step.id
                )
        elif target.flow:
            other = self.flows.get(target.flow)
            if other is None:
                self.problem(line, f"flow '{target.flow}' does not exist", step.id)
            elif target.step and target.step not in other.steps:
                self.problem(line, f"flow '{target.flow}' has no step '{target.step}'", step.id)
        elif target.step and target.step not in self.flow.steps:
            self.problem(line, f"'{target.step}' is not a step of this flow", step.id)

    def dead_end(self, step: Step) -> None:
        """A step that offers no way on."""
        yesno_both = step.type == "yesno" and step.on_yes and step.on_no
        if step.kind == "screen" and not step.options and not step.next:
            self.problem(step.line, "dead end: a screen needs 'options' or 'next'", step.id)
        if step.kind in ("question", "action") and not step.next and not yesno_both:
            self.problem(step.line, f"dead end: a {step.kind} step needs 'next'", step.id)

    def loop_from(self, step: Step) -> None:
        """A chain of steps that never waits for the user must end somewhere."""
        chain: list[str] = []
        current: Step | None = step
        while current is not None and not current.interactive and current.next:
            if current.id in chain:
                if current.id == step.id:
                    self.problem(
                        step.line,
                        "loop: " + " -> ".join([*chain, step.id]) + " never waits for the user",
                        step.id,
                    )
                break
            chain.append(current.id)
            target = current.next
            current = self.flow.steps.get(target.step) if target.step and not target.flow else None

    def reachable(self) -> None:
        """Every step is reached from the flow's start, or from another flow."""
        flow = self.flow
        seen: set[str] = set()
        todo = [flow.start] if flow.start in flow.steps else []
        while todo:
            sid = todo.pop()
            if sid in seen:
                continue
            seen.add(sid)
            for target, _ in _targets(flow.steps[sid]):
                if target.step and not target.flow and target.step in flow.steps:
                    todo.append(target.step)
        entries = {
            t.step
            for f in self.flows.values()
            for s in f.steps.values()
            for t, _ in _targets(s)
            if t.flow == flow.id and t.step
        }
        for step in flow.steps.values():
            if step.id not in seen and step.id not in entries:
                self.problem(step.line, "unreachable: no step leads here", step.id)


def check_flow_reachability(
    flows: dict[str, Flow], entry_flows: set[str], problems: list[Problem]
) -> None:
    roots = [f for f in (*RESERVED_FLOWS, *sorted(entry_flows)) if f in flows]
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        fid = todo.pop()
        if fid in seen:
            continue
        seen.add(fid)
        for step in flows[fid].steps.values():
            for target, _ in _targets(step):
                if target.flow and target.flow in flows:
                    todo.append(target.flow)
    for fid, flow in flows.items():
        if fid not in seen:
            problems.append(
                Problem(
                    flow.path,
                    flow.line,
                    f"unreachable flow '{fid}': no menu, button or command opens it",
                )
            )


def check_needed_steps(
    flows: dict[str, Flow], flows_dir: Path, needs: Iterable[StepNeed], problems: list[Problem]
) -> None:
    """A step the code sends people to, renamed or gone from the YAML, would send them to the
    menu without a word: refuse it here, naming the flow file and the code that needs it."""
    for need in needs:
        flow = flows.get(need.flow)
        if flow is not None and need.step in flow.steps:
            continue
        path, line = (flow.path, flow.line) if flow else (flows_dir / f"{need.flow}.yaml", 1)
        problems.append(
            Problem(
                path,
                line,
                f"the code needs step '{need.step}' of flow '{need.flow}' "
                f"({need.declared_in}:{need.declared_line}), and the flow has none",
            )
        )
