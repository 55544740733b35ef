"""Running the real bot as a subprocess against the fake Bot API (see fake_bot_api.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import secrets
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.settings import PROJECT_ROOT
from tests.chat_client import label_is, project_catalog, project_words, said_pattern
from tests.clocked_bot import CLOCK_VARIABLE
from tests.fake_bot_api import Call, FakeBotApi, buttons, displayed

# Generous on purpose: on a machine loaded 10+ on 2 cores a start has taken over 30 s. A wait,
# never a measurement: a healthy bot returns long before either.
START_WITHIN = 90  # seconds for a started bot to call setMyCommands
STOP_WITHIN = 90  # seconds a SIGTERMed bot may take before it is killed (stop() returns -9)


# Ports a test hands to a subprocess to listen on (the webhook, /metrics). Binding port 0 and
# closing it gives an ephemeral port the kernel may hand out again before the subprocess binds it:
# to the other xdist worker, or to any port-0 bind (the fake API's, a client's). These come from
# below the ephemeral range (ip_local_port_range, 32768-60999 here), which the kernel never picks
# by itself; each xdist worker has its own block and walks it once, so two workers never pick
# the same port; a port someone else holds (another checkout's run) fails the probe and is passed.
PORT_BLOCK = 1000
FIRST_PORT = 20_000


def _ports() -> Iterator[int]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    start = FIRST_PORT + (int(worker) % 12 if worker.isdecimal() else 0) * PORT_BLOCK
    skew = os.getpid() % PORT_BLOCK  # two runs at once (two checkouts) start apart in the block
    for step in range(PORT_BLOCK):
        yield start + (skew + step) % PORT_BLOCK


_unused_ports = _ports()


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on and no other test of this run will get."""
    for port in _unused_ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise AssertionError(f"all {PORT_BLOCK} ports of this worker's block were handed out")


def fake_token() -> str:
    """A token of the right shape, made up at test time (none is ever written in a file)."""
    digits = "".join(secrets.choice("0123456789") for _ in range(10))
    tail = "".join(
        secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
        for _ in range(35)
    )
    return f"{digits}:{tail}"


def project_env(tmp: Path) -> dict[str, str]:
    """Extra environment for a bot subprocess: none. The bot runs the real project's flows; a
    flow that fails validation stops it with a message naming the file, and the test fails."""
    return {}


