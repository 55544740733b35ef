"""Auto-tidy as the person meets it: "Tidy this chat after I stop: 10 minutes / 1 hour / off".

Offered as a button on the welcome screen and in the menu, and as `/tidy`. The engine knows no
channel, so the choice is handed to the `SERVICE` the channel provides on the registry
when it starts (the Telegram channel: `bot/channels/telegram/handlers.py`, which keeps the
schedule in `bot/store/tidy.py` and does the tidying). Where no channel offers it (the console,
whose window simply closes), the person is told so. Words: `content/telegram.yaml`.
"""

from __future__ import annotations

from typing import Protocol

from bot.engine.actions import Registry, ServiceKey
from bot.engine.events import Button
from bot.engine.turn import Turn

PREFIX = "t:"
CHOICES = {"10m": 600, "1h": 3600, "off": None}
LABELS = {"10m": "tidy.btn_10m", "1h": "tidy.btn_1h", "off": "tidy.btn_off"}


class TidyService(Protocol):
    async def setting(self, user_ref: str) -> int | None: ...
    async def choose(self, user_ref: str, after_seconds: int | None) -> None: ...


# Provided by the channel that can tidy (Telegram); absent on the console.
SERVICE: ServiceKey[TidyService] = ServiceKey("tidy")


def _service(turn: Turn) -> TidyService | None:
    return turn.service_or_none(SERVICE)


def _label(turn: Turn, after_seconds: int | None) -> str:
    choice = next((k for k, v in CHOICES.items() if v == after_seconds), "off")
    return turn.catalog.text(LABELS[choice])


async def tidy_command(turn: Turn) -> None:
    """`/tidy`, or the welcome's and the menu's button: the three choices, the current one said."""
    service = _service(turn)
    if service is None:
        turn.say("tidy.not_here")
        await turn.show_current()
        return
    catalog = turn.catalog
    now = await service.setting(turn.user_ref)
    text = (
        catalog.text("tidy.question")
        + "\n"
        + catalog.text("tidy.now", {"choice": _label(turn, now)})
    )
    buttons = [Button(catalog.text(LABELS[k]), PREFIX + k) for k in CHOICES]
    turn.show_screen(text, buttons)


async def tidy_button(turn: Turn) -> None:
    """A choice pressed: kept, said, and back to where the person was."""
    service = _service(turn)
    choice = turn.event.data[len(PREFIX) :]
    if service is None or choice not in CHOICES:
        turn.say("tidy.not_here")
        await turn.show_current()
        return
    await service.choose(turn.user_ref, CHOICES[choice])
    key = "tidy.saved" if CHOICES[choice] is not None else "tidy.saved_off"
    turn.say(key, choice=_label(turn, CHOICES[choice]))
    await turn.show_current()


def register(registry: Registry) -> None:
    registry.command("tidy", menu_rank=70)(tidy_command)
    registry.button(PREFIX)(tidy_button)


__all__ = ["register"]
