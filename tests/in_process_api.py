"""A Bot API answered in memory: python-telegram-bot's network replaced by a `BaseRequest`.

Used where sockets would only add noise: the hostile-updates property test and
bench/bench_telegram.py (both bots of the benchmark run on it). It answers the calls the bot
makes the way Telegram would, records them, and keeps each chat's last keyboard so a script can
press a button the bot really showed.
"""

from __future__ import annotations

import json
import time
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT = {"id": 1, "is_bot": True, "first_name": "Bot", "username": "safety_test_bot"}
SENDS = ("sendMessage", "editMessageText", "sendContact", "sendDocument")


class InProcessRequest(BaseRequest):
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.keyboards: dict[int, list[str]] = {}  # chat -> callback data of its last keyboard
        self.message_ids: dict[int, int] = {}  # chat -> the newest message id in it

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float | None:
        return None

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any, **kw: Any
    ) -> tuple[int, bytes]:
        if "/file/bot" in url:
            return 200, b"\x89PNG file bytes"
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        self.calls.append((name, params))
        result: Any = True
        if name == "getMe":
            result = BOT
        elif name == "getFile":
            result = {
                "file_id": params["file_id"],
                "file_unique_id": "u",
                "file_size": 15,
                "file_path": "photos/p.jpg",
            }
        elif name in SENDS:
            chat_id = int(params["chat_id"])
            markup = params.get("reply_markup")
            if isinstance(markup, str):  # a keyboard sent as ready-made JSON text
                markup = json.loads(markup)
            if isinstance(markup, dict):
                self.keyboards[chat_id] = [
                    b["callback_data"] for row in markup["inline_keyboard"] for b in row
                ]
            if name == "editMessageText":
                message_id = int(params["message_id"])
            else:
                message_id = self.message_ids.get(chat_id, 0) + 1
                self.message_ids[chat_id] = message_id
            result = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": str(params.get("text", "")),
            }
        return 200, json.dumps({"ok": True, "result": result}).encode()
