"""Emergency advice is one step from every screen, named one way, and stays on top after danger.

Walks every step of every flow of the real project, and every screen a feature shows (records,
/log, export, delete, the offer to keep a message, Cleared), and proves:
- the emergency button, always "🚨 I'm in danger now", is on every screen (the emergency
  advice's own first screen aside), including "Where is safe?" and the Silent Solution's "More";
- the button and /emergency lead to the advice from everywhere;
- a danger message anywhere gets the full emergency screen last, with one button "Carry on where
  I was", and nothing under it: not the old screen, not "I couldn't read that as a date";
- the words of /log, of a forwarded message and of a file's caption are read for danger too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator

import pytest

from bot.app import App, open_app
from bot.engine.engine import GLOBAL_CARRY_ON, GLOBAL_EMERGENCY
from bot.engine.events import Attachment, Event, Kind, Reply
from bot.settings import Settings
from tests.chat_client import said_pattern

DANGER = "he's outside my house right now"


@pytest.fixture
async def app(project_settings: Settings) -> AsyncIterator[App]:
    app = await open_app(project_settings)
    yield app
    await app.close()


def every_step(app: App) -> list[tuple[str, str]]:
    return [
        (flow.id, step.id)
        for flow in app.engine.project.flows.values()
        for step in flow.steps.values()
        if step.interactive
    ]


def label(app: App, key: str) -> str:
    return app.engine.catalog.text(key)


async def put(app: App, user: str, flow: str, step: str) -> None:
    place = await app.engine.place_of(user)
    place.flow, place.step, place.history = flow, step, [[flow, step]]


def last_screen(replies: list[Reply]) -> Reply:
    return next(r for r in reversed(replies) if r.buttons)


def is_emergency_screen(app: App, reply: Reply) -> bool:
    """The full emergency screen: every part of the advice, one button "Carry on where I was"."""
    keys = app.engine.emergency_screen_keys()
    assert keys[0] == "emergency.call_999" and {
        "emergency.cannot_speak",  # can't speak: 55
        "emergency.silent_location",  # the Silent Solution
        "emergency.text_999",  # deaf or speech-impaired: emergencySMS
        "emergency.safe_place",  # where is safe
    } <= set(keys)
    parts = [label(app, key).splitlines()[0] for key in keys]
    return (
        all(part in reply.text for part in parts)
        and [b.data for b in reply.buttons] == [GLOBAL_CARRY_ON]
        and reply.buttons[0].label == "Carry on where I was"
        and "999" in [c.number for c in reply.contacts]
    )


def assert_named_one_way(app: App, replies: list[Reply], where: object) -> None:
    """Every button into the emergency advice, and every button that speaks of danger, bears
    the one name ("Report it (not an emergency)" is another thing)."""
    emergency = label(app, "btn.emergency")
    for reply in replies:
        for button in reply.buttons:
            if button.data == GLOBAL_EMERGENCY or "danger" in button.label.lower():
                assert button.label == emergency, (where, button.label)


# ------------------------------------------------------------------ the button on every screen


async def test_every_step_shows_the_emergency_button_named_one_way(app: App) -> None:
    emergency = label(app, "btn.emergency")
    assert emergency == "🚨 I'm in danger now"
    first = app.engine.machines["emergency"].flow.start
    for n, (flow, step) in enumerate(every_step(app)):
        user = f"s:{n}"
        await put(app, user, flow, step)
        shown = await app.engine.handle(user, Event.from_text("/help"))
        screen = last_screen(shown)
        assert_named_one_way(app, shown, (flow, step))
        for option in app.engine.project.flows[flow].steps[step].options:
            if option.target.flow == "emergency":  # the welcome's own "yes" into the advice
                assert label(app, option.label) == emergency, (flow, step)
        if (flow, step) == ("emergency", first):
            assert emergency not in [b.label for b in screen.buttons]  # it is this screen
            continue
        assert emergency in [b.label for b in screen.buttons], (flow, step)


@pytest.mark.parametrize("step", ["safe_place", "silent_location", "cannot_speak", "text_999"])
async def test_inside_the_emergency_advice_too(app: App, step: str) -> None:
    """ "Where is safe?" and the Silent Solution's "More" were the screens without it."""
    await put(app, "e:1", "emergency", step)
    shown = await app.engine.handle("e:1", Event.from_text("/help"))
    assert GLOBAL_EMERGENCY in [b.data for b in last_screen(shown).buttons]
    again = await app.engine.handle("e:1", Event.button(GLOBAL_EMERGENCY))
    assert again[0].text.startswith("Call 999 now.")


