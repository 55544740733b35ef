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

import base64
import datetime as dt
import hmac
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.engine.actions import CommandHandler, Registry
from bot.engine.engine import (
    GLOBAL_BACK,
    GLOBAL_EMERGENCY,
    GLOBAL_MENU,
    Place,
    Turn,
)
from bot.engine.events import Button, Event, Kind, Reply
from bot.journal.render import when_text
from bot.store.locks import LockRecord, LockStore, derive, new_salt, register_sealed

if TYPE_CHECKING:
    from bot.engine.engine import Engine

PREFIX = "k:"
ASK = "lock_ask"  # place.data: what the next digits typed are (a PIN to open, or a new one)
SERVICE = "journal_lock"
PRIVATE = "journal_private"
IDLE = dt.timedelta(minutes=5)
MAX_TRIES = 5
FIRST_LOCKOUT = dt.timedelta(minutes=15)
MAX_DOUBLINGS = 20  # 15 minutes x 2**20 is 30 years: the limit only keeps the sum finite
ERASE_WAIT = dt.timedelta(hours=72)
PIN_MIN, PIN_MAX = 4, 12
MAX_OPEN_KEPT = 10_000
PASSING_BUTTONS = (GLOBAL_EMERGENCY, GLOBAL_MENU)
LAST_BUTTONS = (GLOBAL_BACK, GLOBAL_MENU)  # the engine's buttons, always last (emergency: first)

