"""What happens when a user does something in Telegram, one handler for each kind of thing.

Each handler turns the update into the engine's `Event`, hands it to the engine, and renders the
`Reply`s as Bot API calls (see `render`). Nothing here decides advice; nothing here stores what a
user wrote. Only private chats reach the engine: in a group or channel the bot says once that it
works only in private, stores nothing, and leaves.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from telegram import Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot import tidy as tidy_feature
from bot.channels.telegram import render
from bot.channels.telegram.clearing import ChatCleaner
from bot.channels.telegram.commands import command_menu
from bot.channels.telegram.logs import event as log_event
from bot.channels.telegram.logs import frames
from bot.channels.telegram.outbox import send_text
from bot.channels.telegram.sending import Sending
from bot.channels.telegram.tidying import USER_PREFIX, ChatTidySetting, Tidying
from bot.channels.telegram.updates import (
    ATTACHMENT_TYPES,
    MAX_DOWNLOAD,
    forwarded_from,
    update_kind,
)
from bot.engine.engine import GLOBAL_CARRY_ON
from bot.engine.events import Attachment, Event, Kind

if TYPE_CHECKING:
    from telegram import Bot

    from bot.app import App
    from bot.store.inbox import Inbox
    from bot.store.messages import MessageLog
    from bot.store.tidy import TidySchedule

log = logging.getLogger("bot.telegram")

EDITABLE_SECONDS = 47 * 3600  # an older screen is answered with a new message (see below)
STALE_DATA = "~stale"  # never an engine token: the engine answers it as a button from an old screen

# The channel's own words are content (content/telegram.yaml, `telegram.*`).


class Channel(Sending, Tidying):
    """The Telegram side of one running bot. `attach` gives it the engine once it is open."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.app: App | None = None
        self.messages: MessageLog | None = None
        self.inbox: Inbox | None = None
        self.tidy: TidySchedule | None = None
        self.tidy_setting: ChatTidySetting | None = None
        self.cleaner: ChatCleaner | None = None
        self.clock = clock
        self._refused: OrderedDict[int, None] = (
            OrderedDict()
        )  # chats told "private only", in memory

    def attach(
        self,
        app: App,
        messages: MessageLog,
        inbox: Inbox | None = None,
        tidy: TidySchedule | None = None,
    ) -> None:
        self.app = app
        self.messages = messages
        self.inbox = inbox
        self.tidy = tidy
        self.cleaner = ChatCleaner(messages, self.clock)
        self.tidy_setting = ChatTidySetting(tidy) if tidy is not None else None
        if self.tidy_setting is not None:  # the choice is made in the engine (bot/tidy)
            app.engine.registry.provide(tidy_feature.SERVICE, self.tidy_setting)

    @property
    def ready(self) -> tuple[App, MessageLog]:
        if self.app is None or self.messages is None:
            raise RuntimeError("the Telegram channel is not attached to an app yet")
        return self.app, self.messages

    def _words(self, key: str) -> str:
        app, _ = self.ready
        return app.engine.catalog.text(key)

    def user_hash(self, user_id: int | None) -> str | None:
        """A per-deployment pseudonym for logs (a keyed hash, not the store's user ref)."""
        if user_id is None or self.app is None:
            return None
        return self.app.conversations.user_ref(f"log:{USER_PREFIX}{user_id}")[:12]

    # ------------------------------------------------------------------ what users do

    async def user_sends_a_message(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        """A message in a private chat: text, a command, a file, a location, or something else."""
        message = update.message
        user = update.effective_user
        if message is None or user is None:
            return
        app, messages = self.ready
        started = time.perf_counter()
        messages.note(message.chat_id, [message.message_id], by_bot=False)
        await self._active(message.chat_id)
        event: Event | None
        if message.text is not None:
            event = self._text_event(message)
            if event.kind == Kind.COMMAND and event.command == "clear":
                await self.user_clears_the_chat(context.bot, message)
                self._log_update(update, started, "clear")
                return
            if event.kind == Kind.COMMAND and event.command == "start":
                await self._full_menu(context.bot, message.chat_id)
        elif message.location is not None:
            loc = message.location
            event = Event(Kind.LOCATION, location=(loc.latitude, loc.longitude))
        else:
            event = await self._attachment_event(context.bot, message)
            if event is None:
                self._log_update(update, started, "file_refused")
                return
        # the same message delivered again (after a crash, before its offset was confirmed) has
        # the same key: the engine does not handle it twice
        event = replace(event, key=f"m:{message.chat_id}:{message.message_id}")
        replies = await app.engine.handle(USER_PREFIX + str(user.id), event)
        if any(reply.delete_message for reply in replies):  # it held a PIN: off the screen first
            await self._delete_their_message(context.bot, message)
        await self.send_replies(context.bot, message.chat_id, replies)
        self._log_update(update, started, event.kind.value)

    async def user_presses_a_button(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        """A tap on an inline button: answered first, then the engine's screen edits this one."""
        query = update.callback_query
        if query is None:
            return
        started = time.perf_counter()
        press = render.parse_callback(query.data)
        app, _ = self.ready
        if press.kind == "contact" and press.value not in app.engine.catalog.contacts:
            press = render.Press("stale")  # a card this deployment does not have (any more)
        try:  # first thing: the client shows a spinner until the query is answered
            await query.answer(
                self._words("telegram.stale_toast") if press.kind == "stale" else None
            )
        except BadRequest:
            pass  # too old to answer: the press is still handled below
        message = query.message
        user = update.effective_user
        if user is None or message is None or message.chat.type != ChatType.PRIVATE:
            return
        chat_id = message.chat.id
        await self._active(chat_id)
        if press.kind == "contact":
            card = app.engine.catalog.contacts[press.value]
            sent = await context.bot.send_contact(
                chat_id, phone_number=render.contact_phone(card), first_name=card.name[:64]
            )
            self._note_sent(chat_id, [sent.message_id])
            self._log_update(update, started, "contact")
            return
        data = press.value if press.kind == "engine" else STALE_DATA
        replies = await app.engine.handle(
            USER_PREFIX + str(user.id), Event.button(data, key=f"q:{query.id}")
        )
        # A screen older than 47 hours is not edited: /clear could then only blank it, so new
        # words go in a new message, which it can still delete. "Carry on where I was" under
        # the emergency advice comes as a new message too, so the 999 advice is not edited away.
        editable: Message | None = None
        if isinstance(message, Message) and press.kind == "engine" and data != GLOBAL_CARRY_ON:
            recent = self.clock() - message.date.timestamp() < EDITABLE_SECONDS
            editable = message if recent else None
        await self.send_replies(context.bot, chat_id, replies, edit=editable)
        self._log_update(update, started, press.kind)

    @staticmethod
    async def _delete_their_message(bot: Bot, message: Message) -> None:
        try:
            await bot.delete_message(message.chat_id, message.message_id)
        except BadRequest:
            pass  # already gone (deleted by the person, or a replay after a crash)

    async def user_edits_a_message(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        """An edit of an earlier message: not taken (the answer it gave stands), said calmly."""
        message = update.edited_message
        if message is None or update.effective_user is None:
            return
        sent = await send_text(context.bot, message.chat_id, self._words("telegram.edited"))
        self._note_sent(message.chat_id, [sent])
        self._log_update(update, None, "edited")

    async def user_searches_inline(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        """`@bot something` in another chat: no results, so nothing of this bot shows there."""
        if update.inline_query is not None:
            await update.inline_query.answer([], cache_time=0, is_personal=True)

    async def someone_writes_in_a_group(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        """Any message in a group, supergroup or channel: say once, store nothing, leave."""
        chat = update.effective_chat
        if chat is None or chat.type == ChatType.PRIVATE:
            return
        await self._refuse_and_leave(context.bot, chat.id, chat.type)

    async def bot_added_to_a_chat(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Someone added the bot to a group or channel: the same refusal as a message there."""
        change = update.my_chat_member
        if change is None or change.chat.type == ChatType.PRIVATE:
            return  # in a private chat this is the user blocking or unblocking the bot
        if change.new_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
            return
        await self._refuse_and_leave(context.bot, change.chat.id, change.chat.type)

    async def anything_else(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Updates with no user to answer (polls, reactions, service events): deliberate silence."""
        log_event(log, "update_ignored", logging.DEBUG, kind=update_kind(update))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log what failed (type and place, never text) and tell the user, with the 999 line."""
        error = context.error
        if update is None and isinstance(error, (NetworkError, RetryAfter)):
            # fetching updates failed (Telegram or the network); the library retries on its own
            log_event(log, "polling_failed", logging.WARNING, error=type(error).__name__)
            return
        user_id = None
        chat = None
        if isinstance(update, Update):
            user_id = update.effective_user.id if update.effective_user else None
            chat = update.effective_chat
        log_event(
            log,
            "handler_failed",
            logging.ERROR,
            error=type(error).__name__ if error else None,
            where=frames(error) if error else [],
            kind=update_kind(update),
            user=self.user_hash(user_id),
        )
        if chat is None or chat.type != ChatType.PRIVATE or self.app is None:
            return
        text = self.app.engine.catalog.text(
            "telegram.something_went_wrong", {"emergency": self.app.engine.emergency_text()}
        )
        try:
            sent = await send_text(context.bot, chat.id, text)
            self._note_sent(chat.id, [sent])
        except TelegramError as exc:
            log_event(log, "error_notice_failed", logging.WARNING, error=type(exc).__name__)

    # ------------------------------------------------------------------ sending

    # ------------------------------------------------------------------ helpers

    def _text_event(self, message: Message) -> Event:
        text = message.text or ""
        who, when = forwarded_from(message, self._words)
        if who is not None:  # a forwarded message is evidence, never a command to the bot
            return Event(Kind.TEXT, text=text, forwarded_from=who, forwarded_date=when)  # type: ignore[arg-type]
        return Event.from_text(text)

    async def _attachment_event(self, bot: Bot, message: Message) -> Event | None:
        """A file as an ATTACHMENT event with its bytes; None when it was refused (too big)."""
        found = None
        for attribute, kind, default_name in ATTACHMENT_TYPES:
            value = getattr(message, attribute, None)
            if value:
                found = (value[-1] if isinstance(value, tuple) else value, kind, default_name)
                break
        if found is None:
            return Event(Kind.UNSUPPORTED)  # sticker, poll, game, contact, dice...
        media, kind, default_name = found
        size = getattr(media, "file_size", None)
        if size is not None and size > MAX_DOWNLOAD:
            await self._say(bot, message.chat_id, self._words("telegram.file_too_big"))
            return None
        try:
            file = await bot.get_file(media.file_id)
            if file.file_size is not None and file.file_size > MAX_DOWNLOAD:
                await self._say(bot, message.chat_id, self._words("telegram.file_too_big"))
                return None
            content = bytes(await file.download_as_bytearray())
        except BadRequest as exc:
            too_big = "too big" in str(exc).lower()
            words = "telegram.file_too_big" if too_big else "telegram.file_not_fetched"
            await self._say(bot, message.chat_id, self._words(words))
            return None
        who, when = forwarded_from(message, self._words)
        attachment = Attachment(
            kind=kind,
            file_name=getattr(media, "file_name", None) or default_name,
            mime_type=getattr(media, "mime_type", None)
            or ("image/jpeg" if kind == "photo" else "application/octet-stream"),
            size=len(content),
            file_ref=media.file_id,
            content=content,
            forwarded_from=who,
            forwarded_date=when,  # type: ignore[arg-type]
        )
        return Event(
            Kind.ATTACHMENT,
            text=message.caption or "",
            attachment=attachment,
            forwarded_from=who,
            forwarded_date=when,  # type: ignore[arg-type]
        )

    async def _refuse_and_leave(self, bot: Bot, chat_id: int, chat_type: str) -> None:
        if chat_id in self._refused:
            return
        self._refused[chat_id] = None
        while len(self._refused) > 10_000:
            self._refused.popitem(last=False)
        try:
            await send_text(bot, chat_id, self._words("telegram.only_private"))
        except TelegramError:
            pass  # a channel where the bot may not post: leaving is what matters
        try:
            await bot.leave_chat(chat_id)
        except (Forbidden, BadRequest):
            pass
        log_event(log, "left_non_private_chat", chat_type=str(chat_type))

    def _log_update(self, update: Update, started: float | None, what: str) -> None:
        if not log.isEnabledFor(logging.DEBUG):
            return
        user = update.effective_user
        fields: dict[str, object] = {"kind": update_kind(update), "what": what}
        fields["user"] = self.user_hash(user.id if user else None)
        if started is not None:
            fields["ms"] = round((time.perf_counter() - started) * 1000, 2)
        log_event(log, "update", logging.DEBUG, **fields)


async def set_commands(bot: Bot, app: App) -> None:
    """The full command menu, from the features' declarations (bot/channels/telegram/commands.py)."""
    await bot.set_my_commands(command_menu(app.engine.registry, app.engine.catalog))
