"""Issue 18: "I'm in danger now" is the first button on every screen, in the same words; Back and
Menu are last; the validator names the file and step of a screen that breaks it."""

from __future__ import annotations

from pathlib import Path

from bot.app import App
from bot.engine.engine import GLOBAL_BACK, GLOBAL_EMERGENCY, GLOBAL_MENU
from bot.engine.events import Button
from tests.chat_client import ChatClient
from tests.test_validator import problems_after


def last_buttons(chat: ChatClient) -> list[Button]:
    return next((r.buttons for r in reversed(chat.replies) if r.buttons), [])


async def test_the_menu_starts_with_the_emergency_button(chat: ChatClient) -> None:
    await chat.send("/menu")
    buttons = last_buttons(chat)
    assert buttons[0].data == GLOBAL_EMERGENCY
    assert buttons[0].label == "🚨 I'm in danger now"


async def test_every_screen_of_a_walk_has_emergency_first_and_back_and_menu_last(
    mini_app: App,
) -> None:
    chat = ChatClient(mini_app.engine, "test:walk")
    await chat.send("/menu")
    await chat.click("Advice")
    seen = 0
    for _ in range(3):
        buttons = last_buttons(chat)
        datas = [b.data for b in buttons]
        assert datas[0] == GLOBAL_EMERGENCY
        tail = [d for d in datas if d in (GLOBAL_BACK, GLOBAL_MENU)]
        assert datas[len(datas) - len(tail) :] == tail  # nothing after Back and Menu
        assert tail  # this walk never reaches the menu itself, so Menu is always there
        seen += 1
        own = [b for b in buttons if b.data not in (GLOBAL_EMERGENCY, GLOBAL_BACK, GLOBAL_MENU)]
        if not own:
            break
        await chat.click(own[0].label)
    assert seen


def test_validator_names_the_screen_whose_emergency_option_is_not_first(tmp_path: Path) -> None:
    found = problems_after(
        tmp_path,
        "menu.yaml",
        "      - label: t.survey\n        flow: survey\n",
        "      - label: t.survey\n        flow: survey\n"
        "      - label: btn.emergency\n        flow: emergency\n",
    )
    assert any(
        "menu.yaml:" in p and "step 'choose'" in p and "stands first on every screen" in p
        for p in found
    ), found
