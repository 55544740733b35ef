"""The typed-question ranker: its fast path, its content checks, and a few routings."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.app import App, build_registry, open_app
from bot.ask.router import Kind, Reading, Router, Thresholds
from bot.engine.events import Event
from bot.flows.loader import Project
from bot.flows.problems import ProjectInvalid
from bot.settings import Settings
from tests.chat_client import ChatClient

ROOT = Path(__file__).resolve().parent.parent
TUNE = ROOT / "tests" / "corpus" / "ask" / "tune.yaml"


@pytest.mark.parametrize(
    ("text", "kind", "first"),
    [
        ("what is 101", Kind.ADVICE, "reporting/call_101"),
        ("wat is 1471", Kind.ADVICE, "unwanted_calls/dial_1471"),
        ("shud i chnage my paswords", Kind.CHOICES, "cyber_safety/passwords"),  # typos
        ("Thank you!", Kind.GREETING, None),
        ("menu", Kind.GREETING, None),
        ("can i get a restraining order?", Kind.NOT_COVERED, None),
        ("he was outside my work yesterday", Kind.INCIDENT, None),
        ("is this stalking or am i overreacting", Kind.ADVICE, "is_this_stalking/four"),
        ("do i need a solicitor for the court case", Kind.NOT_COVERED, None),
        ("can the council rehouse me", Kind.NOT_COVERED, None),
        ("where can i get therapy", Kind.NOT_COVERED, None),
        ("whats on telly tonight", Kind.NOT_COVERED, None),  # a question, not an incident
        # a question asked after the event is told is a question (round 5)
        ("he was let out on bail last week, what happens if he breaks it", Kind.NOT_COVERED, None),
        ("he was at my door at 9 last night", Kind.INCIDENT, None),
    ],
)
def test_routes(router: Router, text: str, kind: Kind, first: str | None) -> None:
    routing = router.route(text)
    assert routing.kind == kind, routing
    if first:
        assert routing.screens[0].key == first


@pytest.mark.parametrize(
    "text",
    [
        "Thnaks so much",  # one letter out: still thanks
        "helo",
        "menue pls",
        "good evenin, first time using this",
        "how does this thing work?",
        "hey, what can you help with",
        "ok, i'll think about it. night",
        "hiiii",  # letters drawn out (round 5)
        "byeee x",
        "cheers mate",  # the words people put around thanks
        "diolch yn fawr",  # thanks in the languages people here write in
        "dziekuje bardzo",
        "can i talk to you",
        "what sort of things can i ask you",
        "👍",  # a reaction, no words
        "sorry wrong button",
        "brill thanks",
        "hi, i dont really know how this works",
    ],
)
def test_greetings_and_small_talk_get_the_menu(router: Router, text: str) -> None:
    assert router.route(text).kind == Kind.GREETING


@pytest.mark.parametrize(
    "text",
    [
        "he's back",  # "go back" is a greeting; "back" alone with "he" is not
        "he did this before",  # one word of "never used this before"
        "he said hi to my mum",
        "thanks, he followed me home again last night",
        "he rang at night",
        "can i talk to him",  # "can i talk to you" is listed word for word, not by its words
        "he will be back",
        "he sent me this",
        "hi, is this stalking",  # "stalking" is an advice word, not a typo of "talking"
        "07700900123",  # a number, to keep: not a reaction
        "hi, he's back",  # about someone: not small talk, whatever greets it
        "thanks, he is here again",
        "what will the police ask me",  # "what can i ask you" is small talk; this is not
    ],
)
def test_a_message_with_more_than_small_talk_is_not_a_greeting(router: Router, text: str) -> None:
    assert router.route(text).kind != Kind.GREETING


def test_a_not_covered_topic_wins_within_the_margin_of_the_best_screen(router: Router) -> None:
    ranking = [("cyber_safety/malware", 0.50), ("!not_covered/housing", 0.45)]
    read = Reading(empty=False, asking=True, ranking=ranking)
    near = Thresholds(not_covered_margin=0.0, sure_at=0.9)
    assert router.decide(read, near).kind == Kind.CHOICES
    assert router.decide(read, replace(near, sure_at=0.5, sure_margin=0.2)).kind == Kind.ADVICE
    assert router.decide(read, replace(near, not_covered_margin=0.1)).kind == Kind.NOT_COVERED
    faint = replace(near, not_covered_margin=0.1, not_covered_from=0.5)
    assert router.decide(read, faint).kind == Kind.CHOICES  # too faint a likeness to decide


def test_not_covered_offers_the_nearest_topics_when_a_screen_comes_close(router: Router) -> None:
    ranking = [
        ("!not_covered/housing", 0.60),
        ("physical_safety/locks", 0.45),
        ("physical_safety/intro", 0.44),  # the same topic: offered once
        ("cyber_safety/malware", 0.35),
        ("evidence/intro", 0.34),
    ]
    read = Reading(empty=False, asking=True, ranking=ranking)
    routing = router.decide(read, Thresholds(nearest_within=0.2))
    assert routing.kind == Kind.NOT_COVERED
    assert [s.key for s in routing.screens] == ["physical_safety/locks"]  # 0.35 < 0.60 - 0.2
    wide = router.decide(read, Thresholds(nearest_within=0.3))
    assert [s.key for s in wide.screens] == ["physical_safety/locks", "cyber_safety/malware"]
    assert router.decide(read, Thresholds(nearest_within=0.1)).screens == []


def test_the_ranking_names_the_topic_that_is_not_covered(router: Router) -> None:
    routing = router.route("can i get legal aid")
    assert routing.kind == Kind.NOT_COVERED
    assert routing.ranking[0][0] == "!not_covered/lawyers_and_money"


def test_nothing_above_the_floor_is_not_covered_if_asked_else_the_journal(router: Router) -> None:
    faint = [("cyber_safety/malware", 0.05), ("!not_covered/housing", 0.04)]
    assert router.decide(Reading(empty=False, asking=True, ranking=faint)).kind == Kind.NOT_COVERED
    assert router.decide(Reading(empty=False, asking=False, ranking=faint)).kind == Kind.JOURNAL


def test_a_question_without_a_topic_word_gets_the_menu(router: Router) -> None:
    assert router.decide(Reading(empty=False, asking=True, ranking=[])).kind == Kind.VAGUE
    assert router.decide(Reading(empty=False, asking=False, ranking=[])).kind == Kind.JOURNAL
    assert router.route("what can i do about him").kind == Kind.VAGUE


def test_a_past_situation_without_time_or_place_gets_advice_then_the_diary(router: Router) -> None:
    hacked = router.route("my instagram got hacked")
    assert hacked.kind in (Kind.ADVICE, Kind.CHOICES) and hacked.diary_second
    assert hacked.screens[0].flow == "cyber_safety"
    assert router.route("my instagram got hacked last night").kind == Kind.INCIDENT
    assert router.route("he was waiting outside my work and followed me").kind == Kind.INCIDENT


def test_not_sure_offers_at_most_three_topics_one_screen_each(router: Router) -> None:
    routing = router.route("he messages me all the time")
    assert routing.kind == Kind.CHOICES
    flows = [s.flow for s in routing.screens]
    assert 1 <= len(flows) <= 3 and len(set(flows)) == len(flows)


def test_a_screen_that_is_not_there_stops_validate_naming_the_file(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    path = content / "ask_like.yaml"
    path.write_text(path.read_text().replace("unwanted_calls/tps:", "unwanted_calls/tsp:"))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "validate", "--content-dir", str(content)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "tsp:" in text)
    assert f"ask_like.yaml:{line}" in result.stderr
    assert "unwanted_calls/tsp is not an advice flow/step" in result.stderr


def test_without_ask_like_typed_text_goes_to_the_journal_as_before(
    project: Project, tmp_path: Path
) -> None:
    assert Router.for_project(project, tmp_path) is None
    with pytest.raises(ProjectInvalid):
        Router.for_project(project, _content_with(tmp_path, "menu/nowhere"))


def _content_with(tmp_path: Path, screen: str) -> Path:
    (tmp_path / "ask_like.yaml").write_text(f"screens:\n  {screen}:\n    - the main menu\n")
    return tmp_path


@pytest.fixture
async def app(project_settings: Settings) -> AsyncIterator[App]:
    app = await open_app(project_settings)
    yield app
    await app.close()


async def test_back_from_typed_advice_returns_to_the_menu(app: App) -> None:
    chat = ChatClient(app.engine, "t:ask-back")
    await chat.send("/menu")
    await chat.send("what is 1471")
    assert "dial 1471" in chat.text
    await chat.click("Back")
    assert "What would help right now?" in chat.text


async def test_a_topic_button_opens_its_screen_and_a_forged_one_is_stale(app: App) -> None:
    chat = ChatClient(app.engine, "t:ask-pick")
    await chat.send("/menu")
    await chat.send("he messages me all the time")
    assert chat.buttons[1] == "Keeping evidence"  # under the emergency button
    await chat.click("Keeping evidence")
    assert "Keep the messages on your mobile" in chat.text
    await chat.event(Event.button("a:menu/nowhere"))
    assert (
        "Keep the messages on your mobile" in chat.text
    )  # the screen the user was on, shown again


async def test_danger_gets_the_emergency_screen_on_top_not_advice(app: App) -> None:
    chat = ChatClient(app.engine, "t:ask-danger")
    await chat.send("/menu")
    await chat.send("he is outside my house right now how do i stop him")
    assert chat.replies[-1].text.startswith("Call 999 now.")
    assert "This might help" not in chat.text
    assert "does not cover that" not in chat.text


def test_the_review_pack_shows_reviewers_the_phrase_lists(project: Project, tmp_path: Path) -> None:
    from bot.ops.review_pack.site import build_pack

    build_pack(project, build_registry(), ROOT / "content", tmp_path / "pack")
    index = (tmp_path / "pack" / "index.html").read_text(encoding="utf-8")
    assert 'href="ask-like.html"' in index
    page = (tmp_path / "pack" / "ask-like.html").read_text(encoding="utf-8")
    raw = yaml.safe_load((ROOT / "content" / "ask_like.yaml").read_text(encoding="utf-8"))
    assert "<code>unwanted_calls/dial_1471</code>" in page
    assert all(phrase in page for phrase in raw["screens"]["unwanted_calls/dial_1471"])
    assert all(topic.replace("_", " ") in page for topic in raw["not_covered"])
    assert "restraining order" in page
