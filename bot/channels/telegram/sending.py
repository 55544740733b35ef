"""Sending the engine's replies to Telegram: a screen edits the one pressed where it can, long
texts go in pieces, files as documents; every message sent is noted for /clear."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from telegram import InputFile, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.channels.telegram import render
from bot.channels.telegram.outbox import edit_text, send_text
from bot.engine.events import Reply

if TYPE_CHECKING:
    from telegram import Bot

    from bot.store.messages import MessageLog


class Sending:
    """Rendering replies as Bot API calls (mixed into `Channel`)."""

    messages: MessageLog | None

    async def send_replies(
        self, bot: Bot, chat_id: int, replies: Sequence[Reply], edit: Message | None = None
    ) -> None:
        """Render replies in order. With `edit`, a first reply that is a screen replaces it."""
        for index, reply in enumerate(replies):
            if index == 0 and edit is not None and self._can_edit_with(reply):
                if await self._edit_screen(bot, edit, reply):
                    continue
            await self._send(bot, chat_id, reply)

    @staticmethod
    def _can_edit_with(reply: Reply) -> bool:
        return (
            reply.screen
            and reply.document is None
            and bool(reply.text)
            and len(render.chunks(reply.text)) == 1
        )

    async def _edit_screen(self, bot: Bot, message: Message, reply: Reply) -> bool:
        try:
            await edit_text(
                bot,
                message.chat.id,
                message.message_id,
                render.chunks(reply.text)[0],
                html=True,
                markup=render.keyboard_json(reply),
            )
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return True  # a double tap: the screen already shows this
            return False  # too old to edit, or deleted: send it as a new message instead
        return True

    async def _send(self, bot: Bot, chat_id: int, reply: Reply) -> None:
        sent: list[int | None] = []
        if reply.document is not None:
            caption = render.chunks(reply.text)[0] if reply.text else None
            if caption is not None and len(caption) > render.MAX_CAPTION:
                for piece in render.chunks(reply.text):
                    sent.append(await send_text(bot, chat_id, piece, html=True))
                caption = None
            doc = reply.document
            document = await bot.send_document(
                chat_id,
                InputFile(doc.content, filename=doc.file_name),
                caption=caption,
                parse_mode=ParseMode.HTML if caption else None,
                reply_markup=render.keyboard(reply),
            )
            sent.append(document.message_id)
        elif reply.text or reply.buttons or reply.contacts:
            markup = render.keyboard_json(reply)
            pieces = render.chunks(reply.text or "…")
            for i, piece in enumerate(pieces):
                last = i == len(pieces) - 1
                sent.append(
                    await send_text(bot, chat_id, piece, html=True, markup=markup if last else None)
                )
        self._note_sent(chat_id, sent)

    def _note_sent(self, chat_id: int, sent: Sequence[int | None]) -> None:
        if self.messages is not None:
            self.messages.note(chat_id, [i for i in sent if i is not None])

    async def _say(self, bot: Bot, chat_id: int, text: str) -> None:
        sent = await send_text(bot, chat_id, text)
        self._note_sent(chat_id, [sent])
