"""Updates of one user in order, different users at the same time, and no user ahead of the rest.

PTB's own concurrency runs every update as it comes; a user who taps twice quickly would then
have two turns racing (and their replies interleaved). This processor keeps each user's updates
in arrival order (asyncio locks are fair) while other users' updates run alongside.

Order comes before the concurrency limit. PTB takes a slot of its limit before handing an update
to a processor, so an earlier version, which waited for the user's lock inside the slot, let one
user's burst fill every slot with updates waiting on that one lock: a second user waited 10.6 s
behind a flood of 3,048 updates from the first. Here PTB's own limit is set out of reach and this
processor's `SLOTS` are taken only by an update whose turn it is, so one user holds at most one.

A user who floods (more than `BUSY_QUEUE` updates waiting) goes second: their next update waits
while anyone else's is being handled, for at most `BUSY_WAIT_SECONDS`. Order and the slot are
not enough on their own: one process has one CPU and one database connection to share.

A user's updates in memory are bounded too (`QUEUED_PER_USER`): beyond that an update is only
*parked* (its id noted; it is already sealed in the inbox, see `intake.py`), and read back from
the inbox when the user's queue has room, still in order. Nothing is lost and a flood costs a
few bytes per update, not a task and a parsed update each. bench/bench_flood.py measures it: a
second user's reply during a 3,000-update flood against the same with no flood (docs/telegram.md).

Once an update's handlers have finished (or failed, and the error handler has told the user), it
is removed from the inbox; one cut short by shutdown or a crash stays there and is handled again
at the next start.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot import metrics
from bot.channels.telegram.logs import event as log_event
from bot.store.inbox import Inbox

if TYPE_CHECKING:
    from telegram.ext import Application

log = logging.getLogger("bot.telegram")

SLOTS = 256  # updates being handled at once, across all users (one per user at most)
QUEUED_PER_USER = 32  # a user's updates held in memory; later ones wait in the inbox only
BUSY_QUEUE = 8  # a user with more updates waiting than this is flooding: others go first
BUSY_WAIT_SECONDS = 1.0  # ...but a flooding user still gets a turn at least this often
OUT_OF_REACH = 1 << 30  # PTB's own limit, taken before a user's turn: never the one that binds


def _who(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


@dataclass(slots=True)
class _UserQueue:
    """One user's turn: the lock, the updates holding or waiting for it, and those parked."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    queued: int = 0
    parked: deque[int] = field(default_factory=deque)
    reading: bool = False  # a reader is taking parked updates back from the inbox


