"""Asking for the journal's PIN, and `/lock` with its buttons (set, change, Lock now, forgot).

What the person asked for behind the PIN is held (`held`, sealed with the place) and carried out
once the PIN is right. Wrong tries count towards a pause that doubles; a right PIN resets it and
cancels a planned erasure. The PIN itself is never kept: only its scrypt digest, and while a new
PIN waits for its second typing, the digest of the first.
"""

from __future__ import annotations

import base64
import hmac
import math
from typing import Any

from bot.engine.events import Button, Event, Kind, Reply
from bot.engine.turn import Turn
from bot.journal.lock_state import (
    CONFIRM,
    ERASE_WAIT,
    FIRST_LOCKOUT,
    MAX_DOUBLINGS,
    MAX_TRIES,
    OPEN,
    PIN_MAX,
    PIN_MIN,
    PREFIX,
    SET,
    PinPrompt,
    lock_of,
    prompt_of,
)
from bot.journal.render import when_text
from bot.store.locks import LockRecord, derive, new_salt


def held(event: Event) -> dict[str, Any]:
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
    prompt_of(turn).ask(OPEN, then)
    await _prompt(turn)


async def _prompt(turn: Turn, before: str = "") -> None:
    asking = prompt_of(turn).asking
    lines = [before] if before else []
    buttons: list[Button] = []
    if asking == OPEN:
        lines.append(turn.text("lock.ask_pin"))
        record = await lock_of(turn).store.get(turn.user_ref)
        if record is not None and record.erase_at is not None:
            lines.append(turn.text("lock.erase_pending", when=when_text(record.erase_at)))
        buttons.append(Button(turn.text("lock.btn_forgot"), f"{PREFIX}forgot"))
    else:
        lines.append(turn.text("lock.ask_new" if asking == SET else "lock.ask_again"))
    turn.show_screen("\n\n".join(lines), buttons)


async def typed_at_prompt(turn: Turn) -> bool:
    """Take what was typed at a PIN prompt; False lets the engine handle the event."""
    event = turn.event
    if event.kind == Kind.BUTTON and event.data.startswith(PREFIX):
        return False  # the lock's own buttons (I forgot my PIN) keep the prompt
    prompt = prompt_of(turn)
    digits = event.text.replace(" ", "") if event.kind == Kind.TEXT else ""
    if not (digits.isascii() and digits.isdecimal()) or turn.danger_shown:
        prompt.stop()  # the person moved on
        return False
    shown = turn.shown_buttons
    if len(digits) < PIN_MIN and 1 <= int(digits) <= len(shown):
        prompt.stop()
        return False  # a button's number (the console)
    turn.replies.append(Reply(delete_message=True))
    if not PIN_MIN <= len(digits) <= PIN_MAX:
        await _prompt(turn, turn.text("lock.not_a_pin"))
        return True
    if prompt.asking in (SET, CONFIRM) and not await _may_change(turn):
        # a change started while open, left past the idle time: the phone may be in other hands
        await ask_pin(turn, held(Event.button(f"{PREFIX}set")))
        return True
    steps = {SET: _new_pin, CONFIRM: _new_pin_again, OPEN: _pin_to_open}
    await steps.get(prompt.asking or OPEN, _pin_to_open)(turn, prompt, digits)
    return True


async def _may_change(turn: Turn) -> bool:
    """A new PIN may be set: there is none yet, or the journal is open (typing keeps it open)."""
    lock = lock_of(turn)
    if not await lock.store.has_lock(turn.user_ref):
        return True
    if not lock.is_open(turn.user_ref, turn.now):
        return False
    lock.open(turn.user_ref, turn.now)
    return True


async def _new_pin(turn: Turn, prompt: PinPrompt, pin: str) -> None:
    salt = new_salt()
    digest = await derive(pin, salt)
    prompt.ask(CONFIRM)
    prompt.salt, prompt.digest = _b64(salt), _b64(digest)
    await _prompt(turn)


async def _new_pin_again(turn: Turn, prompt: PinPrompt, pin: str) -> None:
    salt, digest = _unb64(prompt.salt or ""), _unb64(prompt.digest or "")
    if not hmac.compare_digest(await derive(pin, salt), digest):
        prompt.ask(SET)
        await _prompt(turn, turn.text("lock.mismatch"))
        return
    lock = lock_of(turn)
    await lock.store.put(turn.user_ref, LockRecord(salt=salt, digest=digest))
    prompt.stop()
    lock.open(turn.user_ref, turn.now)  # they just typed it twice
    turn.say("lock.pin_set")
    _show_open_screen(turn)


