"""A feature declares what it offers once, on the registry: a command is one registration and
shows in /help, Telegram's command menu and the console's help; a step the code needs that the
flows lack stops loading, naming the flow file and the code's line."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from bot.app import build_registry, open_app, project_checks
from bot.channels import console
from bot.channels.telegram.commands import command_menu
from bot.engine.registry import Registry
from bot.engine.turn import Turn
from bot.flows.loader import load_project
from bot.flows.problems import ProjectInvalid
from bot.settings import PROJECT_ROOT, Settings
from tests.chat_client import ChatClient

PAUSE_WORDS = """\
help.command.pause:
  text: "take a short break"
  source: bot
  reviewed: 2026-11-29
menu.command.pause:
  text: "Break"
  source: bot
  reviewed: 2026-11-29
pause.said:
  text: "Take your time."
  source: bot
  reviewed: 2026-11-29
"""


@pytest.fixture
def pause_settings(tmp_path: Path) -> Settings:
    """The real project, with the words of one new command added to content."""
    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    (content / "pause.yaml").write_text(PAUSE_WORDS, encoding="utf-8")
    return Settings(data_dir=tmp_path / "data", content_dir=content)


def with_pause():  # noqa: ANN201
    registry = build_registry()

    @registry.command("pause", menu_rank=90)  # the one registration
    async def pause(turn: Turn) -> None:
        turn.say("pause.said")
        await turn.show_current()

    return registry


async def test_a_command_registered_once_is_in_help_the_telegram_menu_and_the_console(
    pause_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = with_pause()
    app = await open_app(pause_settings, registry)
    try:
        chat = ChatClient(app.engine, "test:pause")
        await chat.send("/help")
        assert "/pause – take a short break" in chat.text
        await chat.send("/pause")
        assert "Take your time." in chat.text
        menu = command_menu(registry, app.engine.catalog)
        assert ("pause", "Break") in menu
        assert menu.index(("pause", "Break")) == len(menu) - 2  # rank 90: before Help (99)
        assert ("pause", "Break") not in command_menu(registry, app.engine.catalog, neutral=True)
    finally:
        await app.close()

    lines = iter(["/help", "/quit"])
    monkeypatch.setattr(console, "_read_line", lambda prompt: next(lines))
    out = io.StringIO()
    assert await console.chat(pause_settings, out, with_pause()) == 0
    assert "/pause – take a short break" in out.getvalue()
    assert "/quit – leave" in out.getvalue()


def test_the_builtin_commands_are_declared_once() -> None:
    from bot.engine import engine
    from bot.flows import model

    assert engine.BUILTIN_COMMANDS is model.BUILTIN_COMMANDS
    assert list(build_registry().declared)[:6] == list(model.BUILTIN_COMMANDS)


def test_a_step_the_code_needs_must_be_in_the_flows(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(PROJECT_ROOT / "flows", flows)
    path = flows / "risk_check.yaml"
    text = path.read_text(encoding="utf-8")
    renamed = text.replace("id: frightened", "id: scared").replace("[frightened]", "[scared]")
    assert renamed != text
    path.write_text(renamed, encoding="utf-8")
    registry = build_registry()
    with pytest.raises(ProjectInvalid) as raised:
        load_project(flows, PROJECT_ROOT / "content", **project_checks(registry))
    message = str(raised.value)
    assert str(raised.value.problems[0].path) == str(path)  # the flow file, at its header line
    assert len(raised.value.problems) == 1
    assert "the code needs step 'frightened' of flow 'risk_check'" in message
    assert "bot/risk/__init__.py:" in message  # where the code declared it needs the step


async def _opens(turn: Turn) -> None:
    """A feature's button handler (never called here)."""


async def _closes(turn: Turn) -> None:
    """Another feature's, registered later."""


def test_a_buttons_feature_is_found_by_its_prefix_even_when_registered_late() -> None:
    registry = Registry()
    registry.button("a:")(_opens)
    assert registry.button_handler_for("a:1") is _opens
    assert registry.button_handler_for("menu.0") is None  # a step's button: no feature's
    assert registry.button_handler_for("b:1") is None
    registry.button("b:")(_closes)  # after buttons were already looked up
    assert registry.button_handler_for("b:1") is _closes