class BotProcess:
    """`python -m bot run ...` with its stderr kept in a file for the log checks."""

    def __init__(
        self,
        api: FakeBotApi,
        data_dir: Path,
        token: str,
        *args: str,
        env: dict | None = None,
        clock: dt.datetime | None = None,
        bare: bool = False,
    ) -> None:
        self.clock = clock  # the bot's wall clock starts here (tests/clocked_bot.py), if set
        # bare: `python -m bot` with no command at all (the API root and data dir by environment)
        self.bare = bare
        self.api = api
        self.data_dir = data_dir
        self.token = token
        self.args = args
        self.env = env or {}
        self.proc: asyncio.subprocess.Process | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}-stderr.log"

    async def start(self, wait_ready: bool = True) -> BotProcess:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SAFETY_BOT_"))
        }
        env.update(self.env)
        env["TELEGRAM_BOT_TOKEN"] = self.token
        env["PYTHONUNBUFFERED"] = "1"
        before = len(self.api.calls_of("setMyCommands"))
        log = self.log_path.open("ab")  # noqa: ASYNC230 - a local file, closed in stop()
        self._log = log
        module = "bot"
        if self.clock is not None:
            module = "tests.clocked_bot"
            env[CLOCK_VARIABLE] = self.clock.isoformat()
            # Telegram's clock agrees with the bot's, as in life: message dates, 48-hour windows
            offset = self.clock.timestamp() - time.time()
            self.api.clock = lambda: time.time() + offset
        command = ["run", "--api-root", self.api.root, "--data-dir", str(self.data_dir)]
        if self.bare:
            command = []
            env["TELEGRAM_API_ROOT"] = self.api.root
            env["SAFETY_BOT_DATA_DIR"] = str(self.data_dir)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *command,
            *self.args,
            env=env,
            stdout=log,
            stderr=log,
            cwd=str(PROJECT_ROOT),
        )
        if wait_ready:
            await self.api.wait_for(
                lambda: (
                    len(self.api.calls_of("setMyCommands")) > before
                    or self.proc.returncode is not None
                ),
                within=START_WITHIN,
                what="the bot to start",
            )
            assert self.proc.returncode is None, self.stderr()
            # no pause for polling to begin: updates wait in the fake API until fetched, and
            # webhook posts retry until the server listens (test_telegram_webhook.post)
        return self

    def stderr(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                # generous: a clean stop finishes its handlers and commits, and under a loaded
                # machine that has taken over 15 s (a kill then returned -9, not the bot's 0)
                await asyncio.wait_for(self.proc.wait(), STOP_WITHIN)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        self._log.close()
        return self.proc.returncode

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no clean-up at all
        await self.proc.wait()
        self._log.close()


@asynccontextmanager
async def running_api() -> AsyncIterator[FakeBotApi]:
    """The fake Bot API on 127.0.0.1, with a made-up token; stopped on the way out."""
    server = await FakeBotApi(fake_token()).start()
    try:
        yield server
    finally:
        await server.stop()


@asynccontextmanager
async def running_bot(api: FakeBotApi, tmp: Path, *args: str) -> AsyncIterator[BotProcess]:
    """`python -m bot run` against `api`, logging at debug; stopped on the way out."""
    env = {**project_env(tmp), "SAFETY_BOT_LOG_LEVEL": "debug"}
    process = BotProcess(api, tmp / "data", api.token, *args, env=env)
    await process.start()
    try:
        yield process
    finally:
        await process.stop()


def button_data(message: dict[str, Any], part: str) -> str:
    """The callback data of the button labelled `part`, else the first whose label contains it
    (case-insensitive): "No" is the No button, not "I'm in danger now" above it."""
    for label, data in buttons(message):
        if part.lower() == label.lower():
            return data
    for label, data in buttons(message):
        if part.lower() in label.lower():
            return data
    raise AssertionError(f"no button with {part!r} in {[b[0] for b in buttons(message)]}")


async def say(api: FakeBotApi, user: int, text: str) -> list[Call]:
    since = len(api.calls)
    await api.send_text(user, text)
    return await api.settle(since, user=user)


async def tap(api: FakeBotApi, user: int, message: dict[str, Any], part: str) -> list[Call]:
    since = len(api.calls)
    await api.press(user, message, button_data(message, part))
    return await api.settle(since, user=user)


# ------------------------------------------------------------------ in content ids
# The bot under test runs the real project, so its words are the real catalog's: a test that
# presses and expects by content id (`press(api, user, message, "btn.skip")`,
# `expect(text, "journal.logged", number=1)`) survives a rewording or a moved button.


catalog = project_catalog  # the real project's catalog, loaded once per test process
words = project_words  # its text for a key, slots filled


def data_of(message: dict[str, Any], key: str, **slots: object) -> str:
    """The callback data of the button on `message` that says the text of `key`."""
    label = words(key, **slots)
    for shown, data in buttons(message):
        if label_is(shown, label):
            return data
    raise AssertionError(f"no button {key} ({label!r}) in {[b[0] for b in buttons(message)]}")


async def press(
    api: FakeBotApi, user: int, message: dict[str, Any], key: str, **slots: object
) -> list[Call]:
    """Press the button that says the text of `key`; every call until it is handled."""
    since = len(api.calls)
    await api.press(user, message, data_of(message, key, **slots))
    return await api.settle(since, user=user)


def said(text: str, key: str, **slots: object) -> bool:
    """Whether an HTML-mode `text` shows the text of `key` (slots not named match anything)."""
    pattern = said_pattern(catalog(), key, {k: str(v) for k, v in slots.items()})
    return re.search(pattern, displayed(text)) is not None


def expect(text: str, key: str, **slots: object) -> None:
    """Assert that `text` (as sent, HTML mode) shows the text of `key`."""
    assert said(text, key, **slots), f"{key} not said; the bot said: {displayed(text)!r}"


def number_said(text: str, key: str, slot: str) -> int | None:
    """The number the bot put in `slot` of `key`'s text, if an HTML-mode `text` shows that text
    ("journal.logged", "number" for "Saved as incident 12."); None if it does not."""
    pattern = said_pattern(catalog(), key, {slot: "NUMBERSLOT"}).replace("NUMBERSLOT", r"(\d+)")
    found = re.search(pattern, displayed(text))
    return int(found.group(1)) if found else None


def newest_with(api: FakeBotApi, chat: int, key: str, **slots: object) -> dict[str, Any]:
    """The newest message in `chat` with the button that says the text of `key`: the one a
    person scrolling back would press."""
    label = words(key, **slots)
    for message in reversed(api.bot_messages(chat)):
        if any(label_is(shown, label) for shown, _ in buttons(message)):
            return message
    raise AssertionError(f"chat {chat}: no {key} ({label!r}) button on screen")


def opens_with(text: str, key: str, **slots: object) -> bool:
    """Whether an HTML-mode `text` begins with the first line of `key`'s text (the 999 line
    first, above anything else on the screen)."""
    return displayed(text).startswith(words(key, **slots).splitlines()[0])


def sent_texts(calls: list[Call]) -> list[str]:
    return [c.params["text"] for c in calls if c.method in ("sendMessage", "editMessageText")]


def shared_telegram() -> tuple[Any, Any]:
    """`api` and `bot` fixtures for a test file that shares one bot process (tests/conftest.py):
    `api, bot = shared_telegram()` at module level overrides the per-test ones."""
    import pytest

    @pytest.fixture
    def api(shared_api: FakeBotApi) -> FakeBotApi:
        return shared_api

    @pytest.fixture
    def bot(shared_bot: BotProcess) -> BotProcess:
        return shared_bot

    return api, bot
