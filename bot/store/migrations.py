"""The schema, as numbered steps. Start-up applies the missing ones in order, each in its own
transaction, and records the version in `PRAGMA user_version`. Never edit a released step:
add a new one at the end.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "meta and conversation state",
        [
            """CREATE TABLE meta (
                name TEXT PRIMARY KEY,
                value BLOB NOT NULL
            )""",
            """CREATE TABLE conversations (
                user_ref TEXT PRIMARY KEY,
                state BLOB NOT NULL,          -- encrypted JSON: flow, step, slots, history
                updated_at INTEGER NOT NULL   -- unix seconds
            )""",
        ],
    ),
]


def register_migration(version: int, title: str, statements: list[str]) -> None:
    """Add a step (used by modules that own their tables, e.g. the journal)."""
    if any(v == version for v, _, _ in MIGRATIONS):
        raise ValueError(f"migration {version} is already registered")
    MIGRATIONS.append((version, title, statements))
    MIGRATIONS.sort(key=lambda m: m[0])
