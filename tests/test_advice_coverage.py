"""The advice reaches the reader: every line of the source, through the real engine.

The walk starts a conversation with the real `Engine` over the real flows and content, and presses
every button of every screen it reaches (breadth first; each path is replayed by a fresh user).
From what it reached it checks:

- every bullet and sentence of the source is in `content/source_checklist.yaml`, and every content
  id that carries it is on a screen the walk reached;
- the few facts beyond the source cite the body the issue names, and are reachable too;
- every number on a screen is a number of the registry (`contacts.yaml` + region pack), offered as
  a contact card, and no text types a phone-number-like digit run outside `{contact:...}`;
- emergency is one step from every screen (button, /emergency and danger words), and danger
  words leave the person where they were.
"""

from __future__ import annotations

import os
import re
import shutil
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import journal, risk
from bot.app import build_registry, project_checks
from bot.content.catalog import PLACEHOLDER_RE
from bot.engine.danger import DangerDetector
from bot.engine.engine import GLOBAL_BACK, GLOBAL_EMERGENCY, Engine
from bot.engine.events import Event, Reply
from bot.flows.loader import Project, load_project
from bot.store.checklists import ChecklistStore
from bot.store.crypto import Cipher
from bot.store.db import Database
from bot.store.incidents import IncidentStore
from bot.store.locks import LockStore

ROOT = Path(__file__).resolve().parents[1]
FLOWS = ROOT / "flows"
CONTENT = ROOT / "content"
SOURCE = CONTENT / "source" / "cheshire-stalking-advice.txt"
SHARED_SOURCE = ROOT.parent / "shared" / "source" / "cheshire-stalking-advice.txt"
CHECKLIST = yaml.safe_load((CONTENT / "source_checklist.yaml").read_text(encoding="utf-8"))

# The flows this issue owns (the journal's record_incident is walked to, not through).
ADVICE_FLOWS = {
    "start",
    "menu",
    "emergency",
    "reporting",
    "unwanted_calls",
    "know_who",
    "physical_safety",
    "cyber_safety",
    "evidence",
    "telling_people",
    "is_this_stalking",
    "advice",
    "diary",
    "privacy",
}
JOURNAL_FLOW = "record_incident"

# The registry the issue names, exactly as people dial the numbers.
EXPECTED_NUMBERS = {
    "emergency": "999",
    "police": "101",
    "helpline": "0808 802 0300",
    "crimestoppers": "0800 555 111",
    "victim_support": "0808 168 9111",
    "call_return": "1471",
}
# A phone-number-like run: three or more digits, possibly in spaced groups.
# (not part of a time, date or placeholder: "12/03 18:00" is no number to dial)
PHONE_LIKE = re.compile(r"(?<![\w{:/.])\d(?:[\d ]*\d)?(?![\w}:/])")
NOT_PHONE_NUMBERS = {"1997": "the year of the Protection from Harassment Act"}
SENSITIVE_SCREENS = {
    ("start", "welcome"),
    ("menu", "choose"),
    ("emergency", "safe_place"),
    ("know_who", "no_confront"),
    ("evidence", "intro"),
    ("telling_people", "tell"),
}


def phone_like(text: str) -> list[str]:
    runs = [m.group(0).strip() for m in PHONE_LIKE.finditer(text)]
    return [r for r in runs if len(r.replace(" ", "")) >= 3 and r not in NOT_PHONE_NUMBERS]


def source_units() -> list[str]:
    """Every bullet (without the '•') and every sentence of every other line of the source."""
    units: list[str] = []
    for line in SOURCE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("•"):
            units.append(line[1:].strip())
        else:
            units.extend(re.split(r"(?<=[.?!])\s+(?=[A-Z])", line))
    return units


class MemoryStore:
    """The engine's conversation-store interface, in memory (the walk needs no database)."""

    def __init__(self) -> None:
        self.places: dict[str, dict[str, Any]] = {}

    def user_ref(self, user_id: str) -> str:
        return f"ref-{user_id}"

    async def load_place(self, user_ref: str) -> dict[str, Any] | None:
        return self.places.get(user_ref)

    async def save_place(self, user_ref: str, place: dict[str, Any]) -> None:
        self.places[user_ref] = place


