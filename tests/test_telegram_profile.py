"""Nothing on screen gives the journal away: the command menu's words, the bot's name and
descriptions (set by `safety-bot profile` from content/ through the fake Bot API)."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from bot.app import build_registry, load_checked_project, project_checks
from bot.channels.telegram.commands import command_menu
from bot.channels.telegram.profile import Profile
from bot.flows.loader import load_project
from bot.settings import PROJECT_ROOT, Settings
from tests.fake_bot_api import FakeBotApi

REGISTRY = build_registry()
CATALOG = load_project(
    PROJECT_ROOT / "flows", PROJECT_ROOT / "content", **project_checks(REGISTRY)
).catalog
COMMANDS = command_menu(REGISTRY, CATALOG)
NEUTRAL_COMMANDS = command_menu(REGISTRY, CATALOG, neutral=True)
GIVEAWAYS = ("stalk", "harass", "record", "evidence", "police", "journal", "incident", "abuse")


@pytest.mark.parametrize("words", [d for _, d in COMMANDS + NEUTRAL_COMMANDS])
def test_command_menu_words_say_nothing_of_the_journal(words: str) -> None:
    assert not [w for w in GIVEAWAYS if w in words.lower()]


async def test_profile_sets_name_and_descriptions_from_content(api: FakeBotApi, tmp_path) -> None:  # noqa: ANN001
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SAFETY_BOT_"))}
    env["TELEGRAM_BOT_TOKEN"] = api.token
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "profile",
        "--api-root",
        api.root,
        "--data-dir",
        str(tmp_path),
        env=env,
        cwd=str(PROJECT_ROOT),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    catalog = load_checked_project(Settings(data_dir=tmp_path), build_registry()).catalog
    expected = Profile.from_catalog(catalog)
    assert api.profile[""] == {
        "name": expected.name,
        "description": expected.description,
        "short_description": expected.short_description,
    }
    shown = " ".join(api.profile[""].values()).lower()
    assert not [w for w in GIVEAWAYS if w in shown]
    assert "cannot be disguised" in out.decode()
    assert api.token not in out.decode() + err.decode()


def test_a_profile_too_long_for_telegram_is_refused_before_any_call() -> None:
    profile = Profile("x" * 65, "fine", "")
    assert profile.problems() == [
        "profile.name is 65 characters; at most 64",
        "profile.short_description is empty",
    ]
