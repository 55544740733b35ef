"""Screens a frightened person takes in at a glance: the rules `safety-bot validate` enforces,
each breach named by file, line and step, and the menu and /help as a person meets them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import build_registry
from bot.engine.engine import GLOBAL_EMERGENCY
from bot.flows.screen_rules import MAX_BUTTONS, MAX_LINES
from tests.chat_client import ChatClient
from tests.test_validator import line_of, problems_after


def _one(problems: list[str], needle: str) -> str:
    found = [p for p in problems if needle in p]
    assert len(found) == 1, problems
    return found[0]


def test_a_screen_of_seven_lines_is_refused(tmp_path: Path) -> None:
    long = "\\n".join(f"Line {n}." for n in range(1, MAX_LINES + 2))
    problems = problems_after(tmp_path, "texts.yaml", '"First advice screen."', f'"{long}"')
    found = _one(problems, "lines of text on one screen")
    line = line_of(tmp_path, "advice.yaml", "- id: first")
    assert found.startswith(f"{tmp_path / 'flows' / 'advice.yaml'}:{line}:")
    assert "step 'first'" in found and f"{MAX_LINES + 1} lines" in found


def test_a_screen_of_eight_buttons_is_refused(tmp_path: Path) -> None:
    extra = "".join("\n      - label: t.more\n        next: second" for _ in range(7))
    problems = problems_after(
        tmp_path,
        "advice.yaml",
        "      - label: t.more\n        next: second",
        "      - label: t.more\n        next: second" + extra,
    )
    found = _one(problems, "buttons on one screen")
    assert f"{MAX_BUTTONS + 1} buttons" in found and "step 'first'" in found


def test_a_flow_may_not_add_the_engines_own_buttons(tmp_path: Path) -> None:
    problems = problems_after(
        tmp_path,
        "advice.yaml",
        "      - label: t.more\n        next: second",
        "      - label: btn.back\n        next: second",
    )
    assert "repeats one the engine adds" in _one(problems, "btn.back")


def test_a_number_named_twice_on_one_screen_is_refused(tmp_path: Path) -> None:
    problems = problems_after(
        tmp_path,
        "texts.yaml",
        '"Call {contact:emergency} now."',
        '"Call {contact:emergency} now. Always call {contact:emergency}."',
    )
    found = _one(problems, "named twice")
    assert "{contact:emergency}" in found and "step 'call'" in found


def test_a_sentence_said_twice_is_refused(tmp_path: Path) -> None:
    problems = problems_after(
        tmp_path, "texts.yaml", '"Third advice screen."', '"Stay safe. Third screen. Stay safe."'
    )
    assert "'stay safe.' is said twice" in _one(problems, "said twice")


@pytest.mark.parametrize(
    ("first", "second", "breach"),
    [
        ("Check for malware.", "More about malware.", True),  # never explained
        (
            "Check for malware (software that harms or spies on your device).",
            "More about malware.",  # explained on an earlier screen of the flow: fine
            False,
        ),
        ("No jargon here.", "No malware-free words.", True),  # a hyphenated use still counts
    ],
)
def test_a_glossary_term_is_explained_the_first_time_a_flow_uses_it(
    tmp_path: Path, first: str, second: str, breach: bool
) -> None:
    (tmp_path / "content").mkdir(parents=True, exist_ok=True)
    from tests.mini_project import write_mini_project

    flows, content = write_mini_project(tmp_path)
    (content / "glossary.yaml").write_text(
        "- term: malware\n  explain: software that harms or spies on your device\n"
    )
    texts = content / "texts.yaml"
    text = texts.read_text()
    text = text.replace('"First advice screen."', f'"{first}"')
    text = text.replace('"Second advice screen."', f'"{second}"')
    texts.write_text(text)
    from bot.engine.slots import SLOT_TYPES
    from bot.flows.loader import load_project

    project = load_project(
        flows,
        content,
        known_types=set(SLOT_TYPES),
        known_actions={"remember"},
        raise_on_problems=False,
    )
    found = [str(p) for p in project.problems if "plain words" in str(p)]
    assert bool(found) == breach, found
    if breach:
        assert "'malware'" in found[0] and "software that harms or spies" in found[0]


# ------------------------------------------------------------------ the real screens


@pytest.fixture
async def project_app(project_settings):  # noqa: ANN001, ANN201
    from bot.app import open_app

    app = await open_app(project_settings)
    yield app
    await app.close()


async def test_the_menu_has_five_choices_then_emergency(project_app) -> None:  # noqa: ANN001
    chat = ChatClient(project_app.engine, "test:menu")
    await chat.send("/menu")
    emergency = project_app.engine.catalog.text("btn.emergency")
    assert chat.buttons[:6] == [
        "Advice for my situation",
        "My diary",
        "Am I at risk?",
        "How to report it",
        "Privacy and this chat",
        emergency,
    ]
    await chat.click("Advice for my situation")
    assert chat.buttons[-3:] == [emergency, "Back", "Menu"]
    await chat.click("Unwanted calls")
    assert chat.replies[-1].buttons[-3].data == GLOBAL_EMERGENCY
    await chat.send("/menu")
    await chat.click("My diary")
    assert chat.buttons[0:4] == [
        "Record what happened",
        "My incidents",
        "Make a copy for the police",
        "My saved answers",
    ]


async def test_privacy_says_who_can_see_what(project_app) -> None:  # noqa: ANN001
    chat = ChatClient(project_app.engine, "test:privacy")
    await chat.send("/menu")
    await chat.press("menu.privacy")
    chat.expect("privacy.who_sees")
    assert "Nobody watches this chat" in chat.text  # what the screen must say, whatever words
    assert "Anyone who picks up your phone can read it" in chat.text
    await chat.press("privacy.btn_diary")
    chat.expect("privacy.diary")
    assert "encrypted" in chat.text
    assert "The police see it only if you send them the export yourself" in chat.text


async def test_help_lists_every_command_with_one_plain_line(project_app) -> None:  # noqa: ANN001
    chat = ChatClient(project_app.engine, "test:help")
    await chat.send("/help")
    registry = project_app.engine.registry
    commands = {
        "start",
        "menu",
        "back",
        "cancel",
        "help",
        "emergency",
        *registry.commands,
        *registry.command_flows,
        *registry.channel_commands,
    }
    listed = [line.split(" ", 1)[0] for line in chat.text.splitlines() if line.startswith("/")]
    assert sorted(listed) == sorted(f"/{c}" for c in commands)
    for needed in ("/clear", "/record", "/log", "/incidents", "/export", "/delete_my_data"):
        assert needed in listed


def test_every_registered_command_has_a_help_line() -> None:
    registry = build_registry()
    from bot.app import project_checks
    from bot.flows.loader import load_project
    from bot.settings import PROJECT_ROOT

    project = load_project(
        PROJECT_ROOT / "flows", PROJECT_ROOT / "content", **project_checks(registry)
    )
    names = {*registry.commands, *registry.command_flows, *registry.channel_commands}
    missing = [n for n in sorted(names) if not project.catalog.has(f"help.command.{n}")]
    assert missing == []


def test_the_console_shows_each_number_once() -> None:
    from bot.channels.console import render
    from bot.content.catalog import ContactCard
    from bot.engine.events import Reply

    with_number = Reply(text="Call 999 now.", contacts=[ContactCard("emergency", "Police", "999")])
    assert render(with_number, Path("/nonexistent")).count("999") == 1
    card_only = Reply(text="Call the police.", contacts=[ContactCard("emergency", "Police", "999")])
    assert "☎  Police: 999" in render(card_only, Path("/nonexistent"))