async def test_button_and_command_lead_to_the_advice_from_every_step(app: App) -> None:
    for n, (flow, step) in enumerate(every_step(app)):
        for how in (Event.button(GLOBAL_EMERGENCY), Event.from_text("/emergency")):
            user = f"b:{n}"
            await put(app, user, flow, step)
            replies = await app.engine.handle(user, how)
            assert replies[0].text.startswith("Call 999 now."), (flow, step)
            assert "999" in [c.number for c in replies[0].contacts], (flow, step)


@pytest.mark.parametrize(
    "commands",
    [
        ["/incidents"],  # the empty list
        ["/log he sent 40 messages last night", "/incidents"],  # the list
        ["/log he sent 40 messages last night"],  # "Saved as incident 1"
        ["/log"],  # how to use /log
        ["/export"],  # nothing to export yet
        ["/log he sent 40 messages last night", "/export"],  # the export reply: two files
        ["/delete_my_data"],  # the confirmation
        ["/menu", "he sent me flowers"],  # the offer to keep a message
        ["/clear"],  # Cleared
        ["/start"],
        ["/cancel"],
    ],
)
async def test_every_feature_screen_shows_the_emergency_button(
    app: App, commands: list[str]
) -> None:
    user = "f:" + "|".join(commands)
    for text in commands:
        replies = await app.engine.handle(user, Event.from_text(text))
    assert_named_one_way(app, replies, commands)
    screen = last_screen(replies)
    assert screen is replies[-1], commands  # the button is under the last thing said
    assert label(app, "btn.emergency") in [b.label for b in screen.buttons], commands
    if commands[-1] == "/export" and len(commands) == 2:
        assert screen.document is not None and screen.document.file_name.endswith(".csv")
    # and it works from there
    pressed = await app.engine.handle(user, Event.from_text("1"))
    first = next(b for b in screen.buttons)
    if first.data == GLOBAL_EMERGENCY:
        assert pressed[0].text.startswith("Call 999 now."), commands


# ------------------------------------------------------------------ a danger message, anywhere


async def test_danger_from_every_step_shows_the_emergency_screen_alone_and_last(app: App) -> None:
    catalog = app.engine.catalog
    not_after_danger = {catalog.text(k) for k in catalog.texts if k.startswith("check.")}
    not_after_danger.add(catalog.text("bot.pick_an_option"))
    for n, (flow, step) in enumerate(every_step(app)):
        user = f"d:{n}"
        await put(app, user, flow, step)
        replies = await app.engine.handle(user, Event.from_text(DANGER))
        assert is_emergency_screen(app, replies[-1]), (flow, step, replies[-1])
        assert not any(r.screen for r in replies), (flow, step)  # the old screen not re-printed
        # above it, no "pick an option" or "I couldn't read that" (a feature's own message,
        # or its offer to keep the message in the journal, may stay: nothing is lost)
        for above in replies[:-1]:
            assert above.text not in not_after_danger, (flow, step, above.text)
        # "Carry on where I was" (pressed, or typed as 1) shows where they are (a text question
        # kept the message as its answer and moved on: "where they are" is the next step)
        for how in (Event.button(GLOBAL_CARRY_ON), Event.from_text("1")):
            await app.engine.handle(user, Event.from_text(DANGER))
            place = await app.engine.place_of(user)
            here = (place.flow, place.step)
            back = await app.engine.handle(user, how)
            assert back[-1].screen, (flow, step, how)
            place = await app.engine.place_of(user)
            assert (place.flow, place.step) == here, (flow, step, how)


