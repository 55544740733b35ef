"""The emergency screen in the console (a real subprocess): on top after danger, one step from
every screen, and "Cleared" keeps the emergency button."""

from __future__ import annotations

from pathlib import Path

from tests.test_console import run_chat

PROMPT = "(type a number, or /help · /quit to leave)"


def turns(out: str) -> list[str]:
    """What the console printed for each line typed (the first: the welcome)."""
    return out.split(PROMPT)


def test_danger_in_a_date_question_then_carry_on(tmp_path: Path) -> None:
    result = run_chat(
        tmp_path,
        ["No, not right now", "/record", "2", "skip", "hes outside with a knife", "1", "/quit"],
        "chat",
    )
    assert result.returncode == 0, result.stderr
    shown = turns(result.stdout)  # "skip": who it was, then the date question
    question, danger, carried_on = shown[4], shown[5], shown[6]
    assert "When did it happen?" in question, question
    # the emergency screen, alone and last: its one button is number 1
    assert danger.count("─" * 40) == 2, danger  # one message
    for part in ("Call 999 now.", "press 55", "Silent Solution", "emergencySMS", "safe place"):
        assert part in danger, part
    assert danger.rstrip().rstrip("─").rstrip().endswith("1. Carry on where I was"), danger
    assert "couldn't" not in danger.lower()
    assert "  2. " not in danger  # nothing else to pick: the old screen is not under it
    # typing 1 carries on: the question again
    assert "When did it happen?" in carried_on and "Call 999 now." not in carried_on


def test_cleared_shows_the_emergency_button(tmp_path: Path) -> None:
    result = run_chat(tmp_path, ["No, not right now", "/clear", "1", "/quit"], "chat")
    shown = turns(result.stdout)
    cleared, pressed = shown[2], shown[3]
    assert "Cleared from this screen." in cleared
    assert "1. 🚨 I'm in danger now" in cleared
    assert "Call 999 now." in pressed
