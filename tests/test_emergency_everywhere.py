"""Emergency advice is one step from every step of every flow of the real project."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App, open_app
from bot.engine.engine import GLOBAL_EMERGENCY
from bot.engine.events import Event
from bot.settings import Settings


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


def first_line(app: App) -> str:
    return app.engine.emergency_text()


async def put(app: App, user: str, flow: str, step: str) -> None:
    place = await app.engine.place_of(user)
    place.flow, place.step, place.history = flow, step, [[flow, step]]


async def test_emergency_first_line_is_call_999(app: App) -> None:
    assert first_line(app).startswith("Call 999")


async def test_command_and_button_from_every_step(app: App) -> None:
    steps = every_step(app)
    assert len(steps) > 20
    for n, (flow, step) in enumerate(steps):
        user = f"t:{n}"
        await put(app, user, flow, step)
        replies = await app.engine.handle(user, Event.from_text("/emergency"))
        assert replies[0].text.startswith(first_line(app)), (flow, step)
        assert "999" in [c.number for c in replies[0].contacts], (flow, step)
        await put(app, user, flow, step)
        # the button is on the screen itself (except inside the emergency advice)
        shown = await app.engine.handle(user, Event.from_text("/help"))
        datas = [b.data for r in shown for b in r.buttons]
        step_model = app.engine.project.flows[flow].steps[step]
        leads_there = any(o.target.flow == "emergency" for o in step_model.options)
        if flow != "emergency" and not leads_there:
            assert GLOBAL_EMERGENCY in datas, (flow, step)
        replies = await app.engine.handle(user, Event.button(GLOBAL_EMERGENCY))
        assert replies[0].text.startswith(first_line(app)), (flow, step)


async def test_danger_words_from_every_step_come_first(app: App) -> None:
    for n, (flow, step) in enumerate(every_step(app)):
        user = f"d:{n}"
        await put(app, user, flow, step)
        replies = await app.engine.handle(user, Event.from_text("he's outside my house right now"))
        assert replies[0].text.startswith(first_line(app)), (flow, step)
        # ...and the conversation carries on: something more than the advice is shown
        assert len(replies) >= 2, (flow, step)


async def test_danger_words_from_a_new_user(app: App) -> None:
    replies = await app.engine.handle("t:new", Event.from_text("help me"))
    assert replies[0].text.startswith(first_line(app))
