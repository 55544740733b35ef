"""The incident journal's storage: incidents, their append-only revisions, and their files.

Layout (migration 2, in `bot/store/migrations.py`):

- `incidents`: one row per incident, never updated. The id is random (62 bits) so ids that travel
  in buttons reveal nothing about how many incidents exist; `number` is the user's own count
  (1, 2, 3...) shown to them. `draft_key` makes saving a confirmed draft idempotent.
- `incident_revisions`: append-only (a trigger refuses UPDATE). Revision 1 is the original record;
  later ones are corrections, notes and police references, each with when it was written.
  `body` is sealed JSON. Each is an entry in the user's keyed hash chain (migration 5).
- `incident_files`: the evidence. Its `meta` (file name, type, SHA-256, forwarded-from...) is
  sealed; the bytes live in sealed files under `<data dir>/attachments/<user_ref>/<id>.bin`.

The package, by concern (each module's docstring gives its reasons):

- `records`: kinds, fields, the records callers get (`Incident`, `StoredFile`, `Saved`...), errors,
  and the AEAD context of every sealed value;
- `store`: `IncidentStore`, the one door: writing, erasing, reading;
- `ledger`: writing the hash chain (keys, entries, heads, the one-off upgrade of older rows);
- `chain`: checking it (pure functions, also used by `safety-bot doctor`);
- `files`: evidence files on disk; `reading`: loading incidents; `sealed`: for key rotation.

Everything callers need is importable from `bot.store.incidents` itself.
"""

from bot.store.incidents.chain import (
    CHAIN_BUILT,
    CHAIN_ROWS_SQL,
    ORPHAN_INCIDENTS_SQL,
    chain_key,
    check_chain,
    doctor_chain_report,
    entry_mac,
    fingerprint_text,
)
from bot.store.incidents.records import (
    FIELDS,
    FILES_DIR_NAME,
    KIND_CORRECTION,
    KIND_NOTE,
    KIND_ORIGINAL,
    KIND_POLICE,
    MAX_FILE_BYTES,
    REVISION_KINDS,
    FileTooLarge,
    Incident,
    Integrity,
    NotFound,
    Revision,
    Saved,
    StoredFile,
    _dumps,
    file_context,
    file_meta_context,
    file_relpath,
    head_context,
    revision_context,
)
from bot.store.incidents.sealed import JOURNAL_FILES, JOURNAL_TABLES
from bot.store.incidents.store import IncidentStore

__all__ = [
    "JOURNAL_FILES",
    "JOURNAL_TABLES",
    "CHAIN_BUILT",
    "CHAIN_ROWS_SQL",
    "FIELDS",
    "FILES_DIR_NAME",
    "KIND_CORRECTION",
    "KIND_NOTE",
    "KIND_ORIGINAL",
    "KIND_POLICE",
    "MAX_FILE_BYTES",
    "ORPHAN_INCIDENTS_SQL",
    "REVISION_KINDS",
    "FileTooLarge",
    "Incident",
    "IncidentStore",
    "Integrity",
    "NotFound",
    "Revision",
    "Saved",
    "StoredFile",
    "_dumps",
    "chain_key",
    "check_chain",
    "doctor_chain_report",
    "entry_mac",
    "file_context",
    "file_meta_context",
    "file_relpath",
    "fingerprint_text",
    "head_context",
    "revision_context",
]
