"""Webhook mode: real HTTP POSTs to the bot's port; only requests with the secret are processed."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import aiohttp

from tests.fake_bot_api import FakeBotApi
from tests.telegram_harness import free_port, running_bot

USER = 5550201
SECRET = "test-secret_made-at-test-time"


def inbox_rows(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "safety-bot.db") as conn:
        return conn.execute("SELECT COUNT(*) FROM inbox").fetchone()[0]


async def webhook_sentinel(
    api: FakeBotApi, url: str, user: int, secret: str, update_id: int
) -> None:
    """An inline query from `user`, posted to the webhook; returns once it is answered, when
    every earlier update from that user has been handled (the bot keeps each user's order)."""
    query_id = f"sentinel-webhook-{update_id}"
    query = {"id": query_id, "from": api.user(user), "query": "", "offset": ""}
    assert await post(url, {"update_id": update_id, "inline_query": query}, secret) == 200
    await api.wait_for(
        lambda: [
            c for c in api.calls_of("answerInlineQuery") if c.params["inline_query_id"] == query_id
        ],
        what="the sentinel's answer",
    )


async def post(url: str, update: dict, secret: str | None) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with aiohttp.ClientSession() as session:
        for _ in range(50):  # the server may take a moment to listen after setWebhook
            try:
                async with session.post(url, json=update, headers=headers) as response:
                    return response.status
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    raise AssertionError("the webhook server never listened")


async def test_webhook_checks_the_secret_on_every_request(api: FakeBotApi, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram-hook"
    args = (
        "--webhook-url",
        url,
        "--listen",
        "127.0.0.1",
        "--port",
        str(port),
        "--secret-token",
        SECRET,
    )
    async with running_bot(api, tmp_path, *args) as bot:
        hook = await api.wait_for(lambda: api.calls_of("setWebhook"), what="setWebhook")
        assert hook[0].params["url"] == url
        assert hook[0].params["secret_token"] == SECRET
        assert not api.calls_of("getUpdates")

        # without the secret, and with a wrong one: 403, nothing processed
        for secret in (None, "wrong-secret"):
            update = {"update_id": 10, "message": api.user_message(USER, text="/start")}
            assert await post(url, update, secret) == 403
        # a sentinel from the same user, with the secret: once it is answered, anything wrongly
        # accepted before it would have been handled (one user's updates go in order)
        await webhook_sentinel(api, url, USER, SECRET, 11)
        assert not api.calls_of("sendMessage")

        # with it: processed
        update = {"update_id": 12, "message": api.user_message(USER, text="/start")}
        assert await post(url, update, SECRET) == 200
        sent = await api.wait_for(lambda: api.calls_of("sendMessage", USER), what="the welcome")
        assert "Are you in danger right now?" in sent[0].params["text"]
        markup = json.loads(sent[0].params["reply_markup"])
        assert markup["inline_keyboard"][0][0]["callback_data"].startswith("v1|")
    assert SECRET not in bot.stderr() and api.token not in bot.stderr()
    assert inbox_rows(bot.data_dir) == 0  # stopped with nothing left to handle


async def post_raw(url: str, body: bytes, secret: str) -> int | None:
    """POST a body as is; the status, or None when the server closed the connection instead."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:
        try:
            async with session.post(url, data=body, headers=headers) as response:
                return response.status
        except aiohttp.ClientError:
            return None


async def test_webhook_refuses_a_body_over_1_mb_and_goes_on(
    api: FakeBotApi, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram-hook"
    args = ("--webhook-url", url, "--port", str(port), "--secret-token", SECRET)
    async with running_bot(api, tmp_path, *args):
        await api.wait_for(lambda: api.calls_of("setWebhook"), what="setWebhook")
        ok = {"update_id": 20, "message": api.user_message(USER, text="/start")}
        assert await post(url, ok, SECRET) == 200  # listening, and a normal update is taken
        await api.wait_for(lambda: api.calls_of("sendMessage", USER), what="the welcome")
        padded = {
            "update_id": 21,
            "message": api.user_message(USER, text="/help"),
            "padding": "x" * (1024 * 1024),
        }
        status = await post_raw(url, json.dumps(padded).encode(), SECRET)
        assert status is None or status >= 400  # refused (tornado answers 400 or hangs up)
        # a sentinel from the same user: had the big one been taken, it was handled before this
        await webhook_sentinel(api, url, USER, SECRET, 22)
        assert len(api.calls_of("sendMessage", USER)) == 1  # the big one was never handled
        after = {"update_id": 23, "message": api.user_message(USER, text="/help")}
        assert await post(url, after, SECRET) == 200
        await api.wait_for(lambda: len(api.calls_of("sendMessage", USER)) == 2, what="/help")


def test_the_secret_is_compared_in_constant_time(monkeypatch) -> None:  # noqa: ANN001
    import hmac

    from bot.channels.telegram import webhook

    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(webhook.hmac, "compare_digest", spy)

    class Request:
        headers = {"Content-Type": "application/json", webhook.SECRET_HEADER: "guess"}

    handler = webhook.GuardedTelegramHandler.__new__(webhook.GuardedTelegramHandler)
    handler.request = Request()  # type: ignore[assignment]
    handler.secret_token = SECRET
    try:
        handler._validate_post()
        raise AssertionError("a wrong secret was accepted")
    except webhook.tornado.web.HTTPError as refused:
        assert refused.status_code == 403
    assert compared == [(b"guess", SECRET.encode())]
    Request.headers[webhook.SECRET_HEADER] = SECRET
    handler._validate_post()  # the right one passes


def test_guarded_server_is_what_ptb_builds() -> None:
    from telegram.ext import _updater

    from bot.channels.telegram import webhook

    webhook.install()
    assert _updater.WebhookServer is webhook.GuardedWebhookServer
    assert _updater.WebhookAppClass is webhook.GuardedWebhookApp
    server = webhook.GuardedWebhookServer(
        "127.0.0.1", 0, webhook.GuardedWebhookApp("/h", None, None), None
    )
    assert server._http_server.conn_params.max_body_size == webhook.MAX_BODY_BYTES
