"""Shared fixtures. Every database is a real SQLite file under tmp_path."""

from __future__ import annotations

import functools
import itertools
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import settings as hypothesis_settings

import bot.app as app_module  # not `bot`: a fixture here has that name
from bot.app import App, build_registry, load_checked_project, open_app
from bot.ask.router import Router
from bot.engine.actions import Registry
from bot.engine.danger import DangerDetector
from bot.flows.loader import Project
from bot.settings import Settings
from tests.chat_client import ChatClient
from tests.clock import DEFAULT, Clock
from tests.fake_bot_api import FakeBotApi
from tests.mini_project import write_mini_project
from tests.telegram_harness import BotProcess, running_api, running_bot

# Hypothesis: in CI (CI=true) every run draws the same examples, so a failure there replays
# exactly on a developer's machine; locally it explores as usual (its example database is in
# .hypothesis/, which git ignores). HYPOTHESIS_PROFILE=ci gives CI's draw locally.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("dev", print_blob=True)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)

# Test files live in memory (tmpfs, /dev/shm) when the machine has one and TMPDIR was not set:
# every commit is `synchronous=FULL`, and on this machine's shared virtual disk the fsyncs were
# half the wall time of the property runs (test_hostile_events: 74 s on disk, 38 s on tmpfs, at
# load 5). They are still real files and real fsync calls; the suite has no power-cut test, and
# a SIGKILL (the crash tests) loses the process, not the page cache, on either. The bot and
# console subprocesses inherit TMPDIR. Set TMPDIR to keep them on disk.
MEMORY_TMP = Path("/dev/shm")


def _tmp_in_memory() -> Path | None:
    if os.environ.get("TMPDIR") or not (MEMORY_TMP.is_dir() and os.access(MEMORY_TMP, os.W_OK)):
        return None
    stats = os.statvfs(MEMORY_TMP)
    if stats.f_bavail * stats.f_frsize < 2 * 2**30:  # too small to be worth the risk
        return None
    return MEMORY_TMP


