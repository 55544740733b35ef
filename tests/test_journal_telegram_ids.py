"""No Telegram account is named in the database file, its WAL or a backup.

A person uses the real bot through Telegram (python-telegram-bot against the fake Bot API):
/log with a time, a message offered and saved, an incident opened. Then every byte of the
database, its -wal and a backup made while the bot runs is searched for their numeric id, the
chat id, their username and first name (as text and as the integers SQLite would store), and
for the words they typed.
"""

from __future__ import annotations

import struct
from pathlib import Path

from bot.app import build_registry, sealed_data
from bot.ops.backup import backup_database
from bot.settings import Settings
from tests.fake_bot_api import FakeBotApi
from tests.telegram_harness import BotProcess

USER_ID = 7304518826
USERNAME = "marigold_quince"
FIRST_NAME = "Marigoldina"
TYPED = ["persimmon-coloured hatchback", "Tamarisk Lane underpass"]


def message(api: FakeBotApi, text: str) -> dict:
    person = {"id": USER_ID, "is_bot": False, "first_name": FIRST_NAME, "username": USERNAME}
    chat = {"id": USER_ID, "type": "private", "first_name": FIRST_NAME, "username": USERNAME}
    api.chats[USER_ID] = chat
    sent = api.user_message(USER_ID, chat=chat, text=text)
    sent["from"] = person
    return sent


async def say(api: FakeBotApi, text: str) -> None:
    since = len(api.calls)
    await api.push({"message": message(api, text)})
    await api.settle(since)


def needles() -> dict[str, bytes]:
    found = {
        "user id": str(USER_ID).encode(),
        "username": USERNAME.encode(),
        "first name": FIRST_NAME.encode(),
        "user id as a 64-bit integer": struct.pack(">q", USER_ID),
        "the event key": f"m:{USER_ID}:".encode(),
    }
    for words in TYPED:
        found[words] = words.encode()
    return found


async def test_no_telegram_id_or_name_in_the_database_wal_or_backup(
    api: FakeBotApi, bot: BotProcess, tmp_path: Path
) -> None:
    await say(api, "/start")
    await say(api, f"/log a {TYPED[0]} waited at 21:15 last night")
    await say(api, f"he was at the {TYPED[1]} again this morning")
    await say(api, "/incidents 1")
    assert any("Saved as incident 1" in str(c.params.get("text", "")) for c in api.calls)

    data_dir = bot.data_dir
    database = data_dir / "safety-bot.db"
    wal = data_dir / "safety-bot.db-wal"
    backup = backup_database(
        Settings(data_dir=data_dir), tmp_path / "backup.db", sealed_data(build_registry())
    ).path
    searched = {"database": database.read_bytes(), "backup": backup.read_bytes()}
    assert wal.exists(), "the bot runs in WAL mode: its -wal file is searched too"
    searched["wal"] = wal.read_bytes()
    for where, content in searched.items():
        for what, needle in needles().items():
            assert needle not in content, f"{what} found in the {where}"
