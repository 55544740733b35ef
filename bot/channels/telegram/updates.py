"""Reading Telegram updates: what kind an update is, who a forwarded message came from, which
message attribute holds a file."""

from __future__ import annotations

from collections.abc import Callable

from telegram import (
    Message,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
    Update,
)

MAX_DOWNLOAD = 20 * 1024 * 1024  # the Bot API's getFile limit

ATTACHMENT_TYPES: tuple[tuple[str, str, str], ...] = (
    # message attribute, attachment kind, default file name
    ("photo", "photo", "photo.jpg"),
    ("document", "document", "document"),
    ("voice", "voice", "voice.ogg"),
    ("video", "video", "video.mp4"),
    ("audio", "audio", "audio"),
    ("video_note", "video_note", "video_note.mp4"),
    ("animation", "video", "animation.mp4"),
)


def forwarded_from(
    message: Message, words: Callable[[str], str]
) -> tuple[str | None, object | None]:
    """The original sender and date of a forwarded message, as Telegram reports them; where
    it gives no name, the words for one from content (`words(key)`: `telegram.forwarded.*`)."""
    origin = message.forward_origin
    if origin is None:
        return None, None
    if isinstance(origin, MessageOriginUser):
        user = origin.sender_user
        name = user.full_name + (f" (@{user.username})" if user.username else "")
    elif isinstance(origin, MessageOriginHiddenUser):
        name = origin.sender_user_name
    elif isinstance(origin, MessageOriginChat):
        name = (
            origin.sender_chat.title
            or origin.sender_chat.full_name
            or words("telegram.forwarded.a_chat")
        )
    elif isinstance(origin, MessageOriginChannel):
        name = origin.chat.title or words("telegram.forwarded.a_channel")
    else:
        name = words("telegram.forwarded.unknown")
    return name, origin.date


def update_kind(update: object) -> str:
    if not isinstance(update, Update):
        return type(update).__name__
    for name in (
        "message",
        "edited_message",
        "callback_query",
        "inline_query",
        "channel_post",
        "edited_channel_post",
        "my_chat_member",
        "chat_member",
        "poll",
        "poll_answer",
        "chosen_inline_result",
    ):
        if getattr(update, name, None) is not None:
            return name
    return "other"
