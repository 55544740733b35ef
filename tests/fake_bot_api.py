"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests.

It answers the methods the bot uses the way Telegram does (the same JSON envelopes, the same
error descriptions for the cases the bot handles), records every call, keeps each chat's
messages so a test can see what is still on the user's screen, and serves scripted updates to
`getUpdates` with Telegram's offset rule (an update is delivered until a later call confirms it).

Tests script users with `message`, `press`, `photo`... which build real update JSON.

Fault injection (`FakeBotApi.faults = Faults(...)`): a set share of calls is answered with 429 and
`retry_after`, 500 or 502, a reply held past the client's timeout, or a dropped connection. A
faulted call is not performed (no message is created) and is kept in `faulted`, not `calls`.
`getUpdates` takes its `offset` as Telegram does, when the request arrives, before any fault; with
`offset_delay` the offset is applied only after that many seconds, and not at all if the client
has gone (a request still on its way when the bot was killed). Every `getUpdates` answer is kept
in `polls`, so a test can check that offsets never skip or replay an update.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = {
    "id": 700000001,
    "is_bot": True,
    "first_name": "Safety test",
    "username": "safety_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}
MAX_FILE = 20 * 1024 * 1024
DELETABLE_SECONDS = 48 * 3600  # Telegram: deletable for 48 hours after sending


@dataclass
class Call:
    method: str
    params: dict[str, str]
    files: dict[str, bytes] = field(default_factory=dict)

    def json(self, name: str) -> Any:
        return json.loads(self.params[name]) if name in self.params else None

    @property
    def chat_id(self) -> int | None:
        raw = self.params.get("chat_id")
        return int(raw) if raw is not None else None


FAULT_KINDS = ("429", "500", "502", "slow", "drop")

# How long a test waits for the bot to answer before it fails: a wait, never a measurement (a
# healthy bot answers in milliseconds). Generous because the suite runs on two workers by default
# (the README's `pytest -n 2`) on a 2-core machine that others load too (load 12 seen while measuring).
WAIT_WITHIN = 60.0


@dataclass
class Faults:
    """Which calls fail, and how. `share` of calls (chosen at random from `seed`) get a fault."""

    share: float = 0.25
    seed: int = 0
    kinds: tuple[str, ...] = FAULT_KINDS
    retry_after: int = 1
    # past the bot's read timeout (python-telegram-bot's 5 s, or TELEGRAM_READ_TIMEOUT)
    slow_seconds: float = 5.5
    counts: Counter[str] = field(default_factory=Counter)
    abandoned: int = 0  # held calls the client gave up on (its read timeout) before the answer
    seen: int = 0
    _rng: random.Random | None = None

    def pick(self, method: str) -> str | None:
        rng = self._rng = self._rng or random.Random(self.seed)
        self.seen += 1
        if rng.random() >= self.share:
            return None
        kinds = self.kinds
        if method == "getUpdates":  # a held long poll would only stall intake: the other kinds
            kinds = tuple(k for k in kinds if k != "slow") or ("500",)
        kind = rng.choice(kinds)
        self.counts[kind] += 1
        return kind

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Poll:
    """One `getUpdates` call: the offset it carried and the update ids it was answered with."""

    offset: int
    returned: list[int]
    fault: str | None = None


class BotApiError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


class FakeBotApi:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.chats: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, dict[int, dict[str, Any]]] = {}  # chat -> id -> message
        self.files: dict[str, tuple[str, bytes, int]] = {}  # file_id -> (path, bytes, size)
        self.unauthorized = 0
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1000)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._file_ids = itertools.count(1)
        self._new_update = asyncio.Condition()
        self._new_call = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.faults: Faults | None = None
        self.faulted: list[tuple[Call, str]] = []
        self.polls: list[Poll] = []
        self.pushed: list[int] = []  # every update id served, in order
        self.offset_delay = 0.0
        self.stalled: set[str] = set()  # methods whose calls hang until released or abandoned
        self.stalled_calls: list[Call] = []
        self._confirmed = 0  # the highest offset applied so far
        # the server's time: message dates, the 48-hour deletion window; a test may replace it
        self.clock: Any = time.time
        self.profile: dict[str, dict[str, str]] = {}  # setMyName/Description/ShortDescription
        self.chat_commands: dict[int, list[dict[str, str]]] = {}  # chat-scoped setMyCommands
        # method -> errors for its next calls, one each (`refuse_next`); refused calls are kept
        # in `refused`, not `calls`, and are not performed
        self.refusals: dict[str, list[BotApiError]] = {}
        self.refused: list[tuple[Call, BotApiError]] = []

    # ------------------------------------------------------------------ server

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeBotApi:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            self.unauthorized += 1
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params: dict[str, str] = {}
        files: dict[str, bytes] = {}
        if request.can_read_body:
            if request.content_type == "application/json":
                raw = await request.json()
                params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = value.file.read()
                        params[key] = value.filename or ""
                    else:
                        params[key] = str(value)
        params.update({k: v for k, v in request.query.items() if k not in params})
        call = Call(method, params, files)
        handler = getattr(self, f"_m_{method}", None)
        if method == "getUpdates":
            await self._take_offset(request, call)
        if method in self.stalled:
            if not await self._stall(request, call):
                return web.Response(status=502)  # never read: the caller is gone
        fault = self.faults.pick(method) if self.faults is not None else None
        if fault is not None:
            return await self._fault(request, call, fault)
        if self.refusals.get(method):
            error = self.refusals[method].pop(0)
            self.refused.append((call, error))
            await self._notify()
            return web.json_response(
                {"ok": False, "error_code": error.code, "description": error.description},
                status=error.code,
            )
        if method != "getUpdates":
            self.calls.append(call)
        try:
            if handler is None:
                raise BotApiError(404, "Not Found")
            result = await handler(call)
        except BotApiError as exc:
            return web.json_response(
                {"ok": False, "error_code": exc.code, "description": exc.description},
                status=exc.code,
            )
        finally:
            if method != "getUpdates":
                await self._notify()
        return web.json_response({"ok": True, "result": result})

    async def _stall(self, request: web.Request, call: Call) -> bool:
        """Hold a call, as a network that hangs would; False when the caller went away."""
        self.stalled_calls.append(call)
        await self._notify()
        while call.method in self.stalled:
            if request.transport is None or request.transport.is_closing():
                return False
            await asyncio.sleep(0.02)
        return True

    async def _take_offset(self, request: web.Request, call: Call) -> None:
        """Confirm updates below `offset`, as Telegram does when the request reaches it."""
        offset = int(call.params.get("offset", 0) or 0)
        if self.offset_delay:
            await asyncio.sleep(self.offset_delay)  # the request still travelling
            if request.transport is None or request.transport.is_closing():
                return  # the bot died before its request arrived: nothing confirmed
        async with self._new_update:
            self._confirmed = max(self._confirmed, offset)
            self._updates = [u for u in self._updates if u["update_id"] >= self._confirmed]

    async def _fault(self, request: web.Request, call: Call, fault: str) -> web.StreamResponse:
        self.faulted.append((call, fault))
        if call.method == "getUpdates":
            self.polls.append(Poll(int(call.params.get("offset", 0) or 0), [], fault))
        if fault == "429":
            body = {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {self.faults.retry_after}",  # type: ignore[union-attr]
                "parameters": {"retry_after": self.faults.retry_after},  # type: ignore[union-attr]
            }
            return web.json_response(body, status=429)
        if fault in ("500", "502"):
            description = "Internal Server Error" if fault == "500" else "Bad Gateway"
            code = int(fault)
            body = {"ok": False, "error_code": code, "description": description}
            return web.json_response(body, status=code)
        if fault == "slow":
            await asyncio.sleep(self.faults.slow_seconds)  # type: ignore[union-attr]
            if request.transport is None or request.transport.is_closing():
                self.faults.abandoned += 1  # type: ignore[union-attr]
            body = {"ok": False, "error_code": 502, "description": "Bad Gateway"}
            return web.json_response(body, status=502)
        # "drop": the connection closes with no answer at all
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)  # never written: the connection is gone

    async def _notify(self) -> None:
        async with self._new_call:
            self._new_call.notify_all()

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        fault = self.faults.pick("download") if self.faults is not None else None
        if fault is not None:
            return await self._fault(request, Call("download", {"path": path}), fault)
        for stored_path, content, _ in self.files.values():
            if stored_path == path:
                self.calls.append(Call("download", {"path": path}))
                await self._notify()
                return web.Response(body=content, content_type="application/octet-stream")
        return web.Response(status=404)

    # ------------------------------------------------------------------ methods

    async def _m_getMe(self, call: Call) -> Any:
        return BOT_USER

    async def _m_getUpdates(self, call: Call) -> Any:
        offset = int(call.params.get("offset", 0) or 0)
        timeout = float(call.params.get("timeout", 0) or 0)
        # held at most 0.5 s: a stopping bot waits for its long poll to come back
        deadline = time.monotonic() + min(timeout, 0.5)
        async with self._new_update:
            while True:
                self._updates = [u for u in self._updates if u["update_id"] >= self._confirmed]
                if self._updates or time.monotonic() >= deadline:
                    batch = list(self._updates[:100])
                    self.polls.append(Poll(offset, [u["update_id"] for u in batch]))
                    return batch
                try:
                    await asyncio.wait_for(
                        self._new_update.wait(), max(0.0, deadline - time.monotonic())
                    )
                except TimeoutError:
                    pass

    async def _m_sendMessage(self, call: Call) -> Any:
        check_html(call)
        return self._bot_message(call, text=call.params["text"])

    async def _m_sendContact(self, call: Call) -> Any:
        contact = {
            "phone_number": call.params["phone_number"],
            "first_name": call.params["first_name"],
        }
        return self._bot_message(call, contact=contact)

    async def _m_sendDocument(self, call: Call) -> Any:
        content = call.files.get("document", b"")
        file_id = self._store_file(f"documents/{call.params.get('document', 'file')}", content)
        document = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": call.params.get("document", ""),
            "file_size": len(content),
        }
        extra = {"caption": call.params["caption"]} if "caption" in call.params else {}
        return self._bot_message(call, document=document, **extra)

    async def _m_editMessageText(self, call: Call) -> Any:
        check_html(call)
        chat_id = int(call.params["chat_id"])
        message = self.messages.get(chat_id, {}).get(int(call.params["message_id"]))
        if message is None:
            raise BotApiError(400, "Bad Request: message to edit not found")
        if not message["from"].get("is_bot"):
            raise BotApiError(400, "Bad Request: message can't be edited")
        markup = call.json("reply_markup")
        if message.get("text") == call.params["text"] and message.get("reply_markup") == markup:
            raise BotApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message["text"] = call.params["text"]
        message["edit_date"] = int(self.clock())
        if markup is not None:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    async def _m_answerCallbackQuery(self, call: Call) -> Any:
        return True

    async def _m_answerInlineQuery(self, call: Call) -> Any:
        return True

    async def _m_getFile(self, call: Call) -> Any:
        file_id = call.params["file_id"]
        if file_id not in self.files:
            raise BotApiError(400, "Bad Request: invalid file_id")
        path, _, size = self.files[file_id]
        if size > MAX_FILE:
            raise BotApiError(400, "Bad Request: file is too big")
        return {"file_id": file_id, "file_unique_id": file_id, "file_size": size, "file_path": path}

    def _too_old(self, message: dict[str, Any]) -> bool:
        return self.clock() - message["date"] >= DELETABLE_SECONDS

    async def _m_deleteMessage(self, call: Call) -> Any:
        chat = self.messages.get(int(call.params["chat_id"]), {})
        message = chat.get(int(call.params["message_id"]))
        if message is None:
            raise BotApiError(400, "Bad Request: message to delete not found")
        if self._too_old(message):
            raise BotApiError(400, "Bad Request: message can't be deleted for everyone")
        del chat[int(call.params["message_id"])]
        return True

    async def _m_deleteMessages(self, call: Call) -> Any:
        ids = call.json("message_ids")
        if not 1 <= len(ids) <= 100:
            raise BotApiError(400, "Bad Request: too many messages to delete")
        chat = self.messages.get(int(call.params["chat_id"]), {})
        # strict: one message past 48 hours refuses the whole call (the bot must not rely on
        # Telegram skipping it)
        if any(self._too_old(chat[int(m)]) for m in ids if int(m) in chat):
            raise BotApiError(400, "Bad Request: message can't be deleted for everyone")
        for message_id in ids:
            chat.pop(int(message_id), None)
        return True

    async def _m_setMyCommands(self, call: Call) -> Any:
        scope = call.json("scope") or {}
        if scope.get("type") == "chat":
            self.chat_commands[int(scope["chat_id"])] = call.json("commands")
        return True

    async def _m_deleteMyCommands(self, call: Call) -> Any:
        scope = call.json("scope") or {}
        if scope.get("type") == "chat":
            self.chat_commands.pop(int(scope["chat_id"]), None)
        return True

    async def _m_setMyName(self, call: Call) -> Any:
        return self._set_profile(call, "name", 64)

    async def _m_setMyDescription(self, call: Call) -> Any:
        return self._set_profile(call, "description", 512)

    async def _m_setMyShortDescription(self, call: Call) -> Any:
        return self._set_profile(call, "short_description", 120)

    def _set_profile(self, call: Call, field_name: str, limit: int) -> bool:
        value = call.params.get(field_name, "")
        if len(value) > limit:
            raise BotApiError(400, f"Bad Request: {field_name} is too long")
        self.profile.setdefault(call.params.get("language_code", ""), {})[field_name] = value
        return True

    async def _m_leaveChat(self, call: Call) -> Any:
        return True

    async def _m_deleteWebhook(self, call: Call) -> Any:
        return True

    async def _m_setWebhook(self, call: Call) -> Any:
        return True

    async def _m_close(self, call: Call) -> Any:
        return True

    # ------------------------------------------------------------------ bookkeeping

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _store_file(self, path: str, content: bytes, size: int | None = None) -> str:
        file_id = f"FILE{next(self._file_ids):05d}"
        self.files[file_id] = (f"{path}_{file_id}", content, len(content) if size is None else size)
        return file_id

    def _bot_message(self, call: Call, **content: Any) -> dict[str, Any]:
        chat_id = int(call.params["chat_id"])
        chat = self.chats.get(chat_id, {"id": chat_id, "type": "private", "first_name": "User"})
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": int(self.clock()),
            "chat": chat,
            "from": {k: v for k, v in BOT_USER.items() if k in ("id", "is_bot", "first_name")},
            **content,
        }
        markup = call.json("reply_markup")
        if markup is not None:
            message["reply_markup"] = markup
        self.messages.setdefault(chat_id, {})[message["message_id"]] = message
        return message

    # ------------------------------------------------------------------ scripting users

    async def push(self, update: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **update}
        self.pushed.append(update["update_id"])
        async with self._new_update:
            self._updates.append(update)
            self._new_update.notify_all()
        return update

    def user(self, user_id: int, first_name: str = "Sam") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}

    def chat(self, chat_id: int, kind: str = "private", title: str = "") -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": kind}
        if kind == "private":
            chat["first_name"] = "Sam"
        else:
            chat["title"] = title or "A group"
        self.chats[chat_id] = chat
        return chat

    def user_message(
        self, user_id: int, chat: dict[str, Any] | None = None, **content: Any
    ) -> dict:
        """A message from a user, recorded as on screen in that chat."""
        chat = chat or self.chat(user_id)
        message = {
            "message_id": self._next_message_id(chat["id"]),
            "date": int(self.clock()),
            "chat": chat,
            "from": self.user(user_id),
            **content,
        }
        self.messages.setdefault(chat["id"], {})[message["message_id"]] = message
        return message

    async def send_text(self, user_id: int, text: str, **extra: Any) -> dict[str, Any]:
        return await self.push({"message": self.user_message(user_id, text=text, **extra)})

    async def send_photo(
        self, user_id: int, content: bytes, size: int | None = None, caption: str | None = None
    ) -> dict[str, Any]:
        file_id = self._store_file("photos/file.jpg", content, size)
        real = len(content) if size is None else size
        sizes = [
            {"file_id": f"{file_id}s", "file_unique_id": "s", "width": 90, "height": 90},
            {
                "file_id": file_id,
                "file_unique_id": file_id,
                "width": 1280,
                "height": 960,
                "file_size": real,
            },
        ]
        extra = {"caption": caption} if caption else {}
        return await self.push({"message": self.user_message(user_id, photo=sizes, **extra)})

    async def press(self, user_id: int, message: dict[str, Any], data: str) -> dict[str, Any]:
        query = {
            "id": f"q{next(self._update_ids)}",
            "from": self.user(user_id),
            "chat_instance": f"ci{user_id}",
            "message": message,
            "data": data,
        }
        return await self.push({"callback_query": query})

    # ------------------------------------------------------------------ looking

    def calls_of(self, method: str, chat_id: int | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method and (chat_id is None or c.chat_id == chat_id)
        ]

    async def wait_for(self, predicate: Any, within: float = WAIT_WITHIN, what: str = "") -> Any:
        """Wait until `predicate()` returns something truthy (re-checked on every call)."""
        deadline = time.monotonic() + within
        async with self._new_call:
            while True:
                found = predicate()
                if found:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what or predicate}")
                try:
                    await asyncio.wait_for(self._new_call.wait(), left)
                except TimeoutError:
                    pass

    def refuse_next(self, method: str, code: int, description: str) -> None:
        """Answer the next call of `method` with this error, as Telegram would for a fault of
        its own (the call is not performed)."""
        self.refusals.setdefault(method, []).append(BotApiError(code, description))

    async def sentinel(self, user_id: int, within: float = WAIT_WITHIN) -> int:
        """Send an update from `user_id` and wait for its answer; return that answer's index.

        The bot handles one user's updates one at a time, in order (processor.py), so once the
        sentinel is answered every earlier update from that user has been handled, and whatever
        they made the bot do is in `calls[:index]`. The sentinel is an inline query: the bot
        answers it with no results and changes nothing in the chat or the user's place.
        """
        query_id = f"sentinel-{next(self._update_ids)}"
        inline = {"id": query_id, "from": self.user(user_id), "query": "", "offset": ""}
        await self.push({"inline_query": inline})

        def answer() -> int | None:
            for index in range(len(self.calls) - 1, -1, -1):
                call = self.calls[index]
                if call.method == "answerInlineQuery":
                    if call.params.get("inline_query_id") == query_id:
                        return index + 1  # truthy even at 0; the caller takes one off
            return None

        return await self.wait_for(answer, within=within, what="the sentinel's answer") - 1

    async def handled(self, user_id: int, since: int, within: float = WAIT_WITHIN) -> list[Call]:
        """Every call since index `since`, once all that `user_id` sent so far has been handled."""
        end = await self.sentinel(user_id, within=within)
        return [c for c in self.calls[since:end] if not _is_sentinel(c)]

    async def settle(
        self, since: int, quiet: float = 0.4, within: float = WAIT_WITHIN, user: int | None = None
    ) -> list[Call]:
        """Wait for the bot's answer: calls after index `since`, then `quiet` seconds of none.

        With `user`, no quiet window: a sentinel from that user (see `handled`). Returns the new
        calls. (A wait, not a measurement: no test asserts on durations.)
        """
        if user is not None:
            return await self.handled(user, since, within=within)
        await self.wait_for(
            lambda: len(self.calls) > since, within=within, what="the bot to answer"
        )
        while True:
            count = len(self.calls)
            await asyncio.sleep(quiet)
            if len(self.calls) == count:
                return self.calls[since:]

    def screen(self, chat_id: int) -> list[dict[str, Any]]:
        """What is on the user's screen in this chat, oldest first."""
        chat = self.messages.get(chat_id, {})
        return [copy.deepcopy(chat[k]) for k in sorted(chat)]

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        return [m for m in self.screen(chat_id) if m["from"].get("is_bot")]

    def last_with_buttons(self, chat_id: int) -> dict[str, Any] | None:
        for message in reversed(self.bot_messages(chat_id)):
            if message.get("reply_markup"):
                return message
        return None


