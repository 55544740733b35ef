"""Doctor's checks of the deployment around the database: settings, Telegram, data dir, key.

Each adds findings to the report and never writes: no key is created, and neither the token nor
the webhook secret is ever shown.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from urllib.parse import urlparse

from bot.ops.checks import check_data_dir_private, check_token_format
from bot.ops.doctor.report import FAIL, OK, WARN, Report
from bot.settings import Settings
from bot.store.crypto import KEY_FILE_NAME, Cipher, KeyProblem, decode_key
from bot.store.db import DB_FILE_NAME
from bot.store.sealed import SealedData

PENDING_KEY_SUFFIX = ".new"  # rotate-key keeps the new key in secret.key.new until the switch


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def check_settings(settings: Settings, report: Report) -> None:
    report.add(
        OK,
        "settings",
        f"data dir {settings.data_dir}, region {settings.region}, flows {settings.flows_dir}, "
        f"content {settings.content_dir}",
    )


MIN_WEBHOOK_SECRET = 32  # characters; a guessable secret lets anyone post updates as Telegram


def check_telegram(env: dict[str, str], report: Report) -> None:
    token = env.get("TELEGRAM_BOT_TOKEN", "")
    if not token:
        report.add(WARN, "telegram", "TELEGRAM_BOT_TOKEN is not set: `run` cannot start")
    else:
        problem = check_token_format(token)
        if problem:
            report.add(FAIL, "telegram", problem)
        else:
            report.add(OK, "telegram", "TELEGRAM_BOT_TOKEN is set and well-formed (not shown)")
    secret = env.get("TELEGRAM_WEBHOOK_SECRET")
    if secret is not None and secret != "":
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            report.add(
                FAIL,
                "telegram",
                "TELEGRAM_WEBHOOK_SECRET must be 1 to 256 of A-Z a-z 0-9 _ - (Telegram's rule)",
            )
        elif len(secret) < MIN_WEBHOOK_SECRET:
            report.add(
                FAIL,
                "telegram",
                f"TELEGRAM_WEBHOOK_SECRET is {len(secret)} characters: use at least "
                f"{MIN_WEBHOOK_SECRET} (e.g. python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(32))')",
            )
        else:
            report.add(OK, "telegram", "TELEGRAM_WEBHOOK_SECRET is set and well-formed (not shown)")
    elif env.get("TELEGRAM_WEBHOOK_URL"):
        report.add(
            WARN,
            "telegram",
            "TELEGRAM_WEBHOOK_SECRET is not set: `run` makes a new random one at each start; set "
            f"one of at least {MIN_WEBHOOK_SECRET} characters to keep it across restarts",
        )
    for name in ("TELEGRAM_API_ROOT", "TELEGRAM_WEBHOOK_URL"):
        value = env.get(name)
        if value:
            url = urlparse(value)
            if url.scheme not in ("http", "https") or not url.netloc:
                report.add(FAIL, "telegram", f"{name} must be an http(s) URL, got '{value}'")
            elif name == "TELEGRAM_WEBHOOK_URL" and url.scheme != "https":
                report.add(FAIL, "telegram", f"{name} must use https: Telegram only calls https")
            else:
                report.add(OK, "telegram", f"{name} = {url.scheme}://{url.netloc}")


def check_data_dir(settings: Settings, report: Report) -> None:
    data_dir = settings.data_dir
    if not data_dir.exists():
        report.add(WARN, "data dir", f"{data_dir} does not exist yet: the bot creates it (0700)")
        return
    problem = check_data_dir_private(data_dir)
    if not problem:
        report.add(OK, "data dir", f"{data_dir} is private (mode {_mode(data_dir):04o})")
        return  # files inside a private dir are out of others' reach, whatever their mode
    report.add(WARN, "data dir", problem)
    loose = [
        f"{p.name} ({_mode(p):04o})"
        for p in sorted(data_dir.iterdir())
        if p.is_file() and p.name != KEY_FILE_NAME and _mode(p) & 0o077
    ]
    if loose:
        report.add(
            WARN,
            "data dir",
            "and these files in it are readable by others: " + ", ".join(loose),
        )


def check_key(settings: Settings, report: Report) -> Cipher | None:
    """Check where the key comes from; return a cipher for it when one is usable."""
    key_path = settings.data_dir / KEY_FILE_NAME
    db_exists = (settings.data_dir / DB_FILE_NAME).exists()
    pending = key_path.with_name(KEY_FILE_NAME + PENDING_KEY_SUFFIX)
    if pending.exists():
        report.add(
            WARN,
            "key",
            f"{pending} exists: a key rotation is unfinished or waiting for SAFETY_BOT_KEY to "
            "be updated; run `safety-bot rotate-key` to finish it",
        )
    if settings.key:
        origin = settings.key_origin
        try:
            key = decode_key(settings.key, origin)
        except KeyProblem as exc:
            report.add(FAIL, "key", str(exc))
            return None
        report.add(OK, "key", f"from {origin} (not shown)")
        if settings.key_file is not None and _mode(settings.key_file) & 0o007:
            report.add(
                WARN,
                "key",
                f"{settings.key_file} can be read by every user of this machine: "
                f"chmod o-rwx {settings.key_file}",
            )
        if key_path.exists():
            name = "SAFETY_BOT_KEY_FILE" if settings.key_file else "SAFETY_BOT_KEY"
            report.add(WARN, "key", f"{key_path} is ignored because {name} is set")
        return Cipher(key)
    if not key_path.exists():
        if db_exists:
            report.add(
                FAIL,
                "key",
                f"the database exists but its key is missing (no SAFETY_BOT_KEY, no {key_path}): "
                "the data cannot be read without it; restore the key from your backup",
            )
        else:
            report.add(WARN, "key", f"no key yet: the bot creates {key_path} (0600) on first start")
        return None
    mode = _mode(key_path)
    st = key_path.stat()
    if mode & 0o077:
        report.add(
            FAIL,
            "key",
            f"{key_path} has mode {mode:04o}: only the bot may read it. Fix: chmod 600 {key_path}",
        )
    elif hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        report.add(WARN, "key", f"{key_path} belongs to uid {st.st_uid}, not this user")
    try:
        key = decode_key(key_path.read_text(encoding="ascii"), str(key_path))
    except (KeyProblem, OSError, UnicodeDecodeError) as exc:
        report.add(FAIL, "key", f"{key_path} cannot be read as a key: {exc}")
        return None
    if not mode & 0o077:
        report.add(OK, "key", f"{key_path} (mode {mode:04o})")
    return Cipher(key)


def production_mode(env: dict[str, str]) -> str | None:
    """Why this looks like a real deployment (webhook, or SAFETY_BOT_ENV=production), or None."""
    if env.get("TELEGRAM_WEBHOOK_URL"):
        return "webhook mode"
    if env.get("SAFETY_BOT_ENV", "").strip().lower() == "production":
        return "production (SAFETY_BOT_ENV)"
    return None


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def check_key_apart(settings: Settings, env: dict[str, str], report: Report) -> None:
    """In production the key must not sit beside the data: a copy of the data dir (a backup, a
    disk taken away) would then carry the key that opens it."""
    mode = production_mode(env)
    if mode is None or (settings.key and settings.key_file is None):
        return  # SAFETY_BOT_KEY lives in the environment, not in the data dir
    if settings.key_file is not None and not _inside(settings.key_file, settings.data_dir):
        report.add(OK, "key", f"kept apart from the data dir ({mode})")
        return
    where = settings.key_file or settings.data_dir / KEY_FILE_NAME
    report.add(
        WARN,
        "key",
        f"{mode}: the key ({where}) sits in the data dir beside the database, so whoever copies "
        "the data dir has both. Keep it apart: SAFETY_BOT_KEY_FILE with a systemd credential "
        "(LoadCredential) or a Docker secret (deploy/README.md)",
    )


SQLITE_HEADER = b"SQLite format 3\x00"


def check_backups_apart(settings: Settings, report: Report, sealed: SealedData) -> None:
    """Database copies inside the data dir (e.g. `backup` pointed there) sit beside the key and
    go wherever the data dir goes: a backup belongs on another disk."""
    data_dir = settings.data_dir
    if not data_dir.is_dir():
        return
    live = {DB_FILE_NAME, DB_FILE_NAME + "-wal", DB_FILE_NAME + "-shm"}
    # the folders of sealed files the features declared (journal attachments) hold many files
    # and never a database: not opened
    folders = {spec.directory for spec in sealed.files}
    copies = []
    for path in sorted(data_dir.rglob("*")):
        relative = path.relative_to(data_dir)
        if relative.parts[0] in folders or str(relative) in live or not path.is_file():
            continue
        try:
            with path.open("rb") as handle:
                if handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER:
                    copies.append(str(path.relative_to(data_dir)))
        except OSError:
            continue
    if copies:
        shown = ", ".join(copies[:5]) + (f" and {len(copies) - 5} more" if len(copies) > 5 else "")
        report.add(
            WARN,
            "backup",
            f"database copies inside the data dir ({shown}): a backup there sits beside the key "
            "and is lost with the disk. Write backups elsewhere (safety-bot backup /elsewhere/)",
        )
