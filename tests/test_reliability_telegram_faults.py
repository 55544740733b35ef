"""Telegram faults: a quarter of all Bot API calls fail, and every reply still arrives, in order.

The same scripted session (6 users at once: start, advice by buttons, /log, a guided record with
a photo, /emergency...) runs twice against the fake Bot API: once clean, to learn what each chat
should show, then with `Faults(share=0.25)`: 429 with `retry_after`, 500, 502, replies held past
the bot's read timeout (set to 2 s here), and dropped connections, on every method including `getUpdates`, file
downloads and button answers. A faulted call is not performed, so the bot must send it again.

Checked: each chat receives exactly the messages and edits of the clean run, in the same order;
the bot process never exits; `getUpdates` offsets never go back, never pass an update that was not
delivered (skip), and no update is delivered twice (replay).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from tests.clock import INSTANTS
from tests.fake_bot_api import Call, FakeBotApi, Faults
from tests.telegram_harness import (
    BotProcess,
    data_of,
    newest_with,
    project_env,
    running_api,
)

USERS = 6
FIRST_USER = 7_200_000
SHOWN = ("sendMessage", "editMessageText", "sendContact", "sendDocument")
START = INSTANTS["summer"]  # noon: minutes of running never cross midnight
# The bot's read timeout for this run (TELEGRAM_READ_TIMEOUT; 5 s by default), and held replies
# half a second past it: every held call is one the bot gives up on and sends again. Shorter
# than the default so the run is not mostly waiting; long enough that an answer merely slowed
# by a loaded machine is not taken for a lost one (that would send a message twice).
READ_TIMEOUT = 2.0
PHOTO = b"\xff\xd8\xff\xe0 a photo of the car " + bytes(range(256)) * 16

# (kind, value): text to send, a button (content id) to press on the newest screen showing it,
# a photo
SCRIPT: list[tuple[str, Any]] = [
    ("text", "/start"),
    ("press", "start.btn_no_danger"),
    ("text", "/menu"),
    ("text", "/log he sent 20 messages this morning"),
    ("text", "/emergency"),
    ("text", "/record"),
    ("press", "journal.kind_call"),
    ("text", "skip"),  # who it was
    ("text", "skip"),  # when
    ("text", "outside my work"),
    ("text", "he shouted at me"),
    ("text", "skip"),  # the number (a call: no appearance or vehicle asked)
    ("text", "skip"),
    ("text", "skip"),
    ("photo", PHOTO),
    ("press", "journal.btn_evidence_done"),
    ("press", "journal.btn_save"),
    ("text", "/incidents"),
    ("text", "/help"),
]


def shown(api: FakeBotApi, chat: int) -> list[Call]:
    return [c for c in api.calls if c.method in SHOWN and c.chat_id == chat]


def normal(call: Call) -> tuple[str, str, tuple[str, ...]]:
    """What the user sees, times of day blanked (the runs take different minutes; same day)."""
    text = re.sub(
        r"\d{1,2}:\d{2}", "HH:MM", call.params.get("text", call.params.get("caption", ""))
    )
    markup = call.json("reply_markup") or {}
    labels = tuple(b["text"] for row in markup.get("inline_keyboard", []) for b in row)
    return call.method, text, labels


async def act(api: FakeBotApi, user: int, kind: str, value: Any) -> None:
    if kind == "text":
        await api.send_text(user, value)
    elif kind == "photo":
        await api.send_photo(user, value)
    else:
        screen = newest_with(api, user, value)
        await api.press(user, screen, data_of(screen, value))


async def settle_chat(api: FakeBotApi, chat: int, before: int) -> int:
    """Clean run: this chat's count of shown messages once everything it sent was handled."""
    await api.handled(chat, 0)  # a sentinel from the same user: answered after all before it
    return len(shown(api, chat))


async def clean_user(api: FakeBotApi, user: int) -> list[int]:
    """Run the script; return the chat's count of shown messages after each step."""
    counts = []
    for kind, value in SCRIPT:
        before = len(shown(api, user))
        await act(api, user, kind, value)
        counts.append(await settle_chat(api, user, before))
    return counts


async def faulty_user(api: FakeBotApi, user: int, counts: list[int]) -> None:
    for (kind, value), expected in zip(SCRIPT, counts, strict=True):
        await act(api, user, kind, value)
        await api.wait_for(
            lambda expected=expected: len(shown(api, user)) >= expected,
            within=120,
            what=f"chat {user}: {expected} messages",
        )


