"""Where sealed (encrypted) values live: the one list `safety-bot rotate-key` works from.

Every table column that holds `Cipher.seal` output, and every folder of sealed files, is listed
here once, with the AEAD context each value was sealed under. A module that adds sealed data
(e.g. the incident journal) registers it next to its migration:

    register_sealed_table(SealedTable(
        "incidents", key_columns=("id",), sealed_columns=("body", "place"),
        context=lambda row, column: f"incident:{row['id']}:{column}".encode(),
    ))
    register_sealed_files(SealedFiles("attachments", "**/*", lambda rel: f"file:{rel}".encode()))

Rotation refuses to start if a table holds binary values in a column not listed here: a sealed
column nobody listed would stay under the old key and become unreadable after the switch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# (the row's key columns as a mapping, the sealed column's name) -> the context bytes
RowContext = Callable[[Mapping[str, Any], str], bytes]
# (the file's path relative to its folder, POSIX style) -> the context bytes
FileContext = Callable[[str], bytes]


@dataclass(frozen=True)
class SealedTable:
    table: str
    key_columns: tuple[str, ...]  # identify a row; rotation walks the table in this order
    sealed_columns: tuple[str, ...]  # each holds seal() output or NULL
    context: RowContext
    where: str = ""  # optional SQL condition: only these rows hold sealed values


@dataclass(frozen=True)
class SealedFiles:
    """A folder of files, each one whole `Cipher.seal(content, context)` output."""

    directory: str  # relative to the data dir
    pattern: str  # glob under it, e.g. "**/*.bin"
    context: FileContext


def conversation_context(row: Mapping[str, Any], column: str) -> bytes:
    return f"conversation:{row['user_ref']}".encode()  # as bot/store/conversations.py seals


def meta_context(row: Mapping[str, Any], column: str) -> bytes:
    return f"meta:{row['name']}".encode()  # as bot/store/keys.py seals


def inbox_context(row: Mapping[str, Any], column: str) -> bytes:
    return f"inbox:{int(row['update_id'])}".encode()  # as bot/store/inbox.py seals


def tidy_context(row: Mapping[str, Any], column: str) -> bytes:
    return f"tidy:{row['chat_ref']}".encode()  # as bot/store/tidy.py seals


SEALED_TABLES: list[SealedTable] = [
    # meta first: its key check is the first value to move to the new key
    SealedTable(
        "meta", ("name",), ("value",), meta_context, where="name IN ('key_check', 'ref_key')"
    ),
    SealedTable("conversations", ("user_ref",), ("state",), conversation_context),
    SealedTable("inbox", ("update_id",), ("body",), inbox_context),
    SealedTable("chat_tidy", ("chat_ref",), ("chat",), tidy_context),
]

SEALED_FILES: list[SealedFiles] = []


def register_sealed_table(spec: SealedTable) -> None:
    """Add a table's sealed columns (once per table)."""
    if any(t.table == spec.table for t in SEALED_TABLES):
        raise ValueError(f"sealed table '{spec.table}' is already registered")
    SEALED_TABLES.append(spec)


def register_sealed_files(spec: SealedFiles) -> None:
    """Add a folder of sealed files under the data dir (once per folder)."""
    if any(f.directory == spec.directory for f in SEALED_FILES):
        raise ValueError(f"sealed files in '{spec.directory}' are already registered")
    SEALED_FILES.append(spec)
