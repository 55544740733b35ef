"""Settings from flags and environment variables, each checked with a one-line message."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from bot.defaults import default_dir

PROJECT_ROOT = Path(__file__).resolve().parent.parent


_ORIGIN = {
    "packaged": "the defaults installed with the package",
    "repository": "the defaults in this source checkout",
}


class SettingError(Exception):
    """A missing or wrong setting; the message names it and says what to do."""


@dataclass
class Settings:
    data_dir: Path
    region: str = "cheshire"
    flows_dir: Path = field(default_factory=lambda: default_dir("flows")[0])
    content_dir: Path = field(default_factory=lambda: default_dir("content")[0])
    # which set of flows and content: "packaged", "repository", or the flag/variable that chose it
    flows_origin: str = field(default_factory=lambda: default_dir("flows")[1])
    content_origin: str = field(default_factory=lambda: default_dir("content")[1])
    key: str | None = None  # SAFETY_BOT_KEY (base64), or read from SAFETY_BOT_KEY_FILE
    key_file: Path | None = None  # SAFETY_BOT_KEY_FILE: where `key` was read from
    busy_timeout_ms: int = 5000  # SAFETY_BOT_BUSY_TIMEOUT_MS: how long a write waits on a lock
    # TELEGRAM_READ_TIMEOUT / TELEGRAM_CONNECT_TIMEOUT: seconds a Bot API call waits for its
    # answer / for a connection before it is given up and retried (python-telegram-bot's 5 s).
    # Too short on a slow link sends a message twice (an answer lost is a call sent again).
    telegram_read_timeout: float = 5.0
    telegram_connect_timeout: float = 5.0

    @classmethod
    def from_env(
        cls,
        data_dir: str | None = None,
        region: str | None = None,
        flows_dir: str | None = None,
        content_dir: str | None = None,
    ) -> Settings:
        env = os.environ
        raw_dir = (
            data_dir or env.get("SAFETY_BOT_DATA_DIR") or platformdirs.user_data_dir("safety-bot")
        )
        settings = cls(
            data_dir=Path(raw_dir).expanduser(),
            region=(region or env.get("SAFETY_BOT_REGION") or "cheshire").strip().lower(),
            key=env.get("SAFETY_BOT_KEY") or None,
        )
        if env.get("SAFETY_BOT_KEY_FILE"):
            settings.key_file = Path(env["SAFETY_BOT_KEY_FILE"]).expanduser()
            settings.key = read_key_file_setting(settings.key_file, bool(settings.key))
        raw_timeout = env.get("SAFETY_BOT_BUSY_TIMEOUT_MS", "5000")
        if not (raw_timeout.isascii() and raw_timeout.isdecimal()):
            raise SettingError(
                f"SAFETY_BOT_BUSY_TIMEOUT_MS: '{raw_timeout}' is not a whole number of ms"
            )
        settings.busy_timeout_ms = int(raw_timeout)
        settings.telegram_read_timeout = read_seconds("TELEGRAM_READ_TIMEOUT", 5.0)
        settings.telegram_connect_timeout = read_seconds("TELEGRAM_CONNECT_TIMEOUT", 5.0)
        if flows_dir or env.get("SAFETY_BOT_FLOWS_DIR"):
            settings.flows_dir = Path(flows_dir or env["SAFETY_BOT_FLOWS_DIR"]).expanduser()
            settings.flows_origin = "--flows-dir" if flows_dir else "SAFETY_BOT_FLOWS_DIR"
        if content_dir or env.get("SAFETY_BOT_CONTENT_DIR"):
            settings.content_dir = Path(content_dir or env["SAFETY_BOT_CONTENT_DIR"]).expanduser()
            settings.content_origin = "--content-dir" if content_dir else "SAFETY_BOT_CONTENT_DIR"
        settings.check()
        return settings

    @property
    def key_origin(self) -> str:
        """Where the key in `key` came from, for messages."""
        return f"SAFETY_BOT_KEY_FILE ({self.key_file})" if self.key_file else "SAFETY_BOT_KEY"

    def describe_dirs(self) -> str:
        """Which flows and content this is, e.g. for `validate`: paths and where they came from."""
        return (
            f"flows {self.flows_dir} ({_ORIGIN.get(self.flows_origin, self.flows_origin)}), "
            f"content {self.content_dir} ({_ORIGIN.get(self.content_origin, self.content_origin)})"
        )

    def check(self) -> None:
        if self.data_dir.exists() and not self.data_dir.is_dir():
            raise SettingError(
                f"--data-dir / SAFETY_BOT_DATA_DIR: {self.data_dir} is not a directory"
            )
        if not self.flows_dir.is_dir():
            raise SettingError(
                f"--flows-dir / SAFETY_BOT_FLOWS_DIR: {self.flows_dir} is not a directory"
            )
        if not self.content_dir.is_dir():
            raise SettingError(
                f"--content-dir / SAFETY_BOT_CONTENT_DIR: {self.content_dir} is not a directory"
            )
        if not self.region.replace("_", "").replace("-", "").isalnum():
            raise SettingError(
                f"--region / SAFETY_BOT_REGION: '{self.region}' is not a region name"
            )


def read_seconds(name: str, default: float) -> float:
    """A number of seconds from the environment variable `name` (0.1 s to an hour)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not 0.1 <= seconds <= 3600:  # also false for nan
        raise SettingError(f"{name}: '{raw}' is not a number of seconds from 0.1 to 3600")
    return seconds


def read_key_file_setting(path: Path, key_also_set: bool) -> str:
    """The key text from `SAFETY_BOT_KEY_FILE` (a systemd credential, a Docker secret)."""
    if key_also_set:
        raise SettingError("set SAFETY_BOT_KEY or SAFETY_BOT_KEY_FILE, not both")
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise SettingError(f"SAFETY_BOT_KEY_FILE: {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingError(f"SAFETY_BOT_KEY_FILE: {path} cannot be read ({exc})") from None
    if not text:
        raise SettingError(f"SAFETY_BOT_KEY_FILE: {path} is empty")
    return text
