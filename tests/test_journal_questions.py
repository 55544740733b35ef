"""What the record asks: who it was (named once, offered again), questions that follow the kind
of incident, the number kept as typed beside its normal form, and a word about the police and
court before the person writes how they feel."""

from __future__ import annotations

import pytest

from bot.app import App
from tests.chat_client import ChatClient
from tests.journal_support import (
    incidents_of,
    journal_app_fixture,  # noqa: F401 - the `app` fixture
    skip_to_evidence,
)

WHEN = "When did it happen?"
PERSON = "How did the person look or sound?"
VEHICLE = "Was there a vehicle?"
NUMBER = "Which number called or messaged you"
ACCOUNT = "Which account, username or email address"
EFFECT = "How did it make you feel"


async def questions_for(chat: ChatClient, kind: str) -> list[str]:
    """Walk a record of this kind, skipping everything, and note each question asked."""
    await chat.send("/record")
    await chat.click(kind)
    asked = []
    for _ in range(15):
        if "Do you have photos" in chat.text:
            return asked
        asked += [q for q in (PERSON, VEHICLE, NUMBER, ACCOUNT, EFFECT) if q in chat.text]
        await chat.click("Skip")
    raise AssertionError(chat.text)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("Phone call", [NUMBER, EFFECT]),
        ("Text or message", [NUMBER, ACCOUNT, EFFECT]),
        ("Social media", [ACCOUNT, EFFECT]),
        ("Email", [ACCOUNT, EFFECT]),
        ("Followed or watched", [PERSON, VEHICLE, EFFECT]),
        ("Turned up at home or work", [PERSON, VEHICLE, EFFECT]),
        ("Something else", [PERSON, VEHICLE, NUMBER, ACCOUNT, EFFECT]),
    ],
)
async def test_the_questions_follow_the_kind(app: App, kind: str, expected: list[str]) -> None:
    assert await questions_for(ChatClient(app.engine), kind) == expected


async def test_who_is_asked_once_and_offered_again(app: App) -> None:
    chat = ChatClient(app.engine)
    await chat.send("/record")
    await chat.click("Phone call")
    assert "Do you know who it is?" in chat.text and "ex-partner" in chat.text
    await chat.send("Jay, my ex-partner")
    for _ in range(3):  # when, where, what happened
        await chat.click("Skip")
    assert NUMBER in chat.text
    await chat.send("07700 900123")
    await skip_to_evidence(chat)
    await chat.click("Done")
    assert "Who: Jay, my ex-partner" in chat.text
    assert "Number that called: 07700 900123 (+447700900123)" in chat.text
    await chat.click("Save")

    await chat.send("/record")
    await chat.click("Text or message")
    assert chat.buttons[1:4] == ["Jay, my ex-partner", "Someone else", "I don't know"]
    await chat.click("Jay, my ex-partner")
    assert WHEN in chat.text  # not retyped
    await chat.send("yesterday")
    await skip_to_evidence(chat)
    await chat.click("Done")
    await chat.click("Save")
    ref = app.engine.store.user_ref(chat.user_id)
    first, second = await incidents_of(app).all(ref)
    assert first.fields["who"] == second.fields["who"] == "Jay, my ex-partner"
    assert first.fields["caller_number"] == {"typed": "07700 900123", "e164": "+447700900123"}


async def test_a_new_name_typed_over_the_names_offered_answers_who(app: App) -> None:
    chat = ChatClient(app.engine, "test:typed-who")
    await chat.send("/record")
    await chat.click("Text or message")
    await chat.send("Sam")
    for _ in range(3):  # when, where, what happened
        await chat.click("Skip")
    await skip_to_evidence(chat)
    await chat.click("Done")
    await chat.click("Save")

    await chat.send("/record")
    await chat.click("Text or message")
    assert chat.buttons[1:3] == ["Sam", "Someone else"]
    await chat.send("my neighbour")  # typed, not picked: the question on screen takes it
    assert WHEN in chat.text
    assert (await app.engine.place_of(chat.user_id)).slot("record_incident", "who").value == (
        "my neighbour"
    )


async def test_police_and_court_are_mentioned_before_feelings_and_notes(app: App) -> None:
    chat = ChatClient(app.engine)
    await chat.send("/record")
    await chat.click("Damage to property")
    while EFFECT not in chat.text:
        await chat.click("Skip")
    assert "may be shown to the police and in court" in chat.text
    chat = ChatClient(app.engine, "test:notes")
    await chat.send("/log he sent another email")
    await chat.click("Add a note or police reference")
    await chat.click("Add a note")
    assert "may be shown to the police and in court" in chat.text
