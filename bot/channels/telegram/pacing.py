"""Telegram's sending limit shared fairly: one chat may not take all of it.

Telegram lets a bot send about 30 messages a second in all; PTB's `AIORateLimiter` keeps to that
with one leaky bucket for every chat. A person whose burst of updates is being answered as fast
as that bucket allows keeps it full, so every other person's reply waits for a place in it: with
the per-user processor already letting a second user in at once, that wait was what was left of
the flood's cost (bench/bench_flood.py: p50 38 to 102 ms during a 3,000-update flood, against
16 to 19 ms with no flood, on a shared 2-core machine).

`FairRateLimiter` first paces each private chat on its own, to `CHAT_SHARE` of the overall
rate, and only then takes a place in the overall bucket. The flooding chat is slowed to two
thirds of the limit; the last third is always there for everyone else, so one person's flood
never makes another wait for a place. Groups keep PTB's own per-group limit (the bot leaves them).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter

OVERALL_PER_SECOND = 30  # PTB's default for AIORateLimiter, Telegram's documented bulk limit
CHAT_SHARE = 1 / 3  # one private chat may use at most this share of it (10 a second)
MAX_CHAT_LIMITERS = 4096  # idle chats' limiters are dropped beyond this many


class FairRateLimiter(AIORateLimiter):
    def __init__(self, max_retries: int = 0, chat_share: float = CHAT_SHARE) -> None:
        super().__init__(overall_max_rate=OVERALL_PER_SECOND, max_retries=max_retries)
        self._chat_rate = max(1.0, OVERALL_PER_SECOND * chat_share)
        self._chats: OrderedDict[int, AsyncLimiter] = OrderedDict()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        chat = self._private_chat(data.get("chat_id"))
        if chat is None:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        async with self._limiter_of(chat):
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )

    @staticmethod
    def _private_chat(chat_id: object) -> int | None:
        try:
            value = int(chat_id)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return None
        return value if value > 0 else None  # private chats have positive ids

    def _limiter_of(self, chat: int) -> AsyncLimiter:
        limiter = self._chats.get(chat)
        if limiter is None:
            limiter = self._chats[chat] = AsyncLimiter(self._chat_rate, 1)
            while len(self._chats) > MAX_CHAT_LIMITERS:
                oldest, idle = next(iter(self._chats.items()))
                if not idle.has_capacity(idle.max_rate):
                    break  # still in use: keep it (and the ones after it) for now
                del self._chats[oldest]
        else:
            self._chats.move_to_end(chat)
        return limiter
