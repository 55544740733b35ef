"""Walking flows by buttons and by typed text; back, cancel, menu and emergency from anywhere."""

from __future__ import annotations

import pytest

from bot.engine.events import Attachment, Event, Kind
from tests.chat_client import ChatClient
from tests.clock import Clock, at_every_instant, yesterday_9pm


async def test_new_user_gets_welcome_then_menu_by_button(chat: ChatClient) -> None:
    await chat.send("hello")
    chat.expect("t.welcome")
    await chat.press("t.go_menu")
    chat.expect("t.choose")
    assert chat.buttons[:3] == ["🚨 I'm in danger now", "Advice", "Survey"]
    assert chat.buttons[-1:] == ["Back"]


async def test_walk_by_typed_numbers_and_labels(chat: ChatClient) -> None:
    await chat.send("/start")
    await chat.send("2")  # "Go to the menu" (1 is "I'm in danger now", first on every screen)
    await chat.send("advice")  # the label, typed, any case
    assert "First advice screen." in chat.text
    await chat.send("More")
    assert "Second advice screen." in chat.text
    # a screen that names a number offers it as a contact card
    assert chat.contacts == ["0808 000 0000"]
    assert "Call the Test Helpline on 0808 000 0000." in chat.text
    await chat.click("More")
    # 'third' shows its text and goes on to the menu by itself
    assert "Third advice screen." in chat.text
    assert "What would help?" in chat.text


async def test_text_where_option_expected_reasks_with_options(chat: ChatClient) -> None:
    await chat.send("/menu")
    await chat.send("something else entirely")
    assert "Please choose one of the buttons" in chat.text
    assert "Advice" in chat.buttons
    await chat.send("42")  # a number with no button
    assert "Please choose one of the buttons" in chat.text


@at_every_instant
async def test_questions_fill_slots_and_action_runs(
    chat: ChatClient, saved: list[dict], clock: Clock
) -> None:
    await chat.send("/menu")
    await chat.click("Survey")
    assert "When did it happen?" in chat.text
    await chat.send("banana")
    assert "couldn't read that as a date" in chat.text
    assert "When did it happen?" in chat.text
    await chat.send("yesterday 9pm")
    assert "I understood:" in chat.text and "21:00" in chat.text
    assert "Which number called?" in chat.text
    await chat.send("not a phone")
    assert "doesn't look like a phone number" in chat.text
    await chat.send("07700 900123")
    assert "What kind was it?" in chat.text
    await chat.send("a letter")  # typed choice label
    assert "Save it?" in chat.text
    assert chat.buttons[:3] == ["🚨 I'm in danger now", "Yes", "No"]
    await chat.send("maybe")
    assert "Please answer yes or no." in chat.text
    await chat.click("Yes")
    assert saved == [
        {
            "when": yesterday_9pm(clock.now),  # 21:00 London time, stored as UTC
            "phone": "+447700900123",
            "kind": "letter",
            "sure": True,
        }
    ]
    assert "Saved: A letter at" in chat.text


async def test_skip_and_yesno_branch(chat: ChatClient, saved: list[dict]) -> None:
    await chat.send("/menu")
    await chat.click("Survey")
    await chat.send("3 days ago")
    await chat.click("Skip")
    assert "What kind was it?" in chat.text
    await chat.click("A call")
    await chat.click("No")  # on_no goes back to the start of the survey
    assert "When did it happen?" in chat.text
    assert saved == []


async def test_future_date_is_questioned(chat: ChatClient) -> None:
    await chat.send("/menu")
    await chat.click("Survey")
    await chat.send("in 3 days")
    assert "in the future" in chat.text


async def test_back_cancel_and_menu_from_deep_states(chat: ChatClient) -> None:
    await chat.send("/menu")
    await chat.click("Advice")
    await chat.click("More")
    assert "Second advice screen." in chat.text
    await chat.click("Back")
    assert "First advice screen." in chat.text
    await chat.send("/back")
    assert "What would help?" in chat.text
    await chat.click("Survey")
    await chat.send("yesterday")
    await chat.send("/cancel")
    assert "Nothing from that was saved" in chat.text
    assert "What would help?" in chat.text
    await chat.click("Survey")
    await chat.click("Menu")
    assert "What would help?" in chat.text


async def test_back_on_first_screen_says_so(chat: ChatClient) -> None:
    await chat.send("/start")
    await chat.send("/back")
    assert "nothing to go back to" in chat.text
    assert "Welcome" in chat.text


async def test_option_into_another_flow_at_a_step(chat: ChatClient) -> None:
    await chat.send("/menu")
    await chat.click("Advice")
    await chat.click("More")
    await chat.click("Survey")
    assert "Which number called?" in chat.text


async def test_emergency_returns_to_a_draft_with_back(chat: ChatClient) -> None:
    await chat.send("/menu")
    await chat.click("Survey")
    await chat.send("yesterday 9pm")
    await chat.click("I'm in danger now")
    assert chat.text.startswith("Call 999 now.")
    await chat.click("Back")
    assert "Which number called?" in chat.text
    await chat.click("Skip")
    await chat.click("A call")
    await chat.click("Yes")
    assert "Saved: A call" in chat.text


async def test_stale_button_gets_calm_answer_and_current_screen(chat: ChatClient) -> None:
    await chat.send("/menu")
    await chat.click("Advice")
    old = chat.replies[-1].buttons[1].data  # its first own button (emergency is first)
    await chat.click("More")
    await chat.event(Event.button(old))
    assert "earlier screen" in chat.text
    assert "Second advice screen." in chat.text
    await chat.event(Event.button("garbage-that-was-never-ours"))
    assert "earlier screen" in chat.text


async def test_unknown_command_lists_commands(chat: ChatClient) -> None:
    await chat.send("/menu")
    await chat.send("/frobnicate")
    assert "/emergency" in chat.text and "/menu" in chat.text


async def test_odd_input_is_handled(chat: ChatClient) -> None:
    await chat.send("/menu")
    for text in ["", "   ", "\x00\x07\x1b[31m", "😀🙈", "مرحبا", "x" * 5000, "\u200f\u202e"]:
        replies = await chat.send(text)
        assert replies, f"no answer to {text[:10]!r}"
        assert "What would help?" in chat.text
    await chat.event(Event(Kind.UNSUPPORTED))
    assert "can't keep that kind of message" in chat.text
    await chat.event(Event(Kind.ATTACHMENT, attachment=Attachment("photo", "p.jpg")))
    assert "wasn't expecting that" in chat.text


async def test_long_text_answer_is_kept_whole(chat: ChatClient, saved: list[dict]) -> None:
    await chat.send("/menu")
    await chat.click("Survey")
    await chat.send("yesterday")
    await chat.click("Skip")
    await chat.click("A call")
    await chat.click("Yes")
    assert saved and saved[0]["kind"] == "call"


async def test_end_of_flow_returns_to_menu(chat: ChatClient) -> None:
    await chat.send("/emergency")
    await chat.click("More")
    assert "More emergency advice." in chat.text
    assert "What would help?" in chat.text


async def test_content_id_helpers_fail_on_other_words(chat: ChatClient) -> None:
    """`expect` and `press` (tests/chat_client.py) match the catalog's words, nothing looser."""
    await chat.send("/menu")
    await chat.press("t.advice")
    chat.expect("t.first")
    with pytest.raises(AssertionError):
        chat.expect("t.second")  # not on this screen
    await chat.press("t.more")
    chat.expect("t.helpline")  # contacts and names filled from the registry
    with pytest.raises(AssertionError):
        await chat.press("t.go_menu")  # the welcome's button, not on this screen
