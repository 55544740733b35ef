"""Structured logs that say what happened, never what anyone wrote.

One JSON object a line on stderr. A record carries an event name and a few fields chosen in code
(an update's kind, a hashed user id, a duration, an error's type and where it was raised); no
message text, no names, no file contents. The token is scrubbed from every line as a last guard,
because some library messages include it (PTB's InvalidToken, httpx URLs).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import traceback
from typing import Any

REDACTED = "<token>"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ours = record.name == "bot" or record.name.startswith("bot.")
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            # a library's message is kept as its template only: its arguments may be an update
            # (PTB logs the raw JSON of an update it cannot parse, names and text included)
            "event": record.getMessage() if ours else str(record.msg),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info and record.exc_info[1] is not None:
            # the type and the frames only: an exception's message may quote what a user sent
            entry["error"] = type(record.exc_info[1]).__name__
            entry["where"] = frames(record.exc_info[1])
        return json.dumps(entry, ensure_ascii=False, default=str)


class Redact(logging.Filter):
    """Replace the token wherever it appears in a record's final text."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if any(s in text for s in self.secrets):
            for secret in self.secrets:
                text = text.replace(secret, REDACTED)
            record.msg, record.args = text, ()
        return True


class RedactingHandler(logging.StreamHandler):
    """A stream handler whose every formatted line is scrubbed of the secrets."""

    def __init__(self, secrets: list[str], stream: Any = None) -> None:
        super().__init__(stream or sys.stderr)
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


def frames(error: BaseException, limit: int = 6) -> list[str]:
    """Where an error was raised, as `file:line:function`, innermost last, without its message."""
    tb = traceback.extract_tb(error.__traceback__)[-limit:]
    return [f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}" for f in tb]


def setup_logging(secrets: list[str], level: int = logging.INFO) -> None:
    handler = RedactingHandler(secrets)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    # libraries at WARNING whatever `level` says: httpx logs every URL (holding the token) at
    # INFO, aiosqlite every statement with its parameters at DEBUG
    root.setLevel(logging.WARNING)
    logging.getLogger("bot").setLevel(level)


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log `name` with `fields` (only values chosen in code: kinds, counts, hashes, durations)."""
    if logger.isEnabledFor(level):
        logger.log(level, name, extra={"fields": fields})
