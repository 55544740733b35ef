"""Reading and checking `flows/*.yaml` together with `content/`.

Every defect becomes a `Problem` naming the file, the line and the step; `load_project` collects
them all and raises `ProjectInvalid`, so `safety-bot validate` and start-up report the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.catalog import Catalog, load_catalog
from bot.flows.checks import FlowCheck, Known, check_flow_reachability, check_needed_steps
from bot.flows.model import (
    BUILTIN_COMMANDS,
    END,
    MENU,
    RESERVED_FLOWS,
    RESERVED_TARGETS,
    Choice,
    Flow,
    Option,
    Step,
    StepNeed,
    Target,
)
from bot.flows.problems import Problem, ProjectInvalid
from bot.flows.screen_rules import check_screens
from bot.flows.yamlsource import Located, LocatedList, YamlProblem, load_yaml

ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
FLOW_KEYS = {"flow", "title", "start", "steps", "description", "sourced_questions"}
STEP_KEYS = {
    "screen": {"id", "say", "options", "next"},
    "question": {"id", "collect", "ask", "type", "optional", "choices", "next", "on_yes", "on_no"},
    "action": {"id", "action", "next", "on_error", "say", "may_go"},
}
OPTION_KEYS = {"label", "next", "flow", "at", "command"}
CHOICE_KEYS = {"value", "label"}


@dataclass
class Project:
    """Everything the engine needs: the flows and the words."""

    flows: dict[str, Flow]
    catalog: Catalog
    problems: list[Problem] = field(default_factory=list)


class _FlowReader:
    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems

    def problem(self, line: int, message: str, step: str | None = None) -> None:
        self.problems.append(Problem(self.path, line, message, step))

    def content_keys(self, value: object, line: int, step: str, what: str) -> tuple[str, ...]:
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return tuple(value)
        self.problem(line, f"'{what}' must be a content key or a list of them", step)
        return ()

    def target(self, body: Located, key: str, step: str) -> Target | None:
        value = body.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not (ID_RE.match(value)):
            self.problem(body.line_of(key), f"'{key}' must be a step id, 'menu' or 'end'", step)
            return None
        if value in RESERVED_TARGETS:
            return Target(special=value)
        return Target(step=value)

    def option(self, body: object, step: str, line: int) -> Option | None:
        if not isinstance(body, Located):
            self.problem(
                line, "each option must be a mapping with 'label' and 'next' or 'flow'", step
            )
            return None
        for key in body:
            if key not in OPTION_KEYS:
                self.problem(body.line_of(key), f"unknown key '{key}' in an option", step)
        label = body.get("label")
        if not isinstance(label, str):
            self.problem(body.line, "an option needs a 'label' (a content key)", step)
            return None
        has_next, has_flow, has_command = "next" in body, "flow" in body, "command" in body
        if has_next + has_flow + has_command != 1:
            self.problem(
                body.line, "an option needs exactly one of 'next', 'flow' or 'command'", step
            )
            return None
        if has_command:
            command = body.get("command")
            if not isinstance(command, str) or not ID_RE.match(command):
                self.problem(body.line_of("command"), "'command' must be a command name", step)
                return None
            return Option(label, Target(command=command), body.line)
        if has_flow:
            flow, at = body.get("flow"), body.get("at")
            if not isinstance(flow, str) or not ID_RE.match(flow):
                self.problem(body.line_of("flow"), "'flow' must be a flow id", step)
                return None
            if at is not None and (not isinstance(at, str) or not ID_RE.match(at)):
                self.problem(body.line_of("at"), "'at' must be a step id", step)
                return None
            return Option(label, Target(flow=flow, step=at), body.line)
        if "at" in body:
            self.problem(body.line_of("at"), "'at' only goes with 'flow'", step)
        target = self.target(body, "next", step)
        return Option(label, target, body.line) if target else None

    def step(self, body: object, index_line: int) -> Step | None:
        if not isinstance(body, Located):
            self.problem(index_line, "each step must be a mapping with an 'id'")
            return None
        sid = body.get("id")
        if not isinstance(sid, str) or not ID_RE.match(sid):
            self.problem(body.line, "every step needs an 'id' matching [a-z][a-z0-9_]*")
            return None
        if "collect" in body:
            kind = "question"
        elif "action" in body:
            kind = "action"
        else:
            kind = "screen"
        for key in body:
            if key not in STEP_KEYS[kind]:
                self.problem(body.line_of(key), f"unknown key '{key}' for a {kind} step", sid)
        fields: dict[str, object] = {"id": sid, "kind": kind, "line": body.line}
        if "say" in body:
            fields["say"] = self.content_keys(body["say"], body.line_of("say"), sid, "say")
        fields["next"] = self.target(body, "next", sid)
        if kind == "screen":
            options = body.get("options", [])
            if not isinstance(options, list):
                self.problem(body.line_of("options"), "'options' must be a list", sid)
                options = []
            line = getattr(options, "line", body.line)
            parsed = [self.option(o, sid, line) for o in options]
            fields["options"] = tuple(o for o in parsed if o)
            if not fields.get("say"):
                self.problem(body.line, "a screen step needs 'say'", sid)
        elif kind == "question":
            self._question(body, sid, fields)
        else:
            action = body.get("action")
            if not isinstance(action, str) or not ID_RE.match(action):
                self.problem(body.line_of("action"), "'action' must be an action name", sid)
            fields["action"] = action if isinstance(action, str) else None
            fields["on_error"] = self.target(body, "on_error", sid)
            fields["may_go"] = self._may_go(body, sid)
        return Step(**fields)  # type: ignore[arg-type]

    def _may_go(self, body: Located, sid: str) -> tuple[Target, ...]:
        value = body.get("may_go")
        if value is None:
            return ()
        if not isinstance(value, list) or not all(
            isinstance(v, str) and ID_RE.match(v) for v in value
        ):
            self.problem(body.line_of("may_go"), "'may_go' must be a list of step ids", sid)
            return ()
        return tuple(Target(step=v) for v in value)

    def _question(self, body: Located, sid: str, fields: dict[str, object]) -> None:
        collect, ask, qtype = body.get("collect"), body.get("ask"), body.get("type", "text")
        if not isinstance(collect, str) or not ID_RE.match(collect):
            self.problem(body.line_of("collect"), "'collect' must be a slot name", sid)
        if not isinstance(ask, str):
            self.problem(body.line, "a question needs 'ask' (a content key)", sid)
        if not isinstance(qtype, str):
            self.problem(body.line_of("type"), "'type' must be a name", sid)
            qtype = "text"
        optional = body.get("optional", False)
        if not isinstance(optional, bool):
            self.problem(body.line_of("optional"), "'optional' must be true or false", sid)
            optional = False
        choices: list[Choice] = []
        raw = body.get("choices")
        if raw is not None:
            if not isinstance(raw, list):
                self.problem(body.line_of("choices"), "'choices' must be a list", sid)
            else:
                for item in raw:
                    if (
                        not isinstance(item, Located)
                        or not isinstance(item.get("value"), str)
                        or not isinstance(item.get("label"), str)
                        or set(item) - CHOICE_KEYS
                    ):
                        line = getattr(item, "line", body.line_of("choices"))
                        self.problem(line, "each choice is {value: ..., label: content.key}", sid)
                        continue
                    choices.append(Choice(item["value"], item["label"]))
        if qtype == "choice" and not choices:
            self.problem(body.line, "a 'choice' question needs 'choices'", sid)
        if qtype != "choice" and raw is not None:
            self.problem(body.line_of("choices"), "'choices' only goes with type 'choice'", sid)
        fields.update(
            collect=collect if isinstance(collect, str) else None,
            ask=ask if isinstance(ask, str) else None,
            type=qtype,
            optional=optional,
            choices=tuple(choices),
            on_yes=self.target(body, "on_yes", sid),
            on_no=self.target(body, "on_no", sid),
        )
        if (fields["on_yes"] or fields["on_no"]) and qtype != "yesno":
            self.problem(body.line, "'on_yes'/'on_no' only go with type 'yesno'", sid)

    def flow(self, data: object) -> Flow | None:
        if not isinstance(data, Located):
            self.problem(1, "a flow file must be a mapping with 'flow', 'start' and 'steps'")
            return None
        for key in data:
            if key not in FLOW_KEYS:
                self.problem(data.line_of(key), f"unknown key '{key}' at the top of the flow")
        fid, start, steps = data.get("flow"), data.get("start"), data.get("steps")
        ok = True
        if not isinstance(fid, str) or not ID_RE.match(fid):
            self.problem(data.line_of("flow"), "'flow' must be an id matching [a-z][a-z0-9_]*")
            ok = False
        elif fid != self.path.stem:
            self.problem(data.line_of("flow"), f"flow id '{fid}' must match the file name")
        if not isinstance(start, str):
            self.problem(data.line_of("start"), "'start' must name the first step")
            ok = False
        if not isinstance(steps, list) or not steps:
            self.problem(data.line_of("steps"), "'steps' must be a non-empty list")
            return None
        title = data.get("title")
        if title is not None and not isinstance(title, str):
            self.problem(data.line_of("title"), "'title' must be a content key")
            title = None
        parsed: dict[str, Step] = {}
        list_line = steps.line if isinstance(steps, LocatedList) else data.line_of("steps")
        for body in steps:
            step = self.step(body, list_line)
            if step is None:
                continue
            if step.id in parsed:
                first = parsed[step.id]
                self.problem(step.line, f"duplicate step id (first at line {first.line})", step.id)
                continue
            if step.id in RESERVED_TARGETS:
                self.problem(step.line, f"'{step.id}' is reserved; choose another id", step.id)
                continue
            parsed[step.id] = step
        sourced = data.get("sourced_questions", False)
        if not isinstance(sourced, bool):
            self.problem(data.line_of("sourced_questions"), "'sourced_questions' is true or false")
            sourced = False
        if not ok or not isinstance(fid, str) or not isinstance(start, str):
            return None
        return Flow(fid, title, start, parsed, self.path, data.line, sourced_questions=sourced)


def load_project(
    flows_dir: Path,
    content_dir: Path,
    *,
    region: str = "cheshire",
    known_types: set[str],
    known_actions: set[str],
    entry_flows: set[str] = frozenset(),  # type: ignore[assignment]
    known_commands: set[str] = frozenset(),  # type: ignore[assignment]
    needed_steps: Iterable[StepNeed] = (),
    raise_on_problems: bool = True,
) -> Project:
    """Load and check every flow and content file.

    `known_types` / `known_actions` are what the code registers; `entry_flows` are flows that a
    command opens (so they count as reachable); `known_commands` are the commands the code adds
    to the built-in ones (an option may run one: `command: incidents`); `needed_steps` are the
    steps the code sends people to (`Registry.needs_steps`), which must exist.
    """
    problems: list[Problem] = []
    catalog = load_catalog(content_dir, region, problems)
    flows: dict[str, Flow] = {}
    paths = sorted(flows_dir.glob("*.yaml"))
    if not paths:
        problems.append(Problem(flows_dir, 1, "no flow files (*.yaml) found"))
    for path in paths:
        reader = _FlowReader(path, problems)
        try:
            data = load_yaml(path)
        except YamlProblem as exc:
            problems.append(Problem(exc.path, exc.line, exc.message))
            continue
        flow = reader.flow(data)
        if flow is None:
            continue
        if flow.id in flows:
            problems.append(Problem(path, flow.line, f"duplicate flow id '{flow.id}'"))
            continue
        flows[flow.id] = flow
    for name in RESERVED_FLOWS:
        if name not in flows:
            problems.append(
                Problem(flows_dir / f"{name}.yaml", 1, f"the '{name}' flow is required")
            )
    known = Known(known_types, known_actions, set(BUILTIN_COMMANDS) | set(known_commands))
    for flow in flows.values():
        FlowCheck(flow, flows, catalog, known, problems).run()
        check_screens(flow, catalog, problems)
    check_flow_reachability(flows, set(entry_flows), problems)
    check_needed_steps(flows, flows_dir, needed_steps, problems)
    if problems and raise_on_problems:
        raise ProjectInvalid(problems)
    return Project(flows, catalog, problems)


__all__ = ["END", "MENU", "Project", "load_project"]
