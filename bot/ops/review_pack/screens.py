"""Every flow step as the person sees it on Telegram, drawn by the engine and the Telegram renderer.

Nothing here re-implements a screen: the engine's own `_show` builds the reply (text, buttons in
its order, emergency/Back/Menu last, contact cards) and `bot/channels/telegram/render.py` turns it
into what the Bot API is sent (HTML-escaped pieces, one keyboard row per button, contact buttons
first). This module only adds where each button leads, as a link in the pack.

Hazard: `Engine._show` is private. It is used on purpose (a second copy of the button rules would
drift from the bot); if it changes shape, tests/test_review_pack.py fails loudly.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field

from bot.channels.telegram import render
from bot.content.catalog import PLACEHOLDER_RE, Catalog, ContactCard
from bot.engine.actions import Registry
from bot.engine.engine import (
    GLOBAL_BACK,
    GLOBAL_EMERGENCY,
    GLOBAL_MENU,
    GLOBAL_SKIP,
    Engine,
    Place,
    Turn,
)
from bot.engine.events import Event, Kind, Reply
from bot.engine.place import SlotEntry
from bot.flows.loader import Project
from bot.flows.model import END, MENU, Flow, Step, Target

EMERGENCY_FLOW = "emergency"
MENU_FLOW = "menu"
START_FLOW = "start"
HOME_PAGE = "index.html"
# the engine's own buttons on every screen (Engine._buttons): listed once, not beside each screen
NAV_KEYS = ("btn.emergency", "btn.back", "btn.menu")


def flow_page(flow: str) -> str:
    return f"flow-{flow}.html"


def anchor(flow: str, step: str) -> str:
    return f"s-{flow}-{step}"


def screen_href(flow: str, step: str) -> str:
    return f"{flow_page(flow)}#{anchor(flow, step)}"


def command_anchor(command: str) -> str:
    return f"cmd-{command}"


@dataclass(frozen=True, slots=True)
class Key:
    """One button as Telegram shows it, and where it leads in the pack (None: nowhere fixed)."""

    text: str
    kind: str  # option | contact | emergency | back | menu | skip
    href: str | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Bubble:
    """One Telegram message: its HTML as sent, and the keyboard under it (on the last piece)."""

    html: str
    keys: tuple[Key, ...] = ()


@dataclass(slots=True)
class Screen:
    """One step of a flow as it reaches the person's phone."""

    flow: str
    step: str
    kind: str  # screen | question | message | action
    bubbles: list[Bubble]
    cards: list[ContactCard] = field(default_factory=list)
    content_keys: list[str] = field(default_factory=list)
    then: Key | None = None  # where a step that does not wait goes on to
    note: str = ""

    @property
    def anchor(self) -> str:
        return anchor(self.flow, self.step)

    @property
    def href(self) -> str:
        return screen_href(self.flow, self.step)

    @property
    def keys(self) -> list[Key]:
        return [k for b in self.bubbles for k in b.keys]


@dataclass(slots=True)
class FlowScreens:
    flow: Flow
    title: str
    screens: list[Screen]


def _targets(step: Step) -> list[Target]:
    out = [o.target for o in step.options]
    out += [t for t in (step.on_yes, step.on_no, step.next, step.on_error) if t is not None]
    return out


def flow_order(flows: dict[str, Flow]) -> list[str]:
    """Flows in the order a person meets them: from `start`, breadth first, buttons in order;
    then any flow no button opens, by name."""
    order: list[str] = []
    queue = deque([START_FLOW] if START_FLOW in flows else [])
    while queue:
        fid = queue.popleft()
        if fid in order:
            continue
        order.append(fid)
        flow = flows[fid]
        for step in step_order(flow):
            for target in _targets(flow.steps[step]):
                nxt = MENU_FLOW if target.special == MENU else target.flow
                if nxt and nxt in flows and nxt not in order:
                    queue.append(nxt)
    return order + sorted(f for f in flows if f not in order)


