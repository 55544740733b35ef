"""One background task that commits what callers queued: the shape every buffered store shares.

A store queues work in memory (conversation places, message ids, inbox updates) and calls
`kick()`; the writer runs the store's `write` until nothing is queued. Callers that must know
their data is committed wait on their own futures (set by `write`) or call `flush()`. A failed
write is logged by type (never by content) and the writer lives on.

`close()` waits for a commit under way before it stops the task: cancelling the task in the
middle of a transaction would roll back what was already taken off the queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

log = logging.getLogger(__name__)


class BackgroundWriter:
    def __init__(
        self, write: Callable[[], Awaitable[None]], queued: Callable[[], bool], what: str
    ) -> None:
        self._write = write  # takes what it commits off the queue first; may raise (not retried)
        self._queued = queued  # is anything waiting to be written?
        self._what = what  # for the log line: "inbox", "message ids"...
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None

    def kick(self) -> None:
        """Something was queued: write it soon."""
        self._idle.clear()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        self._wakeup.set()

    async def flush(self) -> None:
        """Wait until everything queued so far is written (or failed, and was logged).

        The writer task does the writing, never the caller: a caller cancelled while waiting
        leaves the commit running to its end.
        """
        if self._queued():
            self.kick()
        await self._idle.wait()

    async def close(self) -> None:
        """Write what is queued, wait for a commit under way, then stop the task."""
        if self._task is None:
            return
        await self.flush()
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        self._task = None

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            try:
                await self._write()
            except Exception as exc:  # noqa: BLE001 - keep the writer alive; say what failed
                log.error("%s not saved: %s", self._what, type(exc).__name__)
            if not self._queued():
                self._idle.set()


def settle(waiters: Iterable[asyncio.Future[None]], error: BaseException | None = None) -> None:
    """Tell callers waiting for a commit how it went (each future once)."""
    for waiter in waiters:
        if not waiter.done():
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)
