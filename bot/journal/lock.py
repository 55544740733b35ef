"""The journal lock: one gate in front of everything that shows the journal.

Declared once: each feature names with the registry what of it is private (`registry.private`:
commands, button prefixes, and places in a flow where something saved is on screen), and
`register`, called after every feature, wraps those handlers and adds one `before_turn` hook to
the engine. The features' own handlers do not know the lock exists.

- With no PIN set, everything is open, as before the lock.
- With a PIN, a private command or button, or any step inside a private place, first asks for the
  PIN and shows nothing of the journal. The request is kept (sealed, with the place) and carried
  out once the PIN is right. Recording something new (/record, /log, the offers) never asks.
- "Open" lives in memory only: it ends after `IDLE` without an event from the user, on Lock now,
  on /clear (`lock_now`), and on restart.
- `MAX_TRIES` wrong tries pause the PIN for `FIRST_LOCKOUT`, twice as long each time after; a
  right PIN resets both.
- A forgotten PIN: "Erase everything in 72 hours" plans an erasure `ERASE_WAIT` ahead; a right
  PIN cancels it. It runs on the user's next event after that moment, or at start-up (`sweep`).
- Every message typed at a PIN prompt that is only digits (a PIN, or a mistyped one) is answered
  with `Reply(delete_message=True)`: Telegram deletes it from the chat, a terminal cannot.
- The PIN is never kept: only its scrypt digest (bot/store/locks.py), and while a new PIN waits
  for its second typing, the digest of the first, sealed with the user's place.

Hazard: the gate closes the bot's access to the journal; messages already on the phone's screen
(an incident someone opened) stay there until /clear or Telegram's own deletion.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from bot.engine.actions import CommandHandler, Registry
from bot.engine.events import Button, Event, Kind
from bot.engine.turn import Turn
from bot.journal.lock_pin import ask_pin, held, lock_button, lock_command, typed_at_prompt
from bot.journal.lock_state import (
    LOCK,
    LOCK_STORE,
    NAVIGATION,
    PASSING_BUTTONS,
    PREFIX,
    Eraser,
    JournalLock,
    Private,
    journal_open,
    lock_now,
    lock_of,
    prompt_of,
)
from bot.store.locks import LOCK_TABLE

# ---------------------------------------------------------------------- the gate


def register(registry: Registry, erase: Eraser) -> None:
    """Guard what the features declared private, and add /lock, its buttons and the hook."""
    private = Private(tuple(registry.private_buttons), tuple(registry.private_places), erase)
    registry.provide(LOCK, JournalLock(private, lambda: registry.service(LOCK_STORE)))
    for name in registry.private_commands:
        registry.commands[name] = _guarded(registry.commands[name])
    for prefix, handler in list(registry.button_handlers.items()):
        registry.button_handlers[prefix] = _guarded_buttons(handler, private.buttons)
    if registry.attachment_handler is not None:
        registry.attachment_handler = _hiding_private_buttons(
            registry.attachment_handler, private.buttons
        )
    registry.command("lock")(lock_command)
    registry.button(PREFIX)(lock_button)
    registry.before_turn = before_turn
    registry.seal(tables=(LOCK_TABLE,))


def _guarded(handler: CommandHandler) -> CommandHandler:
    async def guarded(turn: Turn) -> None:
        if not await journal_open(turn):
            await ask_pin(turn, held(turn.event))
            return
        await handler(turn)
        if turn.drop_place:  # the user erased everything: the lock goes with it
            await _forget_lock(turn)
        elif await lock_of(turn).store.has_lock(turn.user_ref):
            _offer_lock_now(turn)

    return guarded


def _offer_lock_now(turn: Turn) -> None:
    """A private screen of someone with a PIN ends with "Lock now", before Back and Menu."""
    screen = turn.feature_screen
    if screen is None or any(b.data == f"{PREFIX}now" for b in screen.buttons):
        return
    nav = next((i for i, b in enumerate(screen.buttons) if b.data in NAVIGATION), None)
    at = len(screen.buttons) if nav is None else nav
    screen.buttons.insert(at, Button(turn.text("lock.btn_lock_now"), f"{PREFIX}now"))


def _guarded_buttons(handler: CommandHandler, private: tuple[str, ...]) -> CommandHandler:
    unguarded = handler
    guarded = _guarded(handler)

    async def by_prefix(turn: Turn) -> None:
        await (guarded if turn.event.data.startswith(private) else unguarded)(turn)

    return by_prefix


def _hiding_private_buttons(
    handler: Callable[[Turn], Awaitable[bool]], private: tuple[str, ...]
) -> Callable[[Turn], Awaitable[bool]]:
    """A capture screen (a file offer) lists recent incidents only while the journal is open."""

    async def hiding(turn: Turn) -> bool:
        handled = await handler(turn)
        if handled and not await journal_open(turn):
            for reply in turn.replies:
                reply.buttons[:] = [b for b in reply.buttons if not b.data.startswith(private)]
        return handled

    return hiding


async def before_turn(turn: Turn) -> bool:
    """Every event: a due erasure, a PIN being typed, the idle clock, a private place."""
    lock = lock_of(turn)
    ref = turn.user_ref
    if turn.event.kind == Kind.COMMAND and turn.event.command == "clear":
        lock.close(ref)  # the console's /clear (Telegram's calls lock_now itself)
    record = await lock.store.get(ref) if await lock.store.has_lock(ref) else None
    if record is not None and record.erase_at is not None and record.erase_at <= turn.now:
        await _erase_now(turn)
        return False  # the event itself goes on, into a fresh start
    if prompt_of(turn).asking is not None and await typed_at_prompt(turn):
        return True
    if record is None:
        return False
    if lock.is_open(ref, turn.now):
        lock.open(ref, turn.now)  # activity keeps it open
        return False
    if lock.private.place(turn.place) and _needs_pin_here(turn.event):
        await ask_pin(turn, held(turn.event))
        return True
    return False


def _needs_pin_here(event: Event) -> bool:
    """Inside a private place: what goes on working on the incident (not leaving, not 999)."""
    if event.kind == Kind.BUTTON:
        return not (event.data in PASSING_BUTTONS or event.data.startswith(PREFIX))
    return event.kind in (Kind.TEXT, Kind.LOCATION)


# ---------------------------------------------------------------------- erasing


async def _forget_lock(turn: Turn) -> None:
    lock = lock_of(turn)
    lock.close(turn.user_ref)
    await lock.store.delete(turn.user_ref)


async def _erase_now(turn: Turn) -> None:
    """A planned erasure came due: everything goes, and this event starts afresh."""
    lock = lock_of(turn)
    await lock.private.erase(turn)
    await _forget_lock(turn)
    turn.place.reset()  # the event goes on from an empty place...
    # ...which is not saved after it: no place left is what tells the console to delete its
    # exports (plain copies) too, as after /delete_my_data
    turn.drop_place = True
    turn.say("lock.erased")


async def sweep(services: Registry, turn_for: Callable[[str], Turn], now: dt.datetime) -> int:
    """Carry out every planned erasure that came due (at start-up); returns how many.

    `turn_for(user_ref)` makes a turn of no event for that person (`Engine.turn_without_event`):
    what the erasers are given (they read its user and services)."""
    lock = services.service_or_none(LOCK)
    if lock is None:
        return 0
    due = await lock.store.erasures_due(now)
    for ref in due:
        await lock.private.erase(turn_for(ref))
        lock.close(ref)
        await lock.store.delete(ref)
    return len(due)


__all__ = ["lock_now", "register", "sweep"]
