"""The journal lock's state: which journals are open (in memory), the lock records (sealed, in
bot/store/locks.py), what the features declared private, and the lock's numbers.

The rules the numbers serve are in bot/journal/lock.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.engine.engine import GLOBAL_BACK, GLOBAL_EMERGENCY, GLOBAL_MENU, Place, Turn
from bot.store.locks import LockStore

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
NAVIGATION = (GLOBAL_EMERGENCY, GLOBAL_BACK, GLOBAL_MENU)  # the engine's buttons, always last

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
