"""Start-up migrates a database an older release left: built at each earlier schema level.

The older release is this code with only the first `level` migration steps (what it shipped):
it opens a fresh data dir, so its database is at that level, and a user walks to a screen. The
current code then starts on that database: it must apply the missing steps, end with the same
schema as a fresh database, keep the user's place, and pass the integrity check.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.app import open_app
from bot.settings import Settings
from bot.store.db import DB_FILE_NAME
from bot.store.migrations import MIGRATIONS
from tests.chat_client import ChatClient
from tests.conftest import mini_registry
from tests.mini_project import write_mini_project

NEWEST = max(version for version, _, _ in MIGRATIONS)
EARLIER = [version for version, _, _ in MIGRATIONS if version < NEWEST]


def schema(db: Path) -> tuple[int, list[tuple[str, str, str]]]:
    with sqlite3.connect(db) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        objects = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
    return version, objects


@pytest.fixture
def older_release(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201 - a context factory
    """Run the store as a release that had only the first `level` steps."""

    def at(level: int) -> None:
        monkeypatch.setattr(
            "bot.store.migrations.MIGRATIONS", [m for m in MIGRATIONS if m[0] <= level]
        )
        monkeypatch.setattr("bot.store.db.MIGRATIONS", [m for m in MIGRATIONS if m[0] <= level])

    return at


@pytest.mark.parametrize("level", EARLIER)
async def test_start_up_migrates_an_older_database(
    tmp_path: Path, level: int, older_release, monkeypatch: pytest.MonkeyPatch
) -> None:
    flows, content = write_mini_project(tmp_path / "project")
    settings = Settings(data_dir=tmp_path / "data", flows_dir=flows, content_dir=content)
    fresh = Settings(data_dir=tmp_path / "fresh", flows_dir=flows, content_dir=content)

    older_release(level)
    old = await open_app(settings, mini_registry([]))
    try:
        chat = ChatClient(old.engine, "t:kept")
        await chat.send("/menu")
        await chat.press("t.advice")
        chat.expect("t.first")
    finally:
        await old.close()
    version, objects = schema(settings.data_dir / DB_FILE_NAME)
    assert version == level
    monkeypatch.undo()  # the current release

    app = await open_app(settings, mini_registry([]))
    try:
        place = await app.engine.place_of("t:kept")
        assert (place.flow, place.step) == ("advice", "first")  # the user's place survived
        assert await app.db.integrity_check() == "ok"
    finally:
        await app.close()
    new = await open_app(fresh, mini_registry([]))
    await new.close()
    migrated = schema(settings.data_dir / DB_FILE_NAME)
    assert migrated[0] == NEWEST
    assert migrated == schema(fresh.data_dir / DB_FILE_NAME)  # as if it had always been new
    assert len(migrated[1]) > len(objects)