Eraser = Callable[[Turn], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Private:
    """What the PIN guards, as the features declared it (Registry.private)."""

    buttons: tuple[str, ...]  # button data prefixes
    places: tuple[Callable[[Place], bool], ...]  # something saved is on screen
    erase: Eraser  # erase everything a user keeps (a planned erasure that came due)

    def place(self, place: Place) -> bool:
        return any(is_private(place) for is_private in self.places)


class JournalLock:
    """Which journals are open (memory), and the lock records (the store)."""

    def __init__(self, store: LockStore, private: Private) -> None:
        self.store = store
        self.private = private
        self._open: dict[str, dt.datetime] = {}  # user_ref -> last event while open

    def is_open(self, user_ref: str, now: dt.datetime) -> bool:
        last = self._open.get(user_ref)
        if last is None:
            return False
        if now - last > IDLE:
            del self._open[user_ref]
            return False
        return True

    def open(self, user_ref: str, now: dt.datetime) -> None:
        self._open[user_ref] = now
        if len(self._open) > MAX_OPEN_KEPT:
            for ref in [r for r, last in self._open.items() if now - last > IDLE]:
                del self._open[ref]

    def close(self, user_ref: str) -> None:
        self._open.pop(user_ref, None)


def lock_of(services: dict[str, Any]) -> JournalLock:
    lock = services.get(SERVICE)
    if lock is None:
        lock = JournalLock(LockStore(services["db"], services["cipher"]), services[PRIVATE])
        services[SERVICE] = lock
    return lock


def lock_now(engine: Engine, user_id: str) -> None:
    """Close a user's journal at once (Lock now, /clear). `user_id` as the channel names it."""
    lock = engine.registry.services.get(SERVICE)
    if lock is not None:
        lock.close(engine.store.user_ref(user_id))


async def journal_open(turn: Turn) -> bool:
    """May this turn show the journal? Yes without a PIN; with one, while it is open."""
    lock = lock_of(turn.services)
    if not await lock.store.has_lock(turn.user_ref):
        return True
    return lock.is_open(turn.user_ref, turn.now)


# ---------------------------------------------------------------------- the gate


def register(registry: Registry, erase: Eraser) -> None:
    """Guard what the features declared private, and add /lock, its buttons and the hook."""
    private = Private(tuple(registry.private_buttons), tuple(registry.private_places), erase)
    registry.services[PRIVATE] = private
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
    register_sealed()


def _guarded(handler: CommandHandler) -> CommandHandler:
    async def guarded(turn: Turn) -> None:
        if not await journal_open(turn):
            await ask_pin(turn, _held(turn.event))
            return
        await handler(turn)
        if turn.drop_place:  # the user erased everything: the lock goes with it
            await _forget_lock(turn)
        elif await lock_of(turn.services).store.has_lock(turn.user_ref):
            _offer_lock_now(turn)

    return guarded


def _offer_lock_now(turn: Turn) -> None:
    """A private screen of someone with a PIN ends with "Lock now", before Back and Menu."""
    screen = turn.feature_screen
    if screen is None or any(b.data == f"{PREFIX}now" for b in screen.buttons):
        return
    nav = next((i for i, b in enumerate(screen.buttons) if b.data in LAST_BUTTONS), None)
    at = len(screen.buttons) if nav is None else nav
    screen.buttons.insert(at, Button(turn.engine.catalog.text("lock.btn_lock_now"), f"{PREFIX}now"))


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
    lock = lock_of(turn.services)
    ref = turn.user_ref
    if turn.event.kind == Kind.COMMAND and turn.event.command == "clear":
        lock.close(ref)  # the console's /clear (Telegram's calls lock_now itself)
    record = await lock.store.get(ref) if await lock.store.has_lock(ref) else None
    if record is not None and record.erase_at is not None and record.erase_at <= turn.now:
        await _erase_now(turn)
        return False  # the event itself goes on, into a fresh start
    ask = turn.place.data.get(ASK)
    if ask is not None and await _typed_at_prompt(turn, ask):
        return True
    if record is None:
        return False
    if lock.is_open(ref, turn.now):
        lock.open(ref, turn.now)  # activity keeps it open
        return False
    if lock.private.place(turn.place) and _needs_pin_here(turn.event):
        await ask_pin(turn, _held(turn.event))
        return True
    return False


def _needs_pin_here(event: Event) -> bool:
    """Inside a private place: what goes on working on the incident (not leaving, not 999)."""
    if event.kind == Kind.BUTTON:
        return not (event.data in PASSING_BUTTONS or event.data.startswith(PREFIX))
    return event.kind in (Kind.TEXT, Kind.LOCATION)


def _held(event: Event) -> dict[str, Any]:
    """An event to carry out after the PIN, as plain data (kept sealed with the place)."""
    return {
        "kind": event.kind.value,
        "text": event.text,
        "data": event.data,
        "command": event.command,
        "args": event.args,
        "loc": list(event.location) if event.location else None,
    }


def _unheld(held: dict[str, Any]) -> Event:
    loc = held.get("loc")
    return Event(
        Kind(held["kind"]),
        text=held.get("text", ""),
        data=held.get("data", ""),
        command=held.get("command", ""),
        args=held.get("args", ""),
        location=(float(loc[0]), float(loc[1])) if loc else None,
    )


# ---------------------------------------------------------------------- asking for a PIN


async def ask_pin(turn: Turn, then: dict[str, Any]) -> None:
    """Ask for the PIN; `then` is carried out once it is right."""
    turn.place.data[ASK] = {"do": "open", "then": then}
    await _prompt(turn, turn.place.data[ASK])


async def _prompt(turn: Turn, ask: dict[str, Any], before: str = "") -> None:
    catalog = turn.engine.catalog
    lines = [before] if before else []
    buttons: list[Button] = []
    if ask["do"] == "open":
        lines.append(catalog.text("lock.ask_pin"))
        record = await lock_of(turn.services).store.get(turn.user_ref)
        if record is not None and record.erase_at is not None:
            when = when_text(record.erase_at)
            lines.append(catalog.text("lock.erase_pending", {"when": when}))
        buttons.append(Button(catalog.text("lock.btn_forgot"), f"{PREFIX}forgot"))
    else:
        lines.append(catalog.text("lock.ask_new" if ask["do"] == "set" else "lock.ask_again"))
    turn.show_screen("\n\n".join(lines), buttons)


async def _typed_at_prompt(turn: Turn, ask: dict[str, Any]) -> bool:
    """Take what was typed at a PIN prompt; False lets the engine handle the event."""
    event = turn.event
    if event.kind == Kind.BUTTON and event.data.startswith(PREFIX):
        return False  # the lock's own buttons (I forgot my PIN) keep the prompt
    digits = event.text.replace(" ", "") if event.kind == Kind.TEXT else ""
    if not (digits.isascii() and digits.isdecimal()) or turn.danger_shown:
        turn.place.data.pop(ASK, None)  # the person moved on
        return False
    shown = turn.shown_buttons
    if len(digits) < PIN_MIN and 1 <= int(digits) <= len(shown):
        turn.place.data.pop(ASK, None)
        return False  # a button's number (the console)
    turn.replies.append(Reply(delete_message=True))
    if not PIN_MIN <= len(digits) <= PIN_MAX:
        await _prompt(turn, ask, turn.engine.catalog.text("lock.not_a_pin"))
        return True
    if ask["do"] in ("set", "confirm") and not await _may_change(turn):
        # a change started while open, left past the idle time: the phone may be in other hands
        await ask_pin(turn, _held(Event.button(f"{PREFIX}set")))
        return True
    steps = {"set": _new_pin, "confirm": _new_pin_again, "open": _pin_to_open}
    await steps.get(ask["do"], _pin_to_open)(turn, ask, digits)
    return True


async def _may_change(turn: Turn) -> bool:
    """A new PIN may be set: there is none yet, or the journal is open (typing keeps it open)."""
    lock = lock_of(turn.services)
    if not await lock.store.has_lock(turn.user_ref):
        return True
    if not lock.is_open(turn.user_ref, turn.now):
        return False
    lock.open(turn.user_ref, turn.now)
    return True


async def _new_pin(turn: Turn, ask: dict[str, Any], pin: str) -> None:
    salt = new_salt()
    digest = await derive(pin, salt)
    ask.update(do="confirm", salt=_b64(salt), digest=_b64(digest))
    await _prompt(turn, ask)


async def _new_pin_again(turn: Turn, ask: dict[str, Any], pin: str) -> None:
    salt, digest = _unb64(ask["salt"]), _unb64(ask["digest"])
    if not hmac.compare_digest(await derive(pin, salt), digest):
        turn.place.data[ASK] = {"do": "set"}
        await _prompt(turn, turn.place.data[ASK], turn.engine.catalog.text("lock.mismatch"))
        return
    lock = lock_of(turn.services)
    await lock.store.put(turn.user_ref, LockRecord(salt=salt, digest=digest))
    turn.place.data.pop(ASK, None)
    lock.open(turn.user_ref, turn.now)  # they just typed it twice
    turn.say("lock.pin_set")
    _show_open_screen(turn)


async def _pin_to_open(turn: Turn, ask: dict[str, Any], pin: str) -> None:
    lock = lock_of(turn.services)
    catalog = turn.engine.catalog
    record = await lock.store.get(turn.user_ref)
    if record is None:  # the lock went meanwhile: nothing to open
        turn.place.data.pop(ASK, None)
        await _carry_on(turn, ask)
        return
    if record.locked_until is not None and record.locked_until > turn.now:
        await _prompt(turn, ask, _locked_out_text(turn, record))
        return
    if await record.matches(pin):
        cancelled = record.erase_at is not None
        if cancelled or record.failures or record.lockouts or record.locked_until:
            record.failures = record.lockouts = 0
            record.locked_until = record.erase_at = None
            await lock.store.put(turn.user_ref, record)
        turn.place.data.pop(ASK, None)
        lock.open(turn.user_ref, turn.now)
        turn.say("lock.opened")
        if cancelled:
            turn.say("lock.erase_cancelled")
        await _carry_on(turn, ask)
        return
    record.failures += 1
    if record.failures >= MAX_TRIES:
        record.failures = 0
        record.lockouts += 1
        doublings = min(record.lockouts - 1, MAX_DOUBLINGS)
        record.locked_until = turn.now + FIRST_LOCKOUT * 2**doublings
        await lock.store.put(turn.user_ref, record)
        await _prompt(turn, ask, _locked_out_text(turn, record))
        return
    await lock.store.put(turn.user_ref, record)
    left_text = catalog.count("lock.tries_left", MAX_TRIES - record.failures)
    await _prompt(turn, ask, catalog.text("lock.wrong", {"left": left_text}))


def _locked_out_text(turn: Turn, record: LockRecord) -> str:
    until = record.locked_until or turn.now
    minutes = max(1, math.ceil((until - turn.now).total_seconds() / 60))
    catalog = turn.engine.catalog
    return catalog.text("lock.locked_out", {"wait": catalog.count("lock.minutes", minutes)})


async def _carry_on(turn: Turn, ask: dict[str, Any]) -> None:
    then = ask.get("then")
    if then:
        await turn.redo(_unheld(then))
    else:
        await turn.show_current()


# ---------------------------------------------------------------------- /lock and its buttons


async def lock_command(turn: Turn) -> None:
    """`/lock` (and the menu's "Lock my records"): set a PIN, or lock now / change it."""
    lock = lock_of(turn.services)
    if not await lock.store.has_lock(turn.user_ref):
        turn.show_screen(
            turn.engine.catalog.text("lock.intro"),
            [Button(turn.engine.catalog.text("lock.btn_set"), f"{PREFIX}set")],
        )
        return
    if not lock.is_open(turn.user_ref, turn.now):
        await ask_pin(turn, _held(turn.event))
        return
    _show_open_screen(turn)


def _show_open_screen(turn: Turn) -> None:
    catalog = turn.engine.catalog
    turn.show_screen(
        catalog.text("lock.open_screen"),
        [
            Button(catalog.text("lock.btn_lock_now"), f"{PREFIX}now"),
            Button(catalog.text("lock.btn_change"), f"{PREFIX}set"),
        ],
    )


async def lock_button(turn: Turn) -> None:
    """`k:set` new PIN, `k:now` Lock now, `k:forgot` the way out, `k:erase` plan the erasure."""
    action = turn.event.data[len(PREFIX) :]
    lock = lock_of(turn.services)
    record = await lock.store.get(turn.user_ref)
    if action == "set":
        if record is not None and not lock.is_open(turn.user_ref, turn.now):
            await ask_pin(turn, _held(turn.event))  # changing a PIN needs the old one
            return
        turn.place.data[ASK] = {"do": "set"}
        await _prompt(turn, turn.place.data[ASK])
    elif action == "now":
        lock.close(turn.user_ref)
        turn.say("lock.locked_now")
        await turn.go("menu")
    elif action == "forgot" and record is not None:
        _show_forgot(turn, record)
    elif action == "erase" and record is not None:
        if record.erase_at is None:
            record.erase_at = turn.now + ERASE_WAIT
            await lock.store.put(turn.user_ref, record)
        when = when_text(record.erase_at)
        turn.show_screen(turn.engine.catalog.text("lock.erase_planned", {"when": when}), [])
    else:
        turn.say("lock.stale")
        await turn.show_current()


def _show_forgot(turn: Turn, record: LockRecord) -> None:
    catalog = turn.engine.catalog
    if record.erase_at is not None:
        when = when_text(record.erase_at)
        turn.show_screen(catalog.text("lock.erase_planned", {"when": when}), [])
        return
    turn.show_screen(
        catalog.text("lock.forgot"),
        [Button(catalog.text("lock.btn_erase"), f"{PREFIX}erase")],
    )


# ---------------------------------------------------------------------- erasing


async def _forget_lock(turn: Turn) -> None:
    lock = lock_of(turn.services)
    lock.close(turn.user_ref)
    await lock.store.delete(turn.user_ref)


async def _erase_now(turn: Turn) -> None:
    """A planned erasure came due: everything goes, and this event starts afresh."""
    lock = lock_of(turn.services)
    await lock.private.erase(turn)
    await _forget_lock(turn)
    turn.place.reset()  # the event goes on from an empty place...
    # ...which is not saved after it: no place left is what tells the console to delete its
    # exports (plain copies) too, as after /delete_my_data
    turn.drop_place = True
    turn.say("lock.erased")


async def sweep(engine: Engine, now: dt.datetime | None = None) -> int:
    """Carry out every planned erasure that came due (at start-up); returns how many."""
    services = engine.registry.services
    if PRIVATE not in services:
        return 0
    lock = lock_of(services)
    due = await lock.store.erasures_due(now or engine.clock())
    for ref in due:
        # a turn of no event: what erasers are given (they read its user and services)
        await lock.private.erase(Turn(engine, ref, Place(), Event(Kind.UNSUPPORTED)))
        lock.close(ref)
        await lock.store.delete(ref)
        engine.forget(ref)
    return len(due)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text)
