"""The operators' endpoint: a running bot scraped after a conversation through the fake Bot API.

What it must show (counts of what happened) and what it must never show (who, or what they
typed), and /healthz turning 503 when the database cannot be written or the inbox is stuck.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.ops.metrics_server import parse_listen
from bot.settings import SettingError
from tests.fake_bot_api import FakeBotApi
from tests.telegram_harness import BotProcess, free_port, press, running_bot, said, say, sent_texts

USER = 918273645546  # long and unlike any timestamp or byte count, so a stray match means a leak
TYPED = ["Quentin", "zebra", "withheld", "Quentin rang 14 times"]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def sample(scrape: str, name: str, **labels: str) -> float:
    """The value of one sample; 0 when the series is not there yet."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = "^" + re.escape(name) + (r"\{" + re.escape(want) + r"\}" if want else "") + r" (\S+)$"
    found = re.search(pattern, scrape, re.M)
    return float(found.group(1)) if found else 0.0


class Endpoint:
    def __init__(self, root: str, bot: BotProcess) -> None:
        self.root, self.bot = root, bot

    async def metrics(self) -> str:
        status, body = await asyncio.to_thread(get, f"{self.root}/metrics")
        assert status == 200
        return body

    async def health(self) -> tuple[int, dict]:
        status, body = await asyncio.to_thread(get, f"{self.root}/healthz")
        return status, json.loads(body)


@pytest.fixture
async def endpoint(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[Endpoint]:
    listen = f"127.0.0.1:{free_port()}"
    async with running_bot(api, tmp_path, "--metrics-listen", listen) as bot:
        yield Endpoint(f"http://{listen}", bot)


async def a_conversation(api: FakeBotApi) -> None:
    await say(api, USER, "/start")
    await press(api, USER, api.last_with_buttons(USER), "start.btn_no_danger")
    texts = sent_texts(await say(api, USER, "Quentin is outside my house, please help"))
    assert any("999" in t for t in texts)
    texts = sent_texts(await say(api, USER, "/log Quentin rang 14 times from a withheld zebra"))
    assert any(said(t, "journal.logged", number=1) for t in texts)
    calls = await say(api, USER, "/export")
    assert any(c.method == "sendDocument" for c in calls)


async def test_a_scrape_counts_what_happened_and_never_who(
    api: FakeBotApi, endpoint: Endpoint
) -> None:
    await a_conversation(api)
    scrape = await endpoint.metrics()

    assert sample(scrape, "safety_bot_updates_handled_total", kind="message") == 4
    assert sample(scrape, "safety_bot_updates_handled_total", kind="callback_query") == 1
    # every update handled is timed, the harness's sentinels (inline queries) included
    sentinels = sample(scrape, "safety_bot_updates_handled_total", kind="inline_query")
    assert sample(scrape, "safety_bot_reply_seconds_count") == 5 + sentinels
    assert sample(scrape, "safety_bot_danger_answers_shown_total") == 1
    assert sample(scrape, "safety_bot_incidents_saved_total") == 1
    assert sample(scrape, "safety_bot_exports_built_total") == 1
    assert sample(scrape, "safety_bot_inbox_replayed_updates_total") == 0
    sent = sample(scrape, "safety_bot_telegram_api_calls_total", method="sendMessage", outcome="ok")
    assert sent == len(api.calls_of("sendMessage"))
    assert sample(scrape, "safety_bot_telegram_api_seconds_count", method="sendDocument") == 2
    assert sample(scrape, "safety_bot_telegram_api_calls_total", method="getUpdates", outcome="ok")
    assert sample(scrape, "safety_bot_build_info", version="0.1.0") == 1
    assert abs(sample(scrape, "safety_bot_start_time_seconds") - time.time()) < 300
    assert sample(scrape, "process_start_time_seconds") > 0
    for _ in range(50):  # removals from the inbox are committed shortly after each update
        if sample(await endpoint.metrics(), "safety_bot_inbox_depth") == 0:
            break
        await asyncio.sleep(0.1)
    assert sample(await endpoint.metrics(), "safety_bot_inbox_depth") == 0

    for secret in [str(USER), api.token, api.token.split(":")[0], *TYPED]:
        assert secret not in scrape, f"{secret!r} is in the metrics"
    label_values = set(re.findall(r'="([^"]*)"', scrape))
    assert not any(word.lower() in value.lower() for value in label_values for word in TYPED)


async def test_healthz_is_ok_then_names_a_locked_database_and_a_stuck_inbox(
    api: FakeBotApi, endpoint: Endpoint
) -> None:
    await say(api, USER, "/start")
    status, body = await endpoint.health()
    assert status == 200 and body == {
        "healthy": True,
        "checks": {"event_loop": "ok", "database_writable": "ok", "inbox": "ok"},
    }

    database = endpoint.bot.data_dir / "safety-bot.db"
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # someone else holds the write lock
    try:
        status, body = await endpoint.health()
    finally:
        holder.execute("ROLLBACK")
    assert status == 503 and body["checks"]["database_writable"].startswith("cannot write")
    assert body["checks"]["event_loop"] == "ok"

    an_hour_ago = int(time.time()) - 3600
    holder.execute(
        "INSERT INTO inbox (update_id, body, received_at, attempts) VALUES (?, ?, ?, 0)",
        (999_999_999, b"sealed", an_hour_ago),
    )
    status, body = await endpoint.health()
    # the count may include handled updates whose removal is still buffered; the age is ours
    assert status == 503
    assert re.search(r"update\(s\) waiting, the oldest for 36\d\d s", body["checks"]["inbox"])
    holder.execute("DELETE FROM inbox WHERE update_id = 999999999")
    holder.close()
    assert (await endpoint.health())[0] == 200


@pytest.mark.parametrize("value", ["9108", "localhost", "127.0.0.1:", "127.0.0.1:99999", ":9108"])
def test_a_bad_listen_address_is_one_clear_line(value: str) -> None:
    with pytest.raises(SettingError, match="--metrics-listen / SAFETY_BOT_METRICS_LISTEN"):
        parse_listen(value)


@pytest.mark.parametrize(
    ("value", "parsed"),
    [("127.0.0.1:9108", ("127.0.0.1", 9108)), ("[::1]:9108", ("::1", 9108))],
)
def test_listen_addresses(value: str, parsed: tuple[str, int]) -> None:
    assert parse_listen(value) == parsed


def metric_names() -> set[str]:
    from bot import metrics

    return {m.name for m in metrics.REGISTRY.collect() if m.name.startswith("safety_bot_")}


def test_docs_and_deploy_examples_name_only_real_metrics() -> None:
    from bot.settings import PROJECT_ROOT

    names = metric_names()
    assert len(names) == 12
    docs = (PROJECT_ROOT / "docs" / "operations.md").read_text()
    for name in names:
        assert f"`{name}" in docs, f"docs/operations.md does not explain {name}"
    for example in ("deploy/grafana-dashboard.json", "deploy/prometheus.yml", "docs/operations.md"):
        used = set(re.findall(r"\b(safety_bot_[a-z_]+)", (PROJECT_ROOT / example).read_text()))
        known = {
            n + suffix
            for n in names
            for suffix in ("", "_total", "_bucket", "_count", "_sum", "_info")
        }
        assert used and used <= known, f"{example}: {sorted(used - known)}"
    json.loads((PROJECT_ROOT / "deploy" / "grafana-dashboard.json").read_text())