def step_order(flow: Flow) -> list[str]:
    """A flow's steps from its start, breadth first; then unreached steps in file order."""
    order: list[str] = []
    queue = deque([flow.start])
    while queue:
        sid = queue.popleft()
        if sid in order or sid not in flow.steps:
            continue
        order.append(sid)
        for target in _targets(flow.steps[sid]):
            if target.step and not target.flow and not target.special and not target.command:
                queue.append(target.step)
    return order + [s for s in flow.steps if s not in order]


def step_content_keys(step: Step) -> list[str]:
    """The texts a step shows: its words, then its buttons' labels (the engine's own buttons,
    emergency, Back and Menu, are the same on every screen and listed once on the index)."""
    keys = [*step.say, *([step.ask] if step.ask else [])]
    keys += [o.label for o in step.options] + [c.label for c in step.choices]
    if step.kind == "question" and step.type == "yesno":
        keys += ["btn.yes", "btn.no"]
    if step.kind == "question" and step.optional:
        keys.append("btn.skip")
    return list(dict.fromkeys(keys))


class ScreenBuilder:
    """Renders each step through the engine and the Telegram renderer."""

    def __init__(self, project: Project, registry: Registry) -> None:
        self.project = project
        self.flows = project.flows
        self.catalog: Catalog = project.catalog
        self.registry = registry
        # the store is never touched: only `_show` and `_buttons` run, on a Place made here
        self.engine = Engine(project, registry, store=None)  # type: ignore[arg-type]

    # -- where things lead -------------------------------------------------------------------
    def target_href(self, here: Flow, target: Target | None) -> str | None:
        if target is None:
            return None
        if target.special == MENU:
            return self._flow_start(MENU_FLOW)
        if target.special == END:
            return f"{HOME_PAGE}#end"
        if target.command:
            flow = self.registry.command_flows.get(target.command)
            if flow in self.flows:
                return self._flow_start(flow)
            return f"{HOME_PAGE}#{command_anchor(target.command)}"
        if target.flow:
            if target.flow not in self.flows:
                return None
            return screen_href(target.flow, target.step or self.flows[target.flow].start)
        return screen_href(here.id, target.step or here.start)

    def _flow_start(self, flow: str) -> str | None:
        if flow not in self.flows:
            return None
        return screen_href(flow, self.flows[flow].start)

    def _engine_key(self, flow: Flow, step: Step, label: str, data: str) -> Key:
        if data == GLOBAL_EMERGENCY:
            return Key(label, "emergency", self._flow_start(EMERGENCY_FLOW))
        if data == GLOBAL_MENU:
            return Key(label, "menu", self._flow_start(MENU_FLOW))
        if data == GLOBAL_BACK:
            return Key(label, "back", None, "back to the screen the person came from")
        if data == GLOBAL_SKIP:
            return Key(label, "skip", self.target_href(flow, step.next))
        _, _, index = data.rpartition(".")
        i = int(index) if index.isdecimal() else -1
        target: Target | None = None
        if step.kind == "screen" and 0 <= i < len(step.options):
            target = step.options[i].target
        elif step.type == "yesno" and i in (0, 1):
            target = (step.on_yes if i == 0 else step.on_no) or step.next
        elif step.type == "choice":
            target = step.next
        return Key(label, "option", self.target_href(flow, target))

    # -- drawing -----------------------------------------------------------------------------
    def _placeholders(self, keys: list[str]) -> dict[str, SlotEntry]:
        """Slots the texts show (the person's own answers) as a visible [name] marker."""
        names: dict[str, SlotEntry] = {}
        for key in keys:
            if not self.catalog.has(key):
                continue
            for kind, name in PLACEHOLDER_RE.findall(self.catalog.texts[key].text):
                if kind == "slot":
                    names[name] = {"v": "", "d": f"[{name}]"}
        return names

    def engine_reply(self, flow: Flow, step: Step) -> Reply:
        """The reply the engine shows for `step`, reached from another screen (so Back shows,
        except on the very first screen of all)."""
        first = flow.id == START_FLOW and step.id == flow.start
        here = [flow.id, step.id]
        history = [here] if first else [["", ""], here]
        keys = [*step.say, *([step.ask] if step.ask else [])]
        place = Place(
            flow=flow.id, step=step.id, slots={flow.id: self._placeholders(keys)}, history=history
        )
        turn = Turn(self.engine, "", place, Event(Kind.TEXT))
        self.engine._show(turn, step)
        return turn.replies[-1]

    def telegram_keys(self, flow: Flow, step: Step, reply: Reply) -> list[Key]:
        """The inline keyboard exactly as sent (render.keyboard_json), each row's button."""
        markup = render.keyboard_json(reply)
        if markup is None:
            return []
        keys = []
        for row in json.loads(markup)["inline_keyboard"]:
            for button in row:
                press = render.parse_callback(button["callback_data"])
                if press.kind == "contact":
                    keys.append(
                        Key(
                            button["text"],
                            "contact",
                            f"#{anchor(flow.id, step.id)}-card-{press.value}",
                            "sends the contact card, so the number can be tapped",
                        )
                    )
                else:
                    keys.append(self._engine_key(flow, step, button["text"], press.value))
        return keys

    def messages(self, flow: Flow, step: Step, reply: Reply) -> list[Bubble]:
        """A reply as the Telegram channel sends it: text in pieces, the keyboard on the last."""
        pieces = render.chunks(reply.text or "…")
        keys = tuple(self.telegram_keys(flow, step, reply))
        return [Bubble(p, keys if i == len(pieces) - 1 else ()) for i, p in enumerate(pieces)]

    def screen(self, flow: Flow, step: Step) -> Screen:
        content_keys = step_content_keys(step)
        if step.kind == "action":
            return self._action(flow, step, content_keys)
        reply = self.engine_reply(flow, step)
        kind = step.kind if step.interactive else "message"
        shown = Screen(
            flow.id,
            step.id,
            kind,
            self.messages(flow, step, reply),
            list(reply.contacts),
            content_keys,
        )
        if not step.interactive:
            shown.then = Key("then", "option", self.target_href(flow, step.next))
            shown.note = "shown as a message; the next step follows at once"
        elif step.kind == "question":
            how = "a button" if step.type in ("choice", "yesno") else "typing"
            shown.note = f"a question ({step.type or 'text'}): answered by {how}"
            if step.type not in ("choice", "yesno"):
                shown.then = Key("answered", "option", self.target_href(flow, step.next))
        return shown

    def _action(self, flow: Flow, step: Step, content_keys: list[str]) -> Screen:
        """An action's own words go out as messages first (as `Turn.say`), then it runs."""
        bubbles: list[Bubble] = []
        cards: list[ContactCard] = []
        slots = {name: v["d"] for name, v in self._placeholders(list(step.say)).items()}
        for key in step.say:
            text, found = self.catalog.render(key, slots)
            bubbles.extend(self.messages(flow, step, Reply(text=text, contacts=found)))
            cards.extend(c for c in found if c not in cards)
        shown = Screen(flow.id, step.id, "action", bubbles, cards, content_keys)
        shown.note = f"the bot runs `{step.action}` here; what it shows is made in code (its words "
        shown.note += "are under 'Words the code uses' on the sign-off page)"
        shown.then = Key("then", "option", self.target_href(flow, step.next))
        return shown

    def all_flows(self) -> list[FlowScreens]:
        out = []
        for fid in flow_order(self.flows):
            flow = self.flows[fid]
            title = (
                self.catalog.text(flow.title)
                if flow.title and self.catalog.has(flow.title)
                else fid
            )
            screens = [self.screen(flow, flow.steps[sid]) for sid in step_order(flow)]
            out.append(FlowScreens(flow, title, screens))
        return out
