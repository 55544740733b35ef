"""Typed questions get answers (issue 15), as conversations: the console as a subprocess and
Telegram through the fake Bot API, with the real flows and content."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fake_bot_api import FakeBotApi, buttons
from tests.telegram_harness import BotProcess, say, sent_texts, tap

USER = 5550015
SEPARATOR = "─" * 40
NOT_COVERED = "the advice I have does not cover that"


def console(data_dir: Path, lines: list[str]) -> list[str]:
    """Run the console chat with these lines; the bot's answers, one per line typed."""
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--data-dir", str(data_dir)],
        input="".join(f"{line}\n" for line in ["2", *lines, "/quit"]),
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    # the welcome, then one answer per line typed (each ends with the typing hint)
    answers = [a.strip() for a in result.stdout.split("(type a number")]
    return answers[2:-1]


def test_console_answers_questions_greetings_and_incidents(tmp_path: Path) -> None:
    what_is_101, ringing, hello, order, outside, saved = console(
        tmp_path,
        [
            "what is 101",
            "how do I stop him ringing me",
            "hello",
            "can I get a restraining order?",
            "he was outside my work yesterday",
            "2",  # Save it as an incident (1 is "I'm in danger now")
        ],
    )
    assert "you could contact Cheshire Constabulary on 101" in what_is_101
    assert "Would you like me to save" not in what_is_101
    assert 'just say "hello"' in ringing  # the first unwanted-calls screen
    assert "What would help right now?" in hello  # the menu
    assert NOT_COVERED in order
    assert "0808 802 0300" in order and "101" in order
    assert "What would help right now?" not in order  # the menu is a button, not forced
    assert "  3. Menu" in order
    assert outside.index("save that message in your diary") < outside.index("2. Save it")
    assert "3. Staying safe out and at home" in outside  # the advice that fits, next
    assert "Saved as incident 1" in saved


def test_console_not_sure_offers_topics_then_the_journal(tmp_path: Path) -> None:
    unsure, picked = console(tmp_path, ["he messages me all the time", "2"])
    assert "This might help." in unsure
    assert "2. Keeping evidence" in unsure
    options = [
        line.strip() for line in unsure.splitlines() if line.strip()[:2].rstrip(".").isdigit()
    ]
    # emergency, the topics, then "Save this in my diary instead", then Back and Menu
    assert options[0].endswith("I'm in danger now")
    assert options[-3].endswith("Save this in my diary instead")
    assert "Keep the messages on your mobile" in picked


def options_of(answer: str) -> list[str]:
    """The numbered options under an answer, without their numbers."""
    lines = [line.strip() for line in answer.splitlines()]
    return [line.split(". ", 1)[1] for line in lines if line[:2].rstrip(".").isdigit()]


def test_console_a_sure_answer_also_offers_the_diary(tmp_path: Path) -> None:
    answer, saved = console(tmp_path, ["what is 101", "5"])
    assert "you could contact Cheshire Constabulary on 101" in answer
    options = options_of(answer)
    # its own buttons, then "Save this in my diary instead", then Back and Menu
    assert options[-3:] == ["Save this in my diary instead", "Back", "Menu"]
    assert options.index("Save this in my diary instead") == 4
    assert "Saved as incident 1" in saved


def test_console_a_situation_gets_advice_first_and_the_diary_second(tmp_path: Path) -> None:
    hacked, saved = console(tmp_path, ["my instagram got hacked", "2"])
    assert "Would you like me to save" not in hacked  # not the journal's offer first
    assert "malware" in hacked  # the advice, shown
    assert options_of(hacked)[:2] == ["🚨 I'm in danger now", "Save this in my diary instead"]
    assert "Saved as incident 1" in saved


def test_console_not_covered_but_near_a_topic_offers_the_nearest_advice(tmp_path: Path) -> None:
    # Round 5: when a screen comes close to a topic the advice does not cover, the router is
    # not sure; the honest answer stays first and the nearest two topics follow as buttons.
    answer, picked = console(tmp_path, ["can i get him sacked for following me at work", "2"])
    assert NOT_COVERED in answer and "0808 802 0300" in answer
    assert "the advice I have on it may still help" in answer
    options = options_of(answer)
    assert options[0] == "🚨 I'm in danger now"
    assert options[1] == "Staying safe out and at home"
    assert options[-2:] == ["Back", "Menu"]
    assert NOT_COVERED not in picked and "safe" in picked.lower()


def test_console_far_from_every_topic_offers_no_advice(tmp_path: Path) -> None:
    (answer,) = console(tmp_path, ["can I get a restraining order?"])
    assert NOT_COVERED in answer
    assert "may still help" not in answer
    assert options_of(answer) == ["🚨 I'm in danger now", "Back", "Menu"]


