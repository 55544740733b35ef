"""Removing a chat's messages as far as Telegram allows: `/clear`, and auto-tidy unasked.

Telegram lets a bot delete both sides' messages of a private chat for 48 hours after each was
sent (Bot API, `deleteMessage`). Past that, the bot can still edit its own messages, so they are
blanked to a single dot (their buttons go too); the person's own older messages cannot be
touched by the bot at all, and the person is told so, with the two ways to finish the job in
Telegram itself: delete the chat for both sides, and turn on Telegram's auto-delete timer.

Deletion goes in batches of 100 (`deleteMessages`' limit); a refused batch is retried one id at
a time so one bad id does not keep the rest, and a bot message refused as too old is blanked
instead. `MARGIN_SECONDS` keeps a message a minute short of 48 hours out of the batches: it
would be too old by the time the call arrives, and the whole batch could be refused.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram.error import BadRequest, Forbidden

from bot.channels.telegram.logs import event as log_event
from bot.channels.telegram.outbox import edit_text
from bot.store.messages import DELETABLE_SECONDS, MessageLog

if TYPE_CHECKING:
    from telegram import Bot

log = logging.getLogger("bot.telegram")

DELETE_BATCH = 100  # deleteMessages takes at most 100 ids
MARGIN_SECONDS = 60
BLANK = "."  # what a bot message too old to delete is edited to


@dataclass(frozen=True, slots=True)
class Cleared:
    deleted: int  # messages removed for both sides
    blanked: int  # the bot's older messages, edited to a dot
    left: int  # the person's own messages too old for the bot to remove

    @property
    def complete(self) -> bool:
        return self.blanked == 0 and self.left == 0


class ChatCleaner:
    def __init__(self, messages: MessageLog, clock: Callable[[], float] = time.time) -> None:
        self.messages = messages
        self.clock = clock

    async def clear(self, bot: Bot, chat_id: int, also: Iterable[int] = ()) -> Cleared:
        """Delete what Telegram allows and blank the bot's older messages; forget their ids.

        The person's older messages stay remembered: they are still on screen, and the next
        `/clear` must say so again.
        """
        entries = await self.messages.entries(chat_id)
        recent_from = self.clock() - DELETABLE_SECONDS + MARGIN_SECONDS
        by_bot = {e.message_id: e.by_bot for e in entries}
        recent = sorted({e.message_id for e in entries if e.sent_at >= recent_from} | set(also))
        old = [e.message_id for e in entries if e.sent_at < recent_from]
        refused = await self._delete(bot, chat_id, recent)
        old_bot = [m for m in (*old, *refused) if by_bot.get(m)]
        left = sum(1 for m in (*old, *refused) if not by_bot.get(m))
        blanked = await self._blank(bot, chat_id, old_bot)
        kept = {m for m in (*old, *refused) if not by_bot.get(m)}
        await self.messages.forget(chat_id, [m for m in (*recent, *old) if m not in kept])
        return Cleared(len(recent) - len(refused), blanked, left)

    async def _delete(self, bot: Bot, chat_id: int, ids: list[int]) -> list[int]:
        """Delete these ids; returns those Telegram refused."""
        refused: list[int] = []
        for start in range(0, len(ids), DELETE_BATCH):
            batch = ids[start : start + DELETE_BATCH]
            try:
                await bot.delete_messages(chat_id, batch)
                continue
            except BadRequest:
                pass
            except Forbidden:
                return refused  # the person blocked the bot: nothing more can be done
            for message_id in batch:  # one by one, so one bad id does not keep the rest
                try:
                    await bot.delete_message(chat_id, message_id)
                except BadRequest as exc:
                    if "not found" not in str(exc).lower():
                        refused.append(message_id)  # too old: blank it if it is the bot's
                except Forbidden:
                    return refused
        return refused

    async def _blank(self, bot: Bot, chat_id: int, ids: list[int]) -> int:
        blanked = 0
        for message_id in ids:
            try:
                await edit_text(bot, chat_id, message_id, BLANK)
                blanked += 1
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    blanked += 1  # blanked by an earlier /clear
                elif "not found" not in str(exc).lower():
                    log_event(log, "blank_refused", logging.WARNING, error=type(exc).__name__)
            except Forbidden:
                break
        return blanked