def _is_sentinel(call: Call) -> bool:
    return call.method == "answerInlineQuery" and call.params.get("inline_query_id", "").startswith(
        "sentinel-"
    )


# Telegram's HTML parse mode: these tags (with these attributes) and four named entities only.
HTML_TAGS = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "tg-spoiler": set(),
    "span": {"class"},
    "a": {"href"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
}
HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_TOKEN = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>|<|&(#x[0-9a-fA-F]+|#[0-9]+|\w+);|&"
)


def displayed(text: str) -> str:
    """What a person sees of an HTML-mode text: tags gone, entities read (raises BotApiError
    with Telegram's description when Telegram would refuse the text)."""
    out: list[str] = []
    open_tags: list[str] = []
    at = 0
    for token in _HTML_TOKEN.finditer(text):
        out.append(text[at : token.start()])
        at = token.end()
        offset = len(text[: token.start()].encode("utf-8"))
        whole = token.group(0)
        if whole == "<":
            raise BotApiError(
                400,
                f'Bad Request: can\'t parse entities: Unsupported start tag "" at byte offset {offset}',
            )
        if whole == "&":
            raise BotApiError(
                400,
                "Bad Request: can't parse entities: Can't find end of the entity starting at "
                f"byte offset {offset}",
            )
        if whole.startswith("&"):
            name = token.group(4)
            if name.startswith("#"):
                out.append(chr(int(name[2:], 16) if name[1] == "x" else int(name[1:])))
            elif name in HTML_ENTITIES:
                out.append(HTML_ENTITIES[name])
            else:
                raise BotApiError(
                    400,
                    f'Bad Request: can\'t parse entities: Unsupported entity "{name}" at byte '
                    f"offset {offset}",
                )
            continue
        closing, tag, attributes = token.group(1), token.group(2).lower(), token.group(3)
        if tag not in HTML_TAGS:
            kind = "end" if closing else "start"
            raise BotApiError(
                400,
                f'Bad Request: can\'t parse entities: Unsupported {kind} tag "{tag}" at byte '
                f"offset {offset}",
            )
        if closing:
            if not open_tags or open_tags[-1] != tag:
                raise BotApiError(
                    400,
                    f"Bad Request: can't parse entities: Unmatched end tag at byte offset "
                    f'{offset}, expected "</{open_tags[-1] if open_tags else ""}>", found '
                    f'"</{tag}>"',
                )
            open_tags.pop()
        else:
            names = set(re.findall(r"([a-zA-Z-]+)\s*=", attributes))
            if not names <= HTML_TAGS[tag]:
                raise BotApiError(
                    400, f"Bad Request: can't parse entities: unsupported attribute in <{tag}>"
                )
            open_tags.append(tag)
    if open_tags:
        raise BotApiError(
            400,
            f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            f'"{open_tags[-1]}"',
        )
    out.append(text[at:])
    return "".join(out)


def check_html(call: Call) -> None:
    """Refuse a text Telegram would refuse in HTML parse mode, with Telegram's 400."""
    if call.params.get("parse_mode", "").upper() == "HTML":
        displayed(call.params.get("text", ""))


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, callback data) of every inline button of a message."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]
