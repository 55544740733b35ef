"""Updates of one user in order, different users at the same time.

PTB's own concurrency runs every update as it comes; a user who taps twice quickly would then
have two turns racing (and their replies interleaved). This processor keeps a lock per user:
their updates run one after another, in arrival order (asyncio locks are fair), while other
users' updates run alongside.

Once an update's handlers have finished (or failed, and the error handler has told the user), it
is removed from the inbox (see `intake.py`); one cut short by shutdown or a crash stays there
and is handled again at the next start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot import metrics
from bot.store.inbox import Inbox


def _who(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


class PerUserUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 1024) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}  # updates holding or waiting for each lock
        self.inbox: Inbox | None = None  # attached once the store is open

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await self._in_order(update, metrics.timed_update(update, coroutine))
        except Exception:
            self._finished(update)
            raise
        self._finished(update)  # not on cancellation: that update is replayed at the next start

    def _finished(self, update: object) -> None:
        if self.inbox is not None and isinstance(update, Update):
            self.inbox.remove(update.update_id)

    async def _in_order(self, update: object, coroutine: Awaitable[Any]) -> None:
        who = _who(update)
        if who is None:
            await coroutine
            return
        lock = self._locks.get(who)
        if lock is None:
            lock = self._locks[who] = asyncio.Lock()
        self._users[who] = self._users.get(who, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[who] -= 1
            if self._users[who] == 0:
                del self._users[who]
                del self._locks[who]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
