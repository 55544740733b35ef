"""Where the journal keeps sealed data, for key rotation (`bot/store/sealed.py`)."""

from __future__ import annotations

from bot.store.incidents.records import (
    FILES_DIR_NAME,
    file_context,
    file_meta_context,
    head_context,
    revision_context,
)
from bot.store.sealed import (
    SEALED_FILES,
    SEALED_TABLES,
    SealedFiles,
    SealedTable,
    register_sealed_files,
    register_sealed_table,
)

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


def register_sealed() -> None:
    """Tell key rotation where the journal keeps sealed data (once; calling again is harmless)."""
    registered = {t.table for t in SEALED_TABLES}
    for spec in JOURNAL_TABLES:
        if spec.table not in registered:
            register_sealed_table(spec)
    if not any(f.directory == FILES_DIR_NAME for f in SEALED_FILES):
        register_sealed_files(JOURNAL_FILES)