class PerUserUpdateProcessor(BaseUpdateProcessor):
    def __init__(
        self, max_concurrent_updates: int = SLOTS, queued_per_user: int = QUEUED_PER_USER
    ) -> None:
        super().__init__(OUT_OF_REACH)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._queued_per_user = queued_per_user
        self._users: dict[int, _UserQueue] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self._others_active = 0  # updates being handled of users who are not flooding
        self._others_idle = asyncio.Event()
        self._others_idle.set()
        self.inbox: Inbox | None = None  # attached once the store is open
        self.application: Application | None = None  # to handle parked updates read back

    @property
    def _locks(self) -> dict[int, asyncio.Lock]:
        """Each user's lock (for tests: empty once everyone is idle)."""
        return {who: user.lock for who, user in self._users.items()}

    def parked(self) -> int:
        """Updates waiting in the inbox only, across all users."""
        return sum(len(user.parked) for user in self._users.values())

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        who = _who(update)
        if who is None:
            async with self._slots:
                await self._handled(update, metrics.timed_update(update, coroutine))
            return
        user = self._users.get(who)
        if user is None:
            user = self._users[who] = _UserQueue()
        full = user.parked or user.reading or user.queued >= self._queued_per_user
        if full and self._can_park(update):
            _close(coroutine)
            if not user.parked:
                log_event(log, "updates_parked", logging.DEBUG)  # this user's queue is full
            user.parked.append(update.update_id)  # type: ignore[attr-defined]  # PTB types it `object`; always an Update here
            return
        user.queued += 1
        try:
            await self._in_turn(user, update, metrics.timed_update(update, coroutine))
        finally:
            user.queued -= 1
            self._after_turn(who, user)

    async def _in_turn(self, user: _UserQueue, update: object, coroutine: Awaitable[Any]) -> None:
        async with user.lock:
            busy = user.queued + len(user.parked) > BUSY_QUEUE
            if busy:
                await self._others_first()
            async with self._slots:
                if busy:
                    await self._handled(update, coroutine)
                    return
                self._others_active += 1
                self._others_idle.clear()
                try:
                    await self._handled(update, coroutine)
                finally:
                    self._others_active -= 1
                    if self._others_active == 0:
                        self._others_idle.set()

    async def _others_first(self) -> None:
        """A flooding user's next update waits while anyone else's is being handled.

        One process shares one CPU and one database connection: without this, a flood answered
        as fast as the send rate allows keeps both busy, and another person's reply waits its
        turn at every step (bench_flood.py: p50 3x to 4x the no-flood figure, on a loaded
        2-core machine). With it, the flood pauses while someone else is answered; it never
        pauses longer than `BUSY_WAIT_SECONDS`, so it still moves under a steady load.
        """
        if self._others_active:
            try:
                await asyncio.wait_for(self._others_idle.wait(), BUSY_WAIT_SECONDS)
            except TimeoutError:
                pass

    async def _handled(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await coroutine
        except Exception:
            self._finished(update)
            raise
        self._finished(update)  # not on cancellation: that update is replayed at the next start

    def _after_turn(self, who: int, user: _UserQueue) -> None:
        if user.parked and not user.reading and not self._closing:
            user.reading = True
            self._spawn(self._read_back_parked(who, user))
        elif user.queued == 0 and not user.parked and not user.reading:
            if self._users.get(who) is user:
                del self._users[who]

    async def _read_back_parked(self, who: int, user: _UserQueue) -> None:
        """Refill the user's queue from the inbox, oldest parked first, keeping its order.

        One reader per user, reading one update at a time: each joins the queue for the user's
        lock before the next is read, and new updates are parked while it reads.
        """
        try:
            while user.parked and user.queued < self._queued_per_user and not self._closing:
                update = await self._read_back(user.parked[0])
                user.parked.popleft()
                if update is None or self.application is None:
                    continue
                user.queued += 1
                self._spawn(self._parked_turn(who, user, update))
                await asyncio.sleep(0)  # let it queue for the lock before the next is read
        finally:
            user.reading = False
            self._after_turn(who, user)

    async def _parked_turn(self, who: int, user: _UserQueue, update: Update) -> None:
        try:
            coroutine = metrics.timed_update(
                update,
                self.application.process_update(update),  # type: ignore[union-attr]
            )
            await self._in_turn(user, update, coroutine)
        except Exception:  # noqa: BLE001, S110 - PTB has told the error handler already
            pass
        finally:
            user.queued -= 1
            self._after_turn(who, user)

    async def _read_back(self, update_id: int) -> Update | None:
        body = await self.inbox.get(update_id) if self.inbox is not None else None
        if body is None or self.application is None:
            # A person's message is lost unanswered (it may have said they are in danger): an
            # operator must see it, so it is an error and counted, never a quiet warning.
            log_event(log, "parked_update_missing", logging.ERROR)
            metrics.STORAGE_ERRORS.labels(error="ParkedUpdateMissing").inc()
            return None
        return Update.de_json(json.loads(body), self.application.bot)

    def _can_park(self, update: object) -> bool:
        return (
            self.inbox is not None
            and self.application is not None
            and not self._closing
            and isinstance(update, Update)
            and self.inbox.holds(update.update_id)
        )

    def _finished(self, update: object) -> None:
        if self.inbox is not None and isinstance(update, Update):
            self.inbox.remove(update.update_id)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def initialize(self) -> None:
        self._closing = False

    async def drain(self) -> None:
        """Finish what is in memory (on stop); parked updates stay in the inbox for next time."""
        self._closing = True
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def shutdown(self) -> None:
        await self.drain()


def _close(coroutine: Awaitable[Any]) -> None:
    """Drop a coroutine that will not run (its update is parked), without a 'never awaited'."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
