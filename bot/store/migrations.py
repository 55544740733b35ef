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
    (
        2,
        "incident journal: incidents, append-only revisions, sealed files (bot/store/incidents/)",
        [
            """CREATE TABLE incidents (
                id INTEGER PRIMARY KEY,        -- random, so ids in buttons reveal no count
                user_ref TEXT NOT NULL,        -- the owner's pseudonym; checked on every id
                number INTEGER NOT NULL,       -- the user's own numbering: 1, 2, 3...
                recorded_at TEXT NOT NULL,     -- UTC ISO: when it was first recorded
                draft_key TEXT,                -- one incident per confirmed draft
                UNIQUE (user_ref, number),
                UNIQUE (user_ref, draft_key)
            )""",
            """CREATE TABLE incident_revisions (
                id INTEGER PRIMARY KEY,
                incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
                user_ref TEXT NOT NULL,
                revision INTEGER NOT NULL,     -- 1 is the original record
                recorded_at TEXT NOT NULL,     -- UTC ISO: when this revision was written
                kind TEXT NOT NULL,            -- original | correction | note | police
                body BLOB NOT NULL,            -- sealed JSON
                UNIQUE (incident_id, revision)
            )""",
            "CREATE INDEX incident_revisions_user ON incident_revisions (user_ref, incident_id)",
            """CREATE TABLE incident_files (
                id INTEGER PRIMARY KEY,        -- random; the sealed file is <user_ref>/<id>.bin
                user_ref TEXT NOT NULL,
                incident_id INTEGER REFERENCES incidents (id) ON DELETE CASCADE,  -- NULL: waiting
                added_at TEXT NOT NULL,        -- UTC ISO
                size INTEGER NOT NULL,
                meta BLOB NOT NULL             -- sealed JSON: name, type, SHA-256, forwarded from
            )""",
            "CREATE INDEX incident_files_user ON incident_files (user_ref, incident_id)",
            """CREATE TRIGGER incident_revisions_append_only BEFORE UPDATE ON incident_revisions
            BEGIN SELECT RAISE(ABORT, 'incident revisions are append-only'); END""",
            """CREATE TRIGGER incidents_append_only BEFORE UPDATE ON incidents
            BEGIN SELECT RAISE(ABORT, 'incidents are append-only'); END""",
            """CREATE TRIGGER incident_files_link_once BEFORE UPDATE ON incident_files
            WHEN OLD.incident_id IS NOT NULL OR NEW.id != OLD.id OR NEW.user_ref != OLD.user_ref
                OR NEW.meta != OLD.meta OR NEW.size != OLD.size
            BEGIN SELECT RAISE(ABORT, 'a linked file cannot be moved or changed'); END""",
        ],
    ),
    (
        3,
        "chat message ids for the Telegram quick exit /clear, kept 48 hours (bot/store/messages.py)",
        [
            """CREATE TABLE chat_messages (
                chat_ref TEXT NOT NULL,        -- keyed hash of the chat id, never the id itself
                message_id INTEGER NOT NULL,
                sent_at INTEGER NOT NULL,      -- unix seconds; rows older than 48 hours are purged
                PRIMARY KEY (chat_ref, message_id)
            ) WITHOUT ROWID""",
            "CREATE INDEX chat_messages_sent_at ON chat_messages (sent_at)",
        ],
    ),
    (
        4,
        "inbox: updates accepted from a channel and not yet handled, sealed (bot/store/inbox.py)",
        [
            """CREATE TABLE inbox (
                update_id INTEGER PRIMARY KEY, -- the channel's own id for the update
                body BLOB NOT NULL,            -- sealed: the update as received
                received_at INTEGER NOT NULL,  -- unix seconds
                attempts INTEGER NOT NULL DEFAULT 0  -- start-ups that replayed it
            )""",
        ],
    ),
    (
        5,
        "journal: a keyed hash chain over every revision, per user (bot/store/incidents/)",
        [
            # The user's entry order, the previous entry's MAC and this entry's MAC (hex text:
            # not sealed, so key rotation leaves them as they are; their key is the pseudonym key,
            # which rotation keeps). Filled for existing rows once, by the store, with the keys.
            "ALTER TABLE incident_revisions ADD COLUMN seq INTEGER",
            "ALTER TABLE incident_revisions ADD COLUMN prev TEXT",
            "ALTER TABLE incident_revisions ADD COLUMN mac TEXT",
            "CREATE UNIQUE INDEX incident_revisions_seq ON incident_revisions (user_ref, seq)",
            """CREATE TABLE journal_chains (
                user_ref TEXT PRIMARY KEY,     -- '*' marks the chains as built
                head BLOB NOT NULL             -- sealed JSON: the newest entry's seq and MAC
            )""",
            # Still append-only, except that chain columns left empty may be filled once.
            "DROP TRIGGER incident_revisions_append_only",
            """CREATE TRIGGER incident_revisions_append_only BEFORE UPDATE ON incident_revisions
            WHEN OLD.mac IS NOT NULL OR NEW.id != OLD.id OR NEW.incident_id != OLD.incident_id
                OR NEW.user_ref != OLD.user_ref OR NEW.revision != OLD.revision
                OR NEW.recorded_at != OLD.recorded_at OR NEW.kind != OLD.kind
                OR NEW.body != OLD.body
            BEGIN SELECT RAISE(ABORT, 'incident revisions are append-only'); END""",
        ],
    ),
    (
        6,
        "journal: draft keys naming Telegram chats are replaced by keyed hashes (bot/store/incidents/)",
        [
            # The store rewrites 'event:...' keys to 'h:<HMAC>' once, with the pseudonym key;
            # nothing else of an incident may change.
            "DROP TRIGGER incidents_append_only",
            """CREATE TRIGGER incidents_append_only BEFORE UPDATE ON incidents
            WHEN NEW.id != OLD.id OR NEW.user_ref != OLD.user_ref OR NEW.number != OLD.number
                OR NEW.recorded_at != OLD.recorded_at
                OR NOT (COALESCE(OLD.draft_key, '') LIKE 'event:%'
                    AND COALESCE(NEW.draft_key, '') LIKE 'h:%')
            BEGIN SELECT RAISE(ABORT, 'incidents are append-only'); END""",
        ],
    ),
    (
        10,
        "journal lock: a PIN per user, sealed with its lockout and planned erasure (bot/store/locks.py)",
        [
            """CREATE TABLE journal_locks (
                user_ref TEXT PRIMARY KEY,     -- the owner's pseudonym
                body BLOB NOT NULL             -- sealed JSON: scrypt salt and digest, tries, erase
            )""",
        ],
    ),
    (
        15,
        "chat message ids kept past 48 hours, with who sent each, for an honest /clear",
        [
            # 1: the bot's own (blanked by /clear once too old to delete); 0: the person's, or
            # rows from before this step (younger than 48 hours then: deletable either way)
            "ALTER TABLE chat_messages ADD COLUMN by_bot INTEGER NOT NULL DEFAULT 0",
        ],
    ),
    (
        16,
        "auto-tidy: each chat's setting and when it is next due (bot/store/tidy.py)",
        [
            """CREATE TABLE chat_tidy (
                chat_ref TEXT PRIMARY KEY,     -- keyed hash of the chat id, as chat_messages
                after_seconds INTEGER NOT NULL,  -- quiet time before tidying: 600, 3600
                due_at INTEGER,                -- unix seconds; NULL: nothing to tidy
                chat BLOB NOT NULL             -- the chat id, sealed: needed to delete, at run time
            ) WITHOUT ROWID""",
            "CREATE INDEX chat_tidy_due ON chat_tidy (due_at)",
        ],
    ),
    (
        20,
        "answered checklists: the stalking risk questions, sealed (bot/store/checklists.py)",
        [
            """CREATE TABLE checklists (
                id INTEGER PRIMARY KEY,        -- random, so ids in buttons reveal no count
                user_ref TEXT NOT NULL,        -- the owner's pseudonym; checked on every id
                answered_at TEXT NOT NULL,     -- UTC ISO: when the set was saved
                body BLOB NOT NULL             -- sealed JSON: kind, questions and answers
            )""",
            "CREATE INDEX checklists_user ON checklists (user_ref, answered_at)",
            """CREATE TRIGGER checklists_append_only BEFORE UPDATE ON checklists
            BEGIN SELECT RAISE(ABORT, 'answered checklists are append-only'); END""",
        ],
    ),
]


def register_migration(version: int, title: str, statements: list[str]) -> None:
    """Add a step (used by modules that own their tables, e.g. the journal)."""
    if any(v == version for v, _, _ in MIGRATIONS):
        raise ValueError(f"migration {version} is already registered")
    MIGRATIONS.append((version, title, statements))
    MIGRATIONS.sort(key=lambda m: m[0])