# What each long file took on two workers, in seconds of wall time (the whole suite, cold, under
# /usr/bin/time with a per-test hook, load 4-6, 30 Nov 2026). Only the order matters: on the
# workers (`-n 4`, `--dist loadfile`, `--no-loadscope-reorder`, pyproject.toml) xdist hands out
# whole files in collection order, so the longest go first and the short ones fill in around
# them; a long file started last is a tail the other worker waits out. A file not named here
# counts as short; a renamed one only loses its place in the queue. Several of the longest mostly
# wait (the Telegram faults run: 55 s of wall for 5 s of CPU; the SIGKILL loop 60 s for 17 s).
LONG_FILES = {
    "test_ask_conversations.py": 61,
    "test_reliability_crash.py": 60,
    "test_reliability_telegram_faults.py": 55,
    "test_key_file.py": 44,
    "test_danger_classifier.py": 43,
    "test_ask_corpus.py": 38,
    "test_wheel.py": 35,
    "test_review_pack.py": 34,
    "test_hostile_events.py": 33,
    "test_telegram_promises.py": 31,
    "test_console_exports.py": 29,
    "test_ask_index.py": 27,
    "test_telegram_chat.py": 26,
    "test_journal_lock.py": 24,
    "test_reliability_hostile_updates.py": 21,
    "test_telegram_inbox.py": 15,
    "test_telegram_flood.py": 14,
    "test_hostile_files.py": 13,
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first, each file's tests kept together and in order (see LONG_FILES);
    among the rest, files holding a `slow` run first. Every worker sorts the same way."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    # stable: the rest keep their order
    items.sort(key=lambda item: (-LONG_FILES.get(item.path.name, 0), item.path not in slow))


def pytest_configure(config: pytest.Config) -> None:
    memory = _tmp_in_memory()
    if memory is not None:
        # before tmp_path's base is made (pytest asks tempfile when it is first needed)
        os.environ["TMPDIR"] = str(memory)
        tempfile.tempdir = str(memory)


# Start-up reads and checks every flow and content file, builds the danger detector and the
# "ask" ranker: about 0.7 s a time, and several hundred tests open the real project in-process.
# Within one test process each is built once per set of files and shared: keyed on every file's
# path, size and modification time, so a test that writes or edits a flow or content file (in its
# own folder) gets a fresh load, and a broken file still fails start-up (failures are not kept).
# Subprocesses (the bot, the console) load everything themselves, as in production.
def _files_of(*folders: Path) -> tuple:
    found = []
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                stat = path.stat()
                found.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def _frozen(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return frozenset(value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):  # e.g. the steps features need (frozen dataclasses)
        return tuple(_frozen(v) for v in value)
    return value


def _identity(function: Any) -> Any:
    """What a function reads: the objects it closes over (the cached Router keeps it, and so
    them, alive: their ids are not reused while cached), or the function itself."""
    cells = getattr(function, "__closure__", None)
    return tuple(id(c.cell_contents) for c in cells) if cells else function


def _once_per_files(build: Callable[..., Any], key: Callable[..., tuple]) -> Callable[..., Any]:
    built: dict[tuple, Any] = {}

    @functools.wraps(build)
    def cached(*args: Any, **kwargs: Any) -> Any:
        k = key(*args, **kwargs)
        if k not in built:
            built[k] = build(*args, **kwargs)
        return built[k]

    return cached


@pytest.fixture(scope="session", autouse=True)
def start_up_once_per_set_of_files() -> Iterator[None]:
    load_project = app_module.load_project
    from_content = DangerDetector.from_content.__func__  # type: ignore[attr-defined]
    for_project = Router.for_project.__func__  # type: ignore[attr-defined]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            app_module,
            "load_project",
            _once_per_files(
                load_project,
                lambda flows, content, **kw: (
                    _files_of(flows, content),
                    tuple(sorted((k, _frozen(v)) for k, v in kw.items())),
                ),
            ),
        )
        patch.setattr(
            DangerDetector,
            "from_content",
            classmethod(
                _once_per_files(from_content, lambda cls, content: (cls, _files_of(content)))
            ),
        )
        patch.setattr(
            Router,
            "for_project",
            classmethod(
                _once_per_files(
                    for_project,
                    # a cached load is one object: the router is built once per project and
                    # per reader of words (a new closure each time over the detector's reader)
                    lambda cls, project, content, words=None: (
                        cls,
                        id(project),
                        _files_of(content),
                        _identity(words),
                    ),
                )
            ),
        )
        yield


def mini_registry(saved: list[dict]) -> Registry:
    registry = Registry()  # bare: no journal hooks, so the mini flows are all there is

    @registry.action("remember")
    async def remember(turn) -> None:  # noqa: ANN001
        saved.append(dict(turn.slots))

    return registry


@pytest.fixture
def mini_settings(tmp_path: Path) -> Settings:
    flows, content = write_mini_project(tmp_path / "project")
    return Settings(data_dir=tmp_path / "data", flows_dir=flows, content_dir=content)


@pytest.fixture
def saved() -> list[dict]:
    return []


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> Clock:
    """The clock the engine reads: a fixed instant (winter by default; see tests/clock.py).

    Parametrise a date-dependent test over every instant with `@at_every_instant`
    (tests/clock.py).
    """
    return Clock(getattr(request, "param", DEFAULT))


@pytest.fixture
async def mini_app(mini_settings: Settings, saved: list[dict], clock: Clock) -> AsyncIterator[App]:
    app = await open_app(mini_settings, mini_registry(saved))
    app.engine.clock = clock
    yield app
    await app.close()


@pytest.fixture
def chat(mini_app: App) -> ChatClient:
    return ChatClient(mini_app.engine)


@pytest.fixture(scope="module")
def project() -> Project:
    """The real flows and content, checked as at start-up (no data dir is touched)."""
    return load_checked_project(Settings(data_dir=Path("/nonexistent")), build_registry())


@pytest.fixture(scope="module")
def router(project: Project) -> Router:
    """The typed-question router over the real project and its shipped index."""
    built = Router.for_project(project, Path(__file__).resolve().parents[1] / "content")
    assert built is not None
    return built


@pytest.fixture
def project_settings(tmp_path: Path) -> Settings:
    """The real project's flows and content, with a fresh data dir."""
    return Settings(data_dir=tmp_path / "data")


_user_ids = itertools.count(6_100_000, 10)


@pytest.fixture
def user() -> int:
    """A Telegram user id no other test uses (ids up to +9 from it are free too): tests that
    share one bot process each talk as their own user."""
    return next(_user_ids)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    """The fake Bot API on 127.0.0.1 (tests/fake_bot_api.py)."""
    async with running_api() as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """The real bot as a subprocess against `api`, logging at debug."""
    async with running_bot(api, tmp_path) as process:
        yield process


# One bot process for a whole Telegram test file (start-up and stop are 1.5-2 s each). A file
# opts in with these two lines, and its tests each talk as their own `user`:
#     pytestmark = pytest.mark.asyncio(loop_scope="module")
#     api, bot = shared_telegram()
# A test there that stops, kills or restarts the bot, or reads the whole log, takes
# `own_api`/`own_bot` instead (its own process, in the same event loop as the file's tests).
@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_api() -> AsyncIterator[FakeBotApi]:
    async with running_api() as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_bot(
    shared_api: FakeBotApi, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[BotProcess]:
    async with running_bot(shared_api, tmp_path_factory.mktemp("shared-bot")) as process:
        yield process


@pytest_asyncio.fixture(loop_scope="module")
async def own_api() -> AsyncIterator[FakeBotApi]:
    async with running_api() as server:
        yield server


@pytest_asyncio.fixture(loop_scope="module")
async def own_bot(own_api: FakeBotApi, tmp_path: Path) -> AsyncIterator[BotProcess]:
    async with running_bot(own_api, tmp_path) as process:
        yield process
