"""What one person may keep in the journal, and what one export may build: set by operators.

Each limit has an environment variable (read once at start-up) and a default sized for a
person's diary over years, not for a bulk store: a diary of 2,000 incidents builds in about a
second (docs/journal.md), and 500 MB of evidence is about 25 full-size videos.
Tests and operators may also put a `JournalLimits` in the registry's services.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class JournalLimits:
    incidents: int = 2000  # SAFETY_BOT_JOURNAL_MAX_INCIDENTS
    files: int = 300  # SAFETY_BOT_JOURNAL_MAX_FILES
    file_bytes: int = 500 * 1024 * 1024  # SAFETY_BOT_JOURNAL_MAX_FILE_BYTES (all files together)
    export_incidents: int = 2000  # SAFETY_BOT_JOURNAL_MAX_EXPORT: incidents one export builds
    draft_files_max_age_hours: int = 24  # SAFETY_BOT_JOURNAL_DRAFT_FILES_HOURS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> JournalLimits:
        """The defaults, with any set in the environment; a bad value names its variable."""
        env = os.environ if env is None else env
        names = {
            "incidents": "SAFETY_BOT_JOURNAL_MAX_INCIDENTS",
            "files": "SAFETY_BOT_JOURNAL_MAX_FILES",
            "file_bytes": "SAFETY_BOT_JOURNAL_MAX_FILE_BYTES",
            "export_incidents": "SAFETY_BOT_JOURNAL_MAX_EXPORT",
            "draft_files_max_age_hours": "SAFETY_BOT_JOURNAL_DRAFT_FILES_HOURS",
        }
        values: dict[str, int] = {}
        for item in fields(cls):
            raw = env.get(names[item.name])
            if raw is None or raw.strip() == "":
                continue
            try:
                value = int(raw)
            except ValueError:
                raise ValueError(
                    f"{names[item.name]} must be a whole number, got {raw!r}"
                ) from None
            if value < 1:
                raise ValueError(f"{names[item.name]} must be at least 1, got {value}")
            values[item.name] = value
        return cls(**values)
