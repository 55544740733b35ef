"""/clear and auto-tidy as the Telegram channel does them: the chat cleared as far as Telegram
allows, the person told what is left, the chat's command menu cut to neutral words; and the
`tidy` service the engine's auto-tidy screen (bot/tidy) uses."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from telegram import BotCommandScopeChat, Message
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.channels.telegram.clearing import ChatCleaner, Cleared
from bot.channels.telegram.commands import command_menu
from bot.channels.telegram.logs import event as log_event
from bot.engine.engine import GLOBAL_EMERGENCY
from bot.engine.events import Button, Reply
from bot.journal.lock import lock_now

if TYPE_CHECKING:
    from telegram import Bot

    from bot.app import App
    from bot.store.messages import MessageLog
    from bot.store.tidy import TidySchedule

log = logging.getLogger("bot.telegram")
USER_PREFIX = "tg:"


class ChatTidySetting:
    """The `tidy` service the engine's auto-tidy screen uses: a person's choice, for their chat.

    The engine knows a person only by the store's keyed ref, never their Telegram id; the
    channel tells this service which chat each ref it has just seen belongs to (in memory only,
    the most recent `MAX_CHATS`). Only private chats reach the engine: there the chat's id is
    the user's.
    """

    MAX_CHATS = 10_000

    def __init__(self, schedule: TidySchedule) -> None:
        self.schedule = schedule
        self._chats: OrderedDict[str, int] = OrderedDict()

    def seen(self, user_ref: str, chat_id: int) -> None:
        self._chats[user_ref] = chat_id
        self._chats.move_to_end(user_ref)
        while len(self._chats) > self.MAX_CHATS:
            self._chats.popitem(last=False)

    async def setting(self, user_ref: str) -> int | None:
        chat = self._chats.get(user_ref)
        return await self.schedule.setting(chat) if chat is not None else None

    async def choose(self, user_ref: str, after_seconds: int | None) -> None:
        chat = self._chats.get(user_ref)
        if chat is None:
            raise LookupError("no chat seen for this user")  # the engine says sorry, calmly
        await self.schedule.choose(chat, after_seconds)


class Tidying:
    """The channel's /clear and auto-tidy (mixed into `Channel`, bot/channels/telegram/handlers.py)."""

    app: App | None
    tidy: TidySchedule | None
    tidy_setting: ChatTidySetting | None
    cleaner: ChatCleaner | None
    user_hash: Callable[[int | None], str | None]

    @property
    def ready(self) -> tuple[App, MessageLog]:
        raise NotImplementedError  # the handlers'

    async def _send(self, bot: Bot, chat_id: int, reply: Reply) -> None:
        raise NotImplementedError  # Sending's

    async def user_clears_the_chat(self, bot: Bot, message: Message) -> None:
        """`/clear`: remove what Telegram allows, close the journal, say what is left and why."""
        app, _ = self.ready
        chat_id = message.chat_id
        cleared = await self.clear_chat(bot, chat_id, also=[message.message_id])
        user_id = message.from_user.id if message.from_user else message.chat_id
        # the journal closes too (bot/journal/lock)
        lock_now(app.registry, app.conversations.user_ref(USER_PREFIX + str(user_id)))
        await self._neutral_menu(bot, chat_id)
        if not cleared.complete:
            await self._say_what_is_left(bot, chat_id, cleared)
        log_event(
            log,
            "chat_cleared",
            deleted=cleared.deleted,
            blanked=cleared.blanked,
            left=cleared.left,
            user=self.user_hash(chat_id),
        )

    async def clear_chat(self, bot: Bot, chat_id: int, also: Sequence[int] = ()) -> Cleared:
        """Delete every message of the chat Telegram allows, blank the bot's older ones."""
        if self.cleaner is None:
            raise RuntimeError("the Telegram channel is not attached to an app yet")
        return await self.cleaner.clear(bot, chat_id, also)

    async def _say_what_is_left(self, bot: Bot, chat_id: int, cleared: Cleared) -> None:
        app, _ = self.ready
        catalog = app.engine.catalog
        lines = [catalog.text("clear.done")]
        if cleared.left:
            lines.append(catalog.text("clear.left_yours", {"count": str(cleared.left)}))
        if cleared.blanked:
            lines.append(catalog.text("clear.blanked"))
        lines.append(catalog.text("clear.finish"))
        reply = Reply(
            text="\n\n".join(lines),
            buttons=[Button(catalog.text("btn.emergency"), GLOBAL_EMERGENCY)],
        )
        await self._send(bot, chat_id, reply)

    async def _neutral_menu(self, bot: Bot, chat_id: int) -> None:
        app, _ = self.ready
        try:
            neutral = command_menu(app.engine.registry, app.engine.catalog, neutral=True)
            await bot.set_my_commands(neutral, scope=BotCommandScopeChat(chat_id))
        except (BadRequest, Forbidden) as exc:
            log_event(log, "menu_not_cut", logging.WARNING, error=type(exc).__name__)

    async def _full_menu(self, bot: Bot, chat_id: int) -> None:
        try:
            await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
        except (BadRequest, Forbidden):
            pass  # nothing chat-scoped to remove

    # ------------------------------------------------------------------ auto-tidy

    async def tidy_due_chats(self, bot: Bot) -> int:
        """Auto-tidy: clear every chat whose quiet spell has passed; returns how many."""
        if self.tidy is None or self.cleaner is None:
            return 0
        tidied = 0
        for due in await self.tidy.due():
            try:
                cleared = await self.clear_chat(bot, due.chat_id)
            except TelegramError as exc:
                log_event(log, "tidy_failed", logging.WARNING, error=type(exc).__name__)
                continue  # due again at the next tick
            await self.tidy.done(due)
            await self._neutral_menu(bot, due.chat_id)
            tidied += 1
            log_event(
                log,
                "chat_tidied",
                deleted=cleared.deleted,
                blanked=cleared.blanked,
                left=cleared.left,
                user=self.user_hash(due.chat_id),
            )
        return tidied

    async def _active(self, chat_id: int) -> None:
        if self.tidy is not None:
            await self.tidy.touch(chat_id)
        if self.tidy_setting is not None and self.app is not None:
            ref = self.app.conversations.user_ref(USER_PREFIX + str(chat_id))
            self.tidy_setting.seen(ref, chat_id)
