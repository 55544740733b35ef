"""`safety-bot profile`: the bot's name and descriptions in Telegram, from content/.

Whoever glances at the phone sees the bot's name in the chat list, its description in an empty
chat and its short description on its profile page. A force deploying the bot chooses discreet
words for them in `content/telegram.yaml` (`profile.name`, `profile.description`,
`profile.short_description`) and runs this once; it calls `setMyName`, `setMyDescription` and
`setMyShortDescription`. The @username cannot be changed this way (it is fixed at @BotFather
when the bot is made), so it should be chosen discreet from the start (docs/privacy.md).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from telegram import Bot

from bot.content.catalog import Catalog

LIMITS = {"name": 64, "description": 512, "short_description": 120}  # the Bot API's limits


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    description: str
    short_description: str

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> Profile:
        return cls(
            catalog.text("profile.name"),
            catalog.text("profile.description"),
            catalog.text("profile.short_description"),
        )

    def problems(self) -> list[str]:
        found = []
        for field_name, limit in LIMITS.items():
            value = getattr(self, field_name)
            if not value.strip():
                found.append(f"profile.{field_name} is empty")
            elif len(value) > limit:
                found.append(f"profile.{field_name} is {len(value)} characters; at most {limit}")
        return found


async def set_profile(bot: Bot, profile: Profile) -> None:
    async with bot:
        await bot.set_my_name(profile.name)
        await bot.set_my_description(profile.description)
        await bot.set_my_short_description(profile.short_description)


def apply_profile(token: str, api_root: str, profile: Profile) -> None:
    root = api_root.rstrip("/")
    bot = Bot(token, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot")
    asyncio.run(set_profile(bot, profile))