async def run(tmp: Path, faults: Faults | None, counts: dict[int, list[int]] | None) -> dict:
    users = [FIRST_USER + u for u in range(USERS)]
    async with running_api() as api:
        # both runs start at the same instant, so the dates they show are the same day
        env = {**project_env(tmp), "TELEGRAM_READ_TIMEOUT": str(READ_TIMEOUT)}
        bot = BotProcess(api, tmp / "data", api.token, env=env, clock=START)
        await bot.start()
        try:
            api.faults = faults
            if counts is None:
                found = await asyncio.gather(*(clean_user(api, u) for u in users))
                counts = dict(zip(users, found, strict=True))
            else:
                await asyncio.gather(*(faulty_user(api, u, counts[u]) for u in users))
                # anything extra (a reply sent twice) would show before a sentinel's answer
                api.faults = None
                await asyncio.gather(*(api.handled(u, 0, within=120) for u in users))
            assert bot.proc is not None and bot.proc.returncode is None, "the bot exited"
            api.faults = None
        finally:
            await bot.stop()
        return {
            "counts": counts,
            "chats": {u: [normal(c) for c in shown(api, u)] for u in users},
            "polls": list(api.polls),
            "faulted": list(api.faulted),
            "calls": len(api.calls),
            "pushed": list(api.pushed),
            "stderr": bot.stderr(),
        }


def check_offsets(polls: list, pushed: list[int]) -> None:
    """Offsets never go back, never pass an undelivered update, and nothing is delivered twice."""
    delivered: set[int] = set()
    offset_seen = 0
    for poll in polls:
        assert poll.offset >= offset_seen, "an offset went back"
        offset_seen = poll.offset
        if poll.offset:
            skipped = {u for u in pushed if u < poll.offset} - delivered
            assert not skipped, f"offset {poll.offset} skips {sorted(skipped)[:5]}"
        replayed = delivered & set(poll.returned)
        assert not replayed, f"delivered twice: {sorted(replayed)[:5]}"
        delivered |= set(poll.returned)
    assert delivered == set(pushed), "an update was never delivered"


@pytest.mark.slow
async def test_every_reply_arrives_in_order_when_a_quarter_of_calls_fail(tmp_path: Path) -> None:
    for name in ("clean", "faulty"):
        (tmp_path / name).mkdir()
    clean = await run(tmp_path / "clean", None, None)
    faults = Faults(share=0.25, seed=6, retry_after=1, slow_seconds=READ_TIMEOUT + 0.5)
    faulty = await run(tmp_path / "faulty", faults, clean["counts"])

    # the bot ran on the clock the test set: /log read "this morning" as that day
    day = f"{START:%a} {START.day} {START:%b %Y}"
    for user, chat in clean["chats"].items():
        assert any(day in text for _, text, _ in chat), f"chat {user}: no {day!r}"

    expected = sum(len(v) for v in clean["chats"].values())
    delivered = 0
    for user, want in clean["chats"].items():
        got = faulty["chats"][user]
        assert got == want, f"chat {user} differs from the clean run"
        delivered += len(got)
    total = faults.seen
    share = faults.total / total
    print(
        f"\ntelegram faults: {faults.total} of {total} calls faulted ({share:.0%}: "
        + ", ".join(f"{k} {n}" for k, n in sorted(faults.counts.items()))
        + f"); delivered {delivered}, expected {expected}; "
        f"{len(faulty['polls'])} getUpdates, none skipped or replayed"
    )
    assert share >= 0.20
    assert set(faults.counts) == {"429", "500", "502", "slow", "drop"}
    # the bot hung up on held calls at its read timeout (TELEGRAM_READ_TIMEOUT), not the 5 s default
    assert faults.abandoned >= 1, "no held call was given up at the bot's read timeout"
    assert delivered == expected
    check_offsets(faulty["polls"], faulty["pushed"])
    assert any(p.fault for p in faulty["polls"]), "getUpdates itself was faulted"
    # a failed getUpdates is a warning (polling goes on), not a handler error
    assert '"event": "polling_failed"' in faulty["stderr"]
    assert '"kind": "NoneType"' not in faulty["stderr"]
    assert {c.method for c, _ in faulty["faulted"]} >= {"sendMessage", "editMessageText"}