async def _pin_to_open(turn: Turn, prompt: PinPrompt, pin: str) -> None:
    lock = lock_of(turn)
    record = await lock.store.get(turn.user_ref)
    then = prompt.then
    if record is None:  # the lock went meanwhile: nothing to open
        prompt.stop()
        await _carry_on(turn, then)
        return
    if record.locked_until is not None and record.locked_until > turn.now:
        await _prompt(turn, _locked_out_text(turn, record))
        return
    if await record.matches(pin):
        cancelled = record.erase_at is not None
        if cancelled or record.failures or record.lockouts or record.locked_until:
            record.failures = record.lockouts = 0
            record.locked_until = record.erase_at = None
            await lock.store.put(turn.user_ref, record)
        prompt.stop()
        lock.open(turn.user_ref, turn.now)
        turn.say("lock.opened")
        if cancelled:
            turn.say("lock.erase_cancelled")
        await _carry_on(turn, then)
        return
    await _wrong_pin(turn, record)


async def _wrong_pin(turn: Turn, record: LockRecord) -> None:
    """One more wrong try; the fifth pauses the PIN, twice as long as the last pause."""
    record.failures += 1
    if record.failures >= MAX_TRIES:
        record.failures = 0
        record.lockouts += 1
        doublings = min(record.lockouts - 1, MAX_DOUBLINGS)
        record.locked_until = turn.now + FIRST_LOCKOUT * 2**doublings
        await lock_of(turn).store.put(turn.user_ref, record)
        await _prompt(turn, _locked_out_text(turn, record))
        return
    await lock_of(turn).store.put(turn.user_ref, record)
    left_text = turn.count("lock.tries_left", MAX_TRIES - record.failures)
    await _prompt(turn, turn.text("lock.wrong", left=left_text))


def _locked_out_text(turn: Turn, record: LockRecord) -> str:
    until = record.locked_until or turn.now
    minutes = max(1, math.ceil((until - turn.now).total_seconds() / 60))
    return turn.text("lock.locked_out", wait=turn.count("lock.minutes", minutes))


async def _carry_on(turn: Turn, then: dict[str, Any] | None) -> None:
    if then:
        await turn.redo(_unheld(then))
    else:
        await turn.show_current()


# ---------------------------------------------------------------------- /lock and its buttons


async def lock_command(turn: Turn) -> None:
    """`/lock` (and the menu's "Lock my records"): set a PIN, or lock now / change it."""
    lock = lock_of(turn)
    if not await lock.store.has_lock(turn.user_ref):
        turn.show_screen(
            turn.text("lock.intro"), [Button(turn.text("lock.btn_set"), f"{PREFIX}set")]
        )
        return
    if not lock.is_open(turn.user_ref, turn.now):
        await ask_pin(turn, held(turn.event))
        return
    _show_open_screen(turn)


def _show_open_screen(turn: Turn) -> None:
    turn.show_screen(
        turn.text("lock.open_screen"),
        [
            Button(turn.text("lock.btn_lock_now"), f"{PREFIX}now"),
            Button(turn.text("lock.btn_change"), f"{PREFIX}set"),
        ],
    )


async def lock_button(turn: Turn) -> None:
    """`k:set` new PIN, `k:now` Lock now, `k:forgot` the way out, `k:erase` plan the erasure."""
    action = turn.event.data[len(PREFIX) :]
    lock = lock_of(turn)
    record = await lock.store.get(turn.user_ref)
    if action == "set":
        if record is not None and not lock.is_open(turn.user_ref, turn.now):
            await ask_pin(turn, held(turn.event))  # changing a PIN needs the old one
            return
        prompt_of(turn).ask(SET)
        await _prompt(turn)
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
        turn.show_screen(turn.text("lock.erase_planned", when=when_text(record.erase_at)), [])
    else:
        turn.say("lock.stale")
        await turn.show_current()


def _show_forgot(turn: Turn, record: LockRecord) -> None:
    if record.erase_at is not None:
        turn.show_screen(turn.text("lock.erase_planned", when=when_text(record.erase_at)), [])
        return
    turn.show_screen(
        turn.text("lock.forgot"), [Button(turn.text("lock.btn_erase"), f"{PREFIX}erase")]
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text)
