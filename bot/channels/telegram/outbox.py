"""Sending and editing texts without turning Telegram's answer back into a `Message`.

python-telegram-bot's `send_message` parses every answer into a whole `Message` (a hundred-odd
attributes, each set through a guarded `__setattr__`); this bot needs only the message id, for
`/clear`. That parsing was about a third of the channel's own cost per update in
bench/bench_telegram.py. `Bot.do_api_request` is the library's public way to call a method and
get Telegram's plain answer; it goes through the same request object, rate limiter and error
mapping (`BadRequest`, `RetryAfter`...). It warns when used for a method the library also wraps,
which is the point here, so that warning is silenced for these two methods only.
"""

from __future__ import annotations

import warnings
from typing import Any

from telegram import Bot
from telegram.constants import ParseMode
from telegram.warnings import PTBUserWarning

warnings.filterwarnings(
    "ignore",
    message=r"Please use 'Bot\.(sendMessage|editMessageText)'",
    category=PTBUserWarning,
)


def _params(text: str, html: bool, markup: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"text": text}
    if html:
        params["parse_mode"] = ParseMode.HTML
    if markup is not None:
        params["reply_markup"] = markup
    return params


async def send_text(
    bot: Bot,
    chat_id: int,
    text: str,
    *,
    html: bool = False,
    markup: str | None = None,
) -> int | None:
    """`sendMessage` (`markup`: a keyboard as JSON, see `render.keyboard_json`); its id back."""
    result = await bot.do_api_request(
        "sendMessage", api_kwargs={"chat_id": chat_id, **_params(text, html, markup)}
    )
    return _message_id(result)


async def edit_text(
    bot: Bot,
    chat_id: int,
    message_id: int,
    text: str,
    *,
    html: bool = False,
    markup: str | None = None,
) -> None:
    """`editMessageText` of one of the bot's messages (raises `BadRequest` as the library does)."""
    await bot.do_api_request(
        "editMessageText",
        api_kwargs={"chat_id": chat_id, "message_id": message_id, **_params(text, html, markup)},
    )


def _message_id(result: Any) -> int | None:
    if isinstance(result, dict) and isinstance(result.get("message_id"), int):
        return result["message_id"]
    return None
