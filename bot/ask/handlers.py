"""Typed questions answered in the conversation: the engine's `text_router` step.

Called for typed text the screen did not expect (not a button's label, not an answer to a
question, after the danger check). The router (bot/ask/router.py) says what the message is:
- a greeting, or a question with no topic word ("what can i do about him") -> the menu;
- a question that one screen answers -> that screen (Back returns to where the user was), with
  "Save this in my diary instead" under its own buttons;
- not sure -> "This might help" with up to three topics as `a:` buttons, then
  "Save this in my diary instead";
- not covered -> said honestly, with the National Stalking Helpline, 101 and the menu (and the
  nearest two topics as buttons when a screen came close: the router was not sure);
- an incident -> the journal's offer first, the advice that fits as the next buttons;
- a forwarded message, or anything else -> not handled here: the journal's fallback offers to keep it, as before.
"""

from __future__ import annotations

from bot.ask.router import Kind, Router, Screen
from bot.engine.actions import ServiceKey
from bot.engine.buttons import GLOBAL_BACK, GLOBAL_EMERGENCY, GLOBAL_MENU
from bot.engine.events import Button
from bot.engine.events import Kind as EventKind
from bot.engine.turn import Turn
from bot.journal import handlers as journal

PREFIX = "a:"
# Where typed text stays with the flow: a record or note being written, the emergency advice.
NOT_HERE = {journal.RECORD, journal.DETAILS, "emergency"}
NAVIGATION = {GLOBAL_BACK, GLOBAL_MENU}  # the last buttons of every screen
# Built with the project and provided by bot/app.py (absent where content has no ask_like.yaml).
ROUTER: ServiceKey[Router] = ServiceKey("ask_router")


def router_of(turn: Turn) -> Router | None:
    """The app's router (built at start-up), or None where the content has no ask_like.yaml."""
    return turn.service_or_none(ROUTER)


async def user_types_free_text(turn: Turn) -> bool:
    """Route typed text to the advice, the menu or the journal; False leaves it to the journal."""
    router = router_of(turn)
    if router is None or turn.danger_shown or turn.event.kind != EventKind.TEXT:
        return False
    if turn.place.flow in NOT_HERE:
        return False
    if turn.event.forwarded_from or turn.event.forwarded_date:
        return False  # a forwarded message is something to keep, not a question to the bot
    routing = router.route(turn.event.text)
    if routing.kind in (Kind.GREETING, Kind.VAGUE):
        await turn.go("menu")
    elif routing.kind == Kind.ADVICE:
        await _answer(turn, routing.screens[0], routing.diary_second)
    elif routing.kind == Kind.CHOICES:
        _offer_choices(turn, routing.screens, routing.diary_second)
    elif routing.kind == Kind.NOT_COVERED:
        _say_not_covered(turn, routing.screens)
    elif routing.kind == Kind.INCIDENT:
        note = _text(turn, "ask.incident_also") if routing.screens else ""
        return journal.offer_to_keep(turn, _advice_buttons(turn, routing.screens), note)
    else:
        return False
    return True


async def user_picks_advice(turn: Turn) -> None:
    """An `a:flow/step` button from "This might help" or an incident's offer."""
    router = router_of(turn)
    screen = router.screens.get(turn.event.data[len(PREFIX) :]) if router else None
    if screen is None:
        turn.say("bot.stale_button")
        await turn.show_current()
        return
    await _open(turn, screen)


async def _open(turn: Turn, screen: Screen) -> None:
    await turn.go(screen.flow, screen.step)


async def _answer(turn: Turn, screen: Screen, diary_second: bool = False) -> None:
    """The one screen that answers, in its flow, with "Save this in my diary instead" after its
    own buttons (before Back and Menu), so nothing the person meant to record is lost; for a
    situation told in the past tense, first of its own buttons (the advice first, then this)."""
    await _open(turn, screen)
    shown = next((r for r in reversed(turn.replies) if r.buttons), None)
    instead = journal.save_instead_button(turn, _text(turn, "ask.btn_journal_instead"))
    if shown is None or instead is None:
        return
    buttons = shown.buttons
    if diary_second:
        at = next((n for n, b in enumerate(buttons) if b.data != GLOBAL_EMERGENCY), len(buttons))
    else:
        at = len(buttons)
        while at > 0 and buttons[at - 1].data in NAVIGATION:
            at -= 1
    buttons.insert(at, instead)


def _offer_choices(turn: Turn, screens: list[Screen], diary_second: bool = False) -> None:
    """ "This might help": the topics, then the diary offer (second, after the likeliest topic,
    for a situation told in the past tense: "my instagram got hacked")."""
    buttons = _advice_buttons(turn, screens)
    instead = journal.save_instead_button(turn, _text(turn, "ask.btn_journal_instead"))
    if instead is not None:
        buttons.insert(1 if diary_second else len(buttons), instead)
    turn.show_screen(_text(turn, "ask.might_help"), buttons)


def _say_not_covered(turn: Turn, nearest: list[Screen]) -> None:
    """Said honestly, with the helpline and 101; the nearest advice as buttons when a screen
    came close (the router was not sure it is not covered)."""
    catalog = turn.catalog
    parts = [
        catalog.render(key)
        for key in ("ask.not_covered", "ask.not_covered_helpline", "region.police_non_emergency")
    ]
    text = "\n".join(p[0] for p in parts) + "\n\n"
    if nearest:
        text += _text(turn, "ask.not_covered_nearest") + "\n"
    text += _text(turn, "ask.not_covered_menu")
    # its last buttons are emergency, Back and Menu
    reply = turn.show_screen(text, _advice_buttons(turn, nearest))
    reply.contacts = [card for _, cards in parts for card in cards]


def _advice_buttons(turn: Turn, screens: list[Screen]) -> list[Button]:
    flows = turn.flows
    return [
        Button(turn.text(title) if (title := flows[s.flow].title) else s.flow, f"{PREFIX}{s.key}")
        for s in screens
    ]


def _text(turn: Turn, key: str) -> str:
    return turn.catalog.text(key)