@dataclass
class Walk:
    engine: Engine
    project: Project
    screens: dict[tuple[str, str], Reply]  # (flow, step) -> the screen as shown
    paths: dict[tuple[str, str], tuple[str, ...]]  # how to get there: button data from "hi"
    _users: int = 0

    async def replay(self, path: tuple[str, ...]) -> tuple[str, list[Reply]]:
        self._users += 1
        user = f"walker{self._users}"
        replies = await self.engine.handle(user, Event.from_text("hi"))
        for data in path:
            replies = await self.engine.handle(user, Event.button(data))
        return user, replies

    async def where(self, user: str) -> tuple[str, str]:
        place = await self.engine.place_of(user)
        return place.flow or "", place.step or ""

    @property
    def shown_keys(self) -> set[str]:
        keys: set[str] = set()
        for flow, step in self.screens:
            shown = self.project.flows[flow].steps[step]
            keys.update(shown.say)
            if shown.ask:
                keys.add(shown.ask)
        return keys


def _screen(replies: list[Reply]) -> Reply:
    screens = [r for r in replies if r.screen]
    assert screens, f"no screen in replies: {[r.text for r in replies]}"
    return screens[-1]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Any]:
    flows = tmp_path_factory.mktemp("flows")
    for path in FLOWS.glob("*.yaml"):
        shutil.copy(path, flows / path.name)
    assert (flows / f"{JOURNAL_FLOW}.yaml").exists(), "the journal's flow is missing"
    registry = build_registry()
    loaded = load_project(
        flows,
        CONTENT,
        region="cheshire",
        **project_checks(registry),
    )
    return loaded, registry


@pytest.fixture
async def walk(project: tuple[Project, Any], tmp_path: Path) -> AsyncIterator[Walk]:
    loaded, registry = project
    # features that keep answers (the risk check) save them for real, so the walk goes on to
    # the screens shown after the commit
    db = await Database.open(tmp_path / "walk.db")
    cipher = Cipher(os.urandom(32))
    # the stores bot/app.py wires, on this walk's database (the module's registry is shared)
    registry.provide(journal.INCIDENTS, IncidentStore(db, cipher, tmp_path))
    registry.provide(journal.LOCK_STORE, LockStore(db, cipher))
    registry.provide(risk.CHECKLISTS, ChecklistStore(db, cipher))
    try:
        yield await _walk(loaded, registry)
    finally:
        await db.close()


async def _walk(loaded: Project, registry: Any) -> Walk:
    engine = Engine(
        loaded,
        registry,
        MemoryStore(),
        danger=DangerDetector.from_content(CONTENT),
    )
    w = Walk(engine, loaded, {}, {})
    queue: deque[tuple[str, ...]] = deque([()])
    while queue:
        path = queue.popleft()
        user, replies = await w.replay(path)
        node = await w.where(user)
        if node in w.screens:
            continue
        w.screens[node] = _screen(replies)
        w.paths[node] = path
        if node[0] == JOURNAL_FLOW:
            continue  # the journal's own questions are its issue's to walk
        options = loaded.flows[node[0]].steps[node[1]].options
        for button in w.screens[node].buttons:
            index = button.data.rpartition(".")[2]
            if index.isdecimal() and int(index) < len(options):
                if options[int(index)].target.command:
                    continue  # runs a journal command: the journal's own tests walk those
            if button.data != GLOBAL_BACK:
                queue.append((*path, button.data))
    return w


# ------------------------------------------------------------------------------- the source


def test_repo_copy_of_the_source_is_the_shared_one() -> None:
    if SHARED_SOURCE.exists():
        assert SOURCE.read_bytes() == SHARED_SOURCE.read_bytes()
    assert SOURCE.stat().st_size > 0


def test_checklist_lists_every_line_of_the_source_in_order() -> None:
    listed = [item["source"] for item in CHECKLIST["items"]]
    assert listed == source_units()


