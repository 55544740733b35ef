"""No update lost between Telegram and the handlers: each is kept in the inbox until handled.

Telegram forgets an update once the bot confirms it: by polling, the next `getUpdates` carries a
higher offset; by webhook, the bot answers 200. python-telegram-bot confirms as soon as an update
is *queued*, so a crash (SIGKILL, power cut, out of memory) loses whatever was queued or being
handled, perhaps someone's "he is outside my door". Here:

- `DurableUpdateQueue.put` keeps every update in the sealed inbox (`bot.store.inbox`) before
  queueing it. By webhook it waits for the commit, so the 200 comes after it. By polling it does
  not wait; instead `UpdatesRequest` (application.py) waits for the inbox adds before each `getUpdates`,
  the request that confirms the previous batch, so one commit covers a whole batch.
- `PerUserUpdateProcessor` removes an update from the inbox once its handlers have finished.
- At start-up, `replay_unfinished` queues what a previous process left, before polling begins.

An update replayed after it was in fact handled (its removal had not been committed yet) is
absorbed: messages and button presses carry their Telegram ids as event keys, and the engine
answers a key it has handled with the answer it already gave instead of acting again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from telegram import Bot, Update

from bot import metrics
from bot.channels.telegram.logs import event as log_event
from bot.store.inbox import Inbox

log = logging.getLogger("bot.telegram")


class DurableUpdateQueue(asyncio.Queue):
    """The Application's update queue; `put` keeps each `Update` in the inbox first."""

    def __init__(self) -> None:
        super().__init__()
        self.inbox: Inbox | None = None  # attached once the store is open (post_init)
        self.wait_for_commit = True  # False only when something else flushes before confirming

    async def put(self, item: Any) -> None:
        inbox = self.inbox
        if inbox is not None and isinstance(item, Update):
            try:
                kept = inbox.add_nowait(item.update_id, item.to_json().encode())
                if self.wait_for_commit:
                    await kept
                else:
                    kept.add_done_callback(_report_failed_add)
            except Exception as exc:  # noqa: BLE001 - handle it anyway; only a crash loses it
                log_event(log, "inbox_failed", logging.WARNING, error=type(exc).__name__)
        await super().put(item)


def _report_failed_add(kept: asyncio.Future[None]) -> None:
    if not kept.cancelled() and kept.exception() is not None:
        error = type(kept.exception()).__name__
        log_event(log, "inbox_failed", logging.WARNING, error=error)


async def replay_unfinished(inbox: Inbox, queue: asyncio.Queue, bot: Bot) -> int:
    """Queue the updates an earlier process accepted and did not finish; returns how many."""
    replayed = 0
    for pending in await inbox.take_for_replay():
        try:
            update = Update.de_json(json.loads(pending.body), bot)
        except Exception as exc:  # noqa: BLE001 - unreadable now (e.g. a library upgrade)
            inbox.remove(pending.update_id)
            log_event(log, "replay_unreadable", logging.WARNING, error=type(exc).__name__)
            continue
        queue.put_nowait(update)  # the plain queue: it is in the inbox already
        replayed += 1
    metrics.INBOX_REPLAYS.inc(replayed)
    if replayed:
        log_event(log, "replayed_unfinished_updates", updates=replayed)
    return replayed