def test_console_a_vague_question_gets_the_menu_not_an_apology(tmp_path: Path) -> None:
    (vague,) = console(tmp_path, ["what can i do about him"])
    assert "What would help right now?" in vague
    assert NOT_COVERED not in vague


def test_console_small_talk_gets_the_menu(tmp_path: Path) -> None:
    answers = console(tmp_path, ["MAIN MENU PLS", "how does this work?", "thnaks for earlier"])
    assert len(answers) == 3
    for answer in answers:
        assert "What would help right now?" in answer
        assert NOT_COVERED not in answer
        assert "save that message" not in answer


async def test_telegram_routes_typed_text(api: FakeBotApi, bot: BotProcess) -> None:
    await say(api, USER, "/start")
    await tap(api, USER, api.last_with_buttons(USER), "No, not right now")

    texts = sent_texts(await say(api, USER, "what is 101"))
    assert any("Cheshire Constabulary on 101" in t for t in texts)
    assert not any("save that message" in t for t in texts)

    texts = sent_texts(await say(api, USER, "how do I stop him ringing me"))
    assert any('just say "hello"' in t for t in texts)

    texts = sent_texts(await say(api, USER, "hello"))
    assert any("What would help right now?" in t for t in texts)

    texts = sent_texts(await say(api, USER, "hi there, not sure where to start"))
    assert any("What would help right now?" in t for t in texts)

    texts = sent_texts(await say(api, USER, "can I get a restraining order?"))
    assert any(NOT_COVERED in t and "0808 802 0300" in t for t in texts)

    await say(api, USER, "he was outside my work yesterday")
    offer = api.last_with_buttons(USER)
    assert "save that message in your diary" in offer["text"]
    labels = [label for label, _ in buttons(offer)]
    assert labels[:3] == [
        "🚨 I'm in danger now",
        "Save it as an incident",
        "Staying safe out and at home",
    ]
    texts = sent_texts(await tap(api, USER, offer, "Staying safe out and at home"))
    assert any("different routes" in t for t in texts)


async def test_telegram_save_instead_keeps_the_message(
    api: FakeBotApi, bot: BotProcess, tmp_path: Path
) -> None:
    await say(api, USER, "/start")
    await tap(api, USER, api.last_with_buttons(USER), "No, not right now")
    await say(api, USER, "he messages me all the time")
    choice = api.last_with_buttons(USER)
    labels = [label for label, _ in buttons(choice)]
    assert labels[:2] == ["🚨 I'm in danger now", "Keeping evidence"]
    assert labels.index("Save this in my diary instead") == len(labels) - 3
    texts = sent_texts(await tap(api, USER, choice, "Save this in my diary instead"))
    assert any("Saved as incident 1" in t for t in texts)
    with sqlite3.connect(tmp_path / "data" / "safety-bot.db") as conn:
        assert conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == 1


async def test_telegram_a_sure_answer_keeps_the_message_if_asked(
    api: FakeBotApi, bot: BotProcess, tmp_path: Path
) -> None:
    await say(api, USER, "/start")
    await tap(api, USER, api.last_with_buttons(USER), "No, not right now")
    await say(api, USER, "what is 101")
    answer = api.last_with_buttons(USER)
    assert "Cheshire Constabulary on 101" in answer["text"]
    labels = [label for label, _ in buttons(answer)]
    assert labels[-3:] == ["Save this in my diary instead", "Back", "Menu"]
    texts = sent_texts(await tap(api, USER, answer, "Save this in my diary instead"))
    assert any("Saved as incident 1" in t for t in texts)
    with sqlite3.connect(tmp_path / "data" / "safety-bot.db") as conn:
        assert conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == 1
    await say(api, USER, "my instagram got hacked")
    situation = api.last_with_buttons(USER)
    assert "malware" in situation["text"]
    assert [label for label, _ in buttons(situation)][1] == "Save this in my diary instead"
    texts = sent_texts(await say(api, USER, "what can i do about him"))
    assert any("What would help right now?" in t for t in texts)


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("what is 101", "the screen reporting/call_101"),
        ("hello", "the menu"),
        ("can I get a restraining order?", "nothing in the advice fits"),
        ("he was outside my work yesterday", "an incident: the journal offer first"),
        ("what can i do about him", "the menu (a question with no topic word)"),
    ],
)
def test_reviewers_see_the_ranking(text: str, answer: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", text, "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"answer: {answer}")
    assert not (tmp_path / "safety-bot.db").exists()  # reads content only