def test_every_source_bullet_has_a_reachable_carrier(walk: Walk) -> None:
    catalog = walk.project.catalog
    shown = walk.shown_keys
    missing = []
    for item in CHECKLIST["items"]:
        if item.get("heading"):
            assert not re.search(r"\d", item["source"]), (
                f"a line with a number is no heading: {item}"
            )
            assert "carriers" not in item
            continue
        carriers = item.get("carriers") or []
        assert carriers, f"no carrier for: {item['source']}"
        for key in carriers:
            assert catalog.has(key), f"unknown carrier {key} for: {item['source']}"
            assert catalog.texts[key].source == "cheshire", f"{key} must cite the source"
            if key not in shown:
                missing.append((key, item["source"]))
    assert missing == [], f"carriers on no reachable screen: {missing}"
    headings = sum(1 for i in CHECKLIST["items"] if i.get("heading"))
    print(f"\nsource: {len(CHECKLIST['items']) - headings} bullets/sentences all reachable")


def test_source_numbers_reach_the_reader(walk: Walk) -> None:
    """A line of the source that names a number: its carriers show that very number."""
    catalog = walk.project.catalog
    for item in CHECKLIST["items"]:
        for number in phone_like(item["source"]):
            shown = " ".join(catalog.text(k) for k in item.get("carriers", []))
            assert number in shown, f"{number} from '{item['source']}' not shown by its carriers"


def test_facts_beyond_the_source_cite_their_body_and_are_reachable(walk: Walk) -> None:
    catalog = walk.project.catalog
    shown = walk.shown_keys
    listed: set[str] = set()
    for fact in CHECKLIST["beyond_source"]:
        assert fact["source"] in catalog.sources, fact
        for key in fact["carriers"]:
            assert catalog.texts[key].source == fact["source"], key
            if "shown_by" not in fact:  # else a channel says it (and its own test checks)
                assert key in shown, f"{key} ({fact['fact']}) is on no reachable screen"
            listed.add(key)
    others = {k for k, t in catalog.texts.items() if t.source not in ("cheshire", "bot")}
    assert others <= listed, (
        f"texts citing other bodies but not in the checklist: {others - listed}"
    )


# ------------------------------------------------------------------------------- the walk


def test_every_advice_flow_is_reached(walk: Walk) -> None:
    reached = {flow for flow, _ in walk.screens}
    assert ADVICE_FLOWS | {JOURNAL_FLOW} <= reached
    for fid in ADVICE_FLOWS:
        steps = set(walk.project.flows[fid].steps)
        seen = {step for flow, step in walk.screens if flow == fid}
        assert steps == seen, f"{fid}: steps never shown: {steps - seen}"
    print(f"\nwalk: {len(walk.screens)} screens reached by buttons from the start")


def test_numbers_on_screens_are_the_registry_s_and_offered_as_cards(walk: Walk) -> None:
    catalog = walk.project.catalog
    numbers = {key: card.number for key, card in catalog.contacts.items()}
    assert numbers == EXPECTED_NUMBERS
    for (flow, step), screen in walk.screens.items():
        if flow == JOURNAL_FLOW:
            continue
        offered = {card.number for card in screen.contacts}
        for number in phone_like(screen.text):
            assert number in numbers.values(), f"{flow}>{step}: {number} is not in the registry"
            assert number in offered, f"{flow}>{step}: {number} shown but not offered as a card"
        for card in screen.contacts:
            assert card.number in screen.text
            assert catalog.contacts[card.key] == card


def test_registry_numbers_match_their_sources() -> None:
    source_text = " ".join(SOURCE.read_text(encoding="utf-8").split())
    contacts = yaml.safe_load((CONTENT / "contacts.yaml").read_text(encoding="utf-8"))
    region = yaml.safe_load((CONTENT / "regions" / "cheshire.yaml").read_text(encoding="utf-8"))
    for key, body in {**contacts, **region["contacts"]}.items():
        if body["source"] == "cheshire":
            assert body["number"] in source_text, f"{key}: {body['number']} not in the source"


def test_no_number_typed_outside_a_contact_placeholder(walk: Walk) -> None:
    for key, item in walk.project.catalog.texts.items():
        bare = PLACEHOLDER_RE.sub("", item.text)
        assert phone_like(bare) == [], f"{key}: type numbers as {{contact:KEY}}, not digits"


