"""The journal lock's state: which journals are open (in memory), the lock records (sealed, in
bot/store/locks.py, built in bot/app.py and provided as `LOCK_STORE`), what the features
declared private, a PIN prompt waiting for digits (the person's `PinPrompt` section), and the
lock's numbers.

The rules the numbers serve are in bot/journal/lock.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.engine.actions import ServiceKey
from bot.engine.engine import GLOBAL_BACK, GLOBAL_EMERGENCY, GLOBAL_MENU
from bot.engine.place import Place, Section
from bot.engine.turn import Turn
from bot.store.locks import LockStore

if TYPE_CHECKING:
    from bot.engine.registry import Registry

PREFIX = "k:"
IDLE = dt.timedelta(minutes=5)
MAX_TRIES = 5
FIRST_LOCKOUT = dt.timedelta(minutes=15)
MAX_DOUBLINGS = 20  # 15 minutes x 2**20 is 30 years: the limit only keeps the sum finite
ERASE_WAIT = dt.timedelta(hours=72)
PIN_MIN, PIN_MAX = 4, 12
MAX_OPEN_KEPT = 10_000
PASSING_BUTTONS = (GLOBAL_EMERGENCY, GLOBAL_MENU)
NAVIGATION = (GLOBAL_BACK, GLOBAL_MENU)  # the engine's buttons, always last (emergency: first)

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
    """Which journals are open (memory), what is private, and the lock records (the store)."""

    def __init__(self, private: Private, store: Callable[[], LockStore]) -> None:
        self.private = private
        self._store = store  # provided by bot/app.py once the database is open
        self._open: dict[str, dt.datetime] = {}  # user_ref -> last event while open

    @property
    def store(self) -> LockStore:
        return self._store()

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


LOCK: ServiceKey[JournalLock] = ServiceKey("journal_lock")  # made by lock.register
LOCK_STORE: ServiceKey[LockStore] = ServiceKey("journal_lock_store")  # built in bot/app.py


def lock_of(turn: Turn) -> JournalLock:
    return turn.service(LOCK)


def lock_now(services: Registry, user_ref: str) -> None:
    """Close a person's journal at once (Lock now, Telegram's /clear): `services` are the
    registry's (`App.registry`), `user_ref` their pseudonym (`App.conversations.user_ref`)."""
    lock = services.service_or_none(LOCK)
    if lock is not None:
        lock.close(user_ref)


async def journal_open(turn: Turn) -> bool:
    """May this turn show the journal? Yes without a PIN; with one, while it is open."""
    lock = lock_of(turn)
    if not await lock.store.has_lock(turn.user_ref):
        return True
    return lock.is_open(turn.user_ref, turn.now)


@dataclass(slots=True)
class PinPrompt:
    """A PIN prompt on the person's screen, waiting for digits (`asking` None: no prompt)."""

    asking: str | None = None  # OPEN (the PIN, to open), SET (a new PIN) or CONFIRM (it again)
    then: dict[str, Any] | None = None  # the held event, carried out once the PIN is right
    # a new PIN's first typing, as its scrypt digest (never the PIN), until it is typed again
    salt: str | None = None
    digest: str | None = None

    def ask(self, asking: str | None, then: dict[str, Any] | None = None) -> None:
        self.asking, self.then, self.salt, self.digest = asking, then, None, None

    def stop(self) -> None:
        self.ask(None)


OPEN, SET, CONFIRM = "open", "set", "confirm"


def _from_old_key(data: dict[str, Any]) -> PinPrompt | None:
    """A prompt saved before this section existed: the `lock_ask` key of the place's data."""
    old = data.pop("lock_ask", None)
    if not isinstance(old, dict):
        return None
    return PinPrompt(old.get("do"), old.get("then"), old.get("salt"), old.get("digest"))


PROMPT: Section[PinPrompt] = Section("journal_lock", PinPrompt, legacy=_from_old_key)


def prompt_of(turn: Turn) -> PinPrompt:
    return turn.state(PROMPT)
