"""Small checks shared by `doctor` and start-up (`run` refuses a data dir others can read)."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

# A Bot API token: the bot's numeric id, a colon, then a 35-character secret (letters, digits, - _).
# The one pattern for both `safety-bot run` (bot/channels/telegram/cli.py) and `doctor`. Ids are
# 52-bit at most (16 digits); the secret is 35 characters today, with room either side.
TOKEN_RE = re.compile(r"^[0-9]{5,16}:[A-Za-z0-9_-]{30,64}$")


def check_data_dir_private(path: Path | str) -> str | None:
    """A one-line problem if group or others can read, enter or write the data dir, else None.

    A missing dir is fine: the bot creates it with mode 0700.
    """
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    if not stat.S_ISDIR(st.st_mode):
        return f"the data dir {path} is not a directory"
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        who = []
        if mode & 0o070:
            who.append("its group")
        if mode & 0o007:
            who.append("every user")
        return (
            f"the data dir {path} (mode {mode:04o}) is open to {' and '.join(who)}; it holds the "
            f"encrypted journal and usually the key. Fix: chmod 700 {path}"
        )
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        return f"the data dir {path} belongs to uid {st.st_uid}, not to the user running the bot ({os.geteuid()})"
    return None


def check_token_format(token: str) -> str | None:
    """A problem with a Bot API token's shape, never quoting the token; else None."""
    if token != token.strip():
        return "TELEGRAM_BOT_TOKEN has spaces or a newline around it"
    if not TOKEN_RE.match(token):
        return (
            "TELEGRAM_BOT_TOKEN does not look like a Bot API token (digits, a colon, then about "
            "35 letters, digits, '-' or '_'); copy it again from @BotFather"
        )
    return None
