"""Where sealed (encrypted) values live: the one list `safety-bot rotate-key` works from.

Every table column that holds `Cipher.seal` output, and every folder of sealed files, is listed
once, with the AEAD context each value was sealed under: the store's own tables here
(`STORE_TABLES`), a feature's on the registry, where the feature declares them beside its
commands (bot/journal, bot/risk):

    registry.seal(tables=(SealedTable(
        "incidents", key_columns=("id",), sealed_columns=("body", "place"),
        context=lambda row, column: f"incident:{row['id']}:{column}".encode(),
    ),), files=(SealedFiles("attachments", "**/*", lambda rel: f"file:{rel}".encode()),))

Whoever needs the whole list (bot/app.py's `sealed_data`, for the ops commands) is handed a
`SealedData` built from the registry: there is no module-level list that importing a feature
fills as a side effect, so a command cannot run with half of it.

Rotation refuses to start if a table holds binary values in a column not listed here: a sealed
column nobody listed would stay under the old key and become unreadable after the switch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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


# The store's own sealed tables (meta first: its key check is the first value to move to a new
# key); a feature's are declared on the registry.
STORE_TABLES: tuple[SealedTable, ...] = (
    SealedTable(
        "meta", ("name",), ("value",), meta_context, where="name IN ('key_check', 'ref_key')"
    ),
    SealedTable("conversations", ("user_ref",), ("state",), conversation_context),
    SealedTable("inbox", ("update_id",), ("body",), inbox_context),
    SealedTable("chat_tidy", ("chat_ref",), ("chat",), tidy_context),
)


@dataclass(frozen=True, slots=True)
class SealedData:
    """Every sealed table and folder of sealed files: the store's own, then the features'."""

    tables: tuple[SealedTable, ...]
    files: tuple[SealedFiles, ...]

    @classmethod
    def of(cls, tables: Iterable[Any] = (), files: Iterable[Any] = ()) -> SealedData:
        """The store's tables and the features' (as the registry holds them: opaque to it)."""
        every = (*STORE_TABLES, *tables)
        folders = tuple(files)
        for spec in every:
            if not isinstance(spec, SealedTable):
                raise TypeError(f"not a SealedTable: {spec!r}")
        for folder in folders:
            if not isinstance(folder, SealedFiles):
                raise TypeError(f"not a SealedFiles: {folder!r}")
        _once("sealed table", [t.table for t in every])
        _once("sealed files in", [f.directory for f in folders])
        return cls(every, folders)

    def table(self, name: str) -> SealedTable | None:
        return next((t for t in self.tables if t.table == name), None)


def _once(what: str, names: list[str]) -> None:
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"{what} {', '.join(repr(n) for n in twice)} declared twice")
