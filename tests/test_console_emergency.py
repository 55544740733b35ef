"""The emergency screen in the console (a real subprocess): on top after danger, one step from
every screen, and "Cleared" keeps the emergency button."""

from __future__ import annotations

from pathlib import Path

from tests.chat_client import project_words as words
from tests.test_console import run_chat

PROMPT = "(type a number, or /help · /quit to leave)"


def turns(out: str) -> list[str]:
    """What the console printed for each line typed (the first: the welcome)."""
    return out.split(PROMPT)


def test_danger_in_a_date_question_then_carry_on(tmp_path: Path) -> None:
    result = run_chat(
        tmp_path,
        [words("start.btn_no_danger"), "/record", "1", "skip", "hes outside with a knife", "1"]
        + ["/quit"],
        "chat",
    )
    assert result.returncode == 0, result.stderr
    shown = turns(result.stdout)  # "skip": who it was, then the date question
    question, danger, carried_on = shown[4], shown[5], shown[6]
    assert words("journal.ask_when") in question, question
    # the emergency screen, alone and last: its one button is number 1
    assert danger.count("─" * 40) == 2, danger  # one message
    for part in ("call_999", "cannot_speak", "silent_location", "text_999", "safe_place"):
        assert words(f"emergency.{part}") in danger, part
    assert danger.rstrip().rstrip("─").rstrip().endswith(f"1. {words('btn.carry_on')}"), danger
    assert "couldn't" not in danger.lower()
    assert "  2. " not in danger  # nothing else to pick: the old screen is not under it
    # typing 1 carries on: the question again
    assert words("journal.ask_when") in carried_on
    assert words("emergency.call_999") not in carried_on


def test_cleared_shows_the_emergency_button(tmp_path: Path) -> None:
    result = run_chat(tmp_path, [words("start.btn_no_danger"), "/clear", "1", "/quit"], "chat")
    shown = turns(result.stdout)
    cleared, pressed = shown[2], shown[3]
    assert words("bot.cleared") in cleared
    assert f"1. {words('btn.emergency')}" in cleared
    assert words("emergency.call_999") in pressed
