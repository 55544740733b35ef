"""Where the journal keeps sealed data: declared on the registry by bot/journal (`registry.seal`),
for key rotation and backups (`bot/store/sealed.py`)."""

from __future__ import annotations

from bot.store.incidents.records import (
    FILES_DIR_NAME,
    file_context,
    file_meta_context,
    head_context,
    revision_context,
)
from bot.store.sealed import SealedFiles, SealedTable

JOURNAL_TABLES = (
    SealedTable(
        "incident_revisions",
        ("user_ref", "incident_id", "revision"),
        ("body",),
        lambda row, column: revision_context(
            row["user_ref"], int(row["incident_id"]), int(row["revision"])
        ),
    ),
    SealedTable(
        "incident_files",
        ("user_ref", "id"),
        ("meta",),
        lambda row, column: file_meta_context(row["user_ref"], int(row["id"])),
    ),
    SealedTable(
        "journal_chains",
        ("user_ref",),
        ("head",),
        lambda row, column: head_context(row["user_ref"]),
    ),
)
JOURNAL_FILES = SealedFiles(FILES_DIR_NAME, "*/*.bin", file_context)