async def test_emergency_is_one_step_from_every_screen(walk: Walk) -> None:
    for node, path in walk.paths.items():
        flow, _ = node
        buttons = [b.data for b in walk.screens[node].buttons]
        if flow == "emergency":
            assert node == ("emergency", "call_999") or any(
                walk.project.flows["emergency"].steps[node[1]].options
            )
            continue
        step = walk.project.flows[flow].steps[node[1]]
        leads_there = any(o.target.flow == "emergency" for o in step.options)
        # the engine's emergency button, or (on the welcome) the screen's own "Yes, I'm in danger"
        assert GLOBAL_EMERGENCY in buttons or leads_there, f"{node}: no emergency button"
        for how in (Event.button(GLOBAL_EMERGENCY), Event.from_text("/emergency")):
            user, _ = await walk.replay(path)
            replies = await walk.engine.handle(user, how)
            assert await walk.where(user) == ("emergency", "call_999"), (node, how)
            assert replies[0].text.startswith("Call 999 now."), (node, replies[0].text)


async def test_danger_words_give_999_on_top_then_leave_you_where_you_were(walk: Walk) -> None:
    for node, path in walk.paths.items():
        if node[0] == JOURNAL_FLOW:
            continue
        user, _ = await walk.replay(path)
        replies = await walk.engine.handle(user, Event.from_text("hes outside my house!!"))
        # the emergency screen comes last, so it stays on top (tests/test_emergency_everywhere.py)
        assert replies[-1].text.startswith("Call 999 now."), node
        assert any(c.number == "999" for c in replies[-1].contacts), node
        assert await walk.where(user) == node


# ------------------------------------------------------------------------------- the words


def test_screens_are_short_and_buttons_shorter(walk: Walk) -> None:
    catalog = walk.project.catalog
    for fid in ADVICE_FLOWS:
        for step in walk.project.flows[fid].steps.values():
            lines = [ln for key in step.say for ln in catalog.text(key).splitlines() if ln]
            assert len(lines) <= 6, f"{fid}>{step.id}: {len(lines)} lines; split with More"
            assert all(len(ln) <= 120 for ln in lines), f"{fid}>{step.id}: a line is too long"
            for option in step.options:
                label = catalog.text(option.label)
                assert len(label) <= 30 and "\n" not in label, f"{fid}>{step.id}: '{label}'"


def test_suggests_and_never_orders_except_999(walk: Walk) -> None:
    catalog = walk.project.catalog
    for key in walk.shown_keys:
        text = catalog.text(key)
        assert not re.search(r"\b(must|you should|you need to act)\b", text, re.I), key
        assert not re.search(r"\b(will stop|will be arrested|guarantee)\b", text, re.I), key
    first = catalog.text(walk.project.flows["emergency"].steps["call_999"].say[0])
    assert first.splitlines()[0] == "Call 999 now."


def test_clear_is_offered_on_the_welcome_and_sensitive_screens(walk: Walk) -> None:
    for node in SENSITIVE_SCREENS:
        assert "/clear" in walk.screens[node].text, node
    welcome = walk.screens[("start", "welcome")].text
    assert "not the police" in welcome and "danger right now?" in welcome


def test_every_evidence_screen_leads_straight_into_recording(walk: Walk) -> None:
    flow = walk.project.flows["evidence"]
    for step in flow.steps.values():
        if step.id == flow.start:
            continue
        targets = {o.target.flow for o in step.options}
        assert JOURNAL_FLOW in targets, f"evidence>{step.id} does not offer recording"
    # the menu opens "My diary", whose first choice is recording
    menu = walk.project.flows["menu"].steps["choose"]
    assert "diary" in {o.target.flow for o in menu.options}
    diary = walk.project.flows["diary"].steps["choose"]
    assert diary.options[0].target.flow == JOURNAL_FLOW


def test_every_content_item_records_source_section_and_review(walk: Walk) -> None:
    for key, item in walk.project.catalog.texts.items():
        if key.startswith(("btn.", "bot.", "check.")):
            continue  # the engine's own words
        assert item.reviewed is not None, key
        if item.source != "bot":
            assert item.section, key