async def test_danger_inside_a_question_is_not_also_an_error(app: App) -> None:
    """In a date, phone number or other typed question: the emergency screen, and no "I
    couldn't read that as a date"; the question waits, unanswered, for "Carry on"."""
    questions = [
        (flow.id, step.id)
        for flow in app.engine.project.flows.values()
        for step in flow.steps.values()
        if step.kind == "question" and step.type not in (None, "text", "choice", "yesno")
    ]
    assert {"when", "phone"} <= {  # "when": the journal's date question (bot/journal/when.py)
        app.engine.project.flows[f].steps[s].type for f, s in questions
    }, questions
    for n, (flow, step) in enumerate(questions):
        user = f"q:{n}"
        await put(app, user, flow, step)
        replies = await app.engine.handle(user, Event.from_text("hes outside with a knife"))
        assert len(replies) == 1 and is_emergency_screen(app, replies[0]), (flow, step)
        place = await app.engine.place_of(user)
        assert (place.flow, place.step) == (flow, step)  # nothing lost, nothing answered
        back = await app.engine.handle(user, Event.button(GLOBAL_CARRY_ON))
        assert back[-1].screen and (await app.engine.place_of(user)).step == step


async def test_a_date_still_answers_the_question_after_carry_on(app: App) -> None:
    await put(app, "q:date", "record_incident", "ask_when")
    await app.engine.handle("q:date", Event.from_text("he's outside now"))
    await app.engine.handle("q:date", Event.button(GLOBAL_CARRY_ON))
    await app.engine.handle("q:date", Event.from_text("yesterday 9pm"))
    assert (await app.engine.place_of("q:date")).step != "ask_when"


async def test_danger_from_a_new_user_then_the_welcome(app: App) -> None:
    replies = await app.engine.handle("n:1", Event.from_text("help me"))
    assert len(replies) == 1 and is_emergency_screen(app, replies[0])
    welcome = await app.engine.handle("n:1", Event.button(GLOBAL_CARRY_ON))
    assert re.search(said_pattern(app.engine.catalog, "start.welcome", {}), welcome[-1].text)


async def test_log_with_danger_is_saved_and_gets_the_emergency_screen(app: App) -> None:
    replies = await app.engine.handle("l:1", Event.from_text("/log he has a knife"))
    assert is_emergency_screen(app, replies[-1])
    assert any("incident 1" in r.text.lower() for r in replies[:-1]), replies  # saved, and said
    listed = await app.engine.handle("l:1", Event.from_text("/incidents"))
    assert "(1–1 of 1)" in listed[0].text, listed  # kept: the one incident


async def test_forwarded_text_is_read_for_danger(app: App) -> None:
    forwarded = Event(
        Kind.TEXT,
        text="I'm outside your house and I've got a knife",
        forwarded_from="Unknown",
        forwarded_date=dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC),
    )
    replies = await app.engine.handle("w:1", Event.from_text("/menu"))
    replies = await app.engine.handle("w:1", forwarded)
    assert is_emergency_screen(app, replies[-1])


async def test_a_file_caption_is_read_for_danger_and_the_file_still_offered(app: App) -> None:
    await app.engine.handle("c:1", Event.from_text("/menu"))
    photo = Attachment("photo", "photo.jpg", "image/jpeg", 3, "ref", b"jpg")
    replies = await app.engine.handle(
        "c:1", Event(Kind.ATTACHMENT, text="he's smashing my windows", attachment=photo)
    )
    assert is_emergency_screen(app, replies[-1])
    assert len(replies) >= 2 and replies[-2].buttons  # the offer to keep the photo stays above


async def test_calm_text_and_button_words_are_not_danger(app: App) -> None:
    await app.engine.handle("k:1", Event.from_text("/menu"))
    replies = await app.engine.handle("k:1", Event.from_text("he called 999 on me last year"))
    assert not any(is_emergency_screen(app, r) for r in replies)
    # the emergency button typed as text is the button, not a message to read
    replies = await app.engine.handle("k:1", Event.from_text("🚨 I'm in danger now"))
    assert replies[0].text.startswith("Call 999 now.")
