"""The buttons every screen shares (emergency, Back, Menu, Skip, Carry on) and how a typed
number or label is matched to a button on the screen.

Flow buttons carry a short token of their screen (`token`), so a button pressed on an older
screen is recognised as such and answered calmly instead of acting on the wrong step.
"""

from __future__ import annotations

import zlib
from functools import lru_cache

from bot.engine.events import Button
from bot.engine.machines import EXIT
from bot.engine.slots import clean_text

GLOBAL_EMERGENCY = "!e"
GLOBAL_BACK = "!b"
GLOBAL_MENU = "!m"
GLOBAL_SKIP = "!s"
GLOBAL_CARRY_ON = "!c"  # "Carry on where I was", under the emergency screen a danger message gets


def token(flow: str, step: str) -> str:
    """A short, stable code for a screen, so a button from another screen is recognised."""
    return format(zlib.crc32(f"{flow}{EXIT}{step}".encode()) & 0xFFFFFF, "x")


def norm(text: str) -> str:
    return " ".join(clean_text(text).casefold().replace("’", "'").split())


@lru_cache(maxsize=4096)
def _label_forms(label: str) -> tuple[str, str]:
    """A button label as typed text is compared with it: whole, and without the 🚨 mark."""
    whole = norm(label)
    return whole, norm(whole.lstrip("🚨 "))


def match_button(typed: str, buttons: list[Button]) -> Button | None:
    if typed.isdecimal() and 1 <= int(typed) <= len(buttons):
        return buttons[int(typed) - 1]
    for button in buttons:
        if typed in _label_forms(button.label):
            return button
    return None
