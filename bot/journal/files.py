"""Files: a photo, document, voice note or video the person sends.

Stored at once, sealed, as a waiting file (bot/store/incidents.py). While a guided record is
open it joins the draft; elsewhere the person chooses: a new record, one of their recent
incidents, or not kept (deleted at once). A file nobody chose for is swept with old drafts.
"""

from __future__ import annotations

import datetime as dt

from bot.engine.events import Attachment, Button
from bot.engine.turn import Turn
from bot.journal import buttons as jb
from bot.journal import steps
from bot.journal.browsing import show_list
from bot.journal.common import RECORD, evidence_ids, limits_of, store_of
from bot.journal.drafting import keep_draft, sweep_old_draft_files
from bot.journal.render import size_text, when_reading
from bot.store.incidents import MAX_FILE_BYTES, FileTooLarge, NotFound, StoredFile

RECENT_FOR_FILES = 3  # saved incidents offered for a file, newest first
LIMIT_MB = str(MAX_FILE_BYTES // (1024 * 1024))


async def attachment_handler(turn: Turn) -> bool:
    """A photo, document, voice note or video: into the draft, or offered for an incident."""
    attachment = turn.event.attachment
    if attachment is None:
        return False
    if attachment.content is None:
        too_big = attachment.size is not None and attachment.size > MAX_FILE_BYTES
        turn.say("journal.file_too_big" if too_big else "journal.file_not_fetched", limit=LIMIT_MB)
        await turn.show_current()
        return True
    await sweep_old_draft_files(turn)
    stored = await _store(turn, attachment)
    if stored is None:
        await turn.show_current()
        return True
    if turn.flow == RECORD and turn.step_id not in steps.NOT_IN_A_DRAFT:
        ids = [*evidence_ids(turn), stored.id]
        turn.set_slot("evidence", ids, str(len(ids)), RECORD)
        keep_draft(turn)
        turn.say("journal.file_added_to_draft", name=stored.file_name)
        await turn.show_current()
        return True
    await _offer_file(turn, attachment.kind, stored)
    return True


async def _store(turn: Turn, attachment: Attachment) -> StoredFile | None:
    """The file, stored and waiting; None (and said why) when over a limit."""
    content = attachment.content or b""
    limits = limits_of(turn)
    files, used = await store_of(turn).file_usage(turn.user_ref)
    if files >= limits.files or used + len(content) > limits.file_bytes:
        turn.say("journal.limit_files", files=str(files), size=size_text(used))
        return None
    forwarded_from = attachment.forwarded_from or turn.event.forwarded_from
    forwarded_date = attachment.forwarded_date or turn.event.forwarded_date
    try:
        return await store_of(turn).add_file(
            turn.user_ref,
            content,
            now=turn.now,
            kind=attachment.kind,
            file_name=attachment.file_name or f"{attachment.kind}",
            mime_type=attachment.mime_type,
            forwarded_from=forwarded_from,
            forwarded_date=forwarded_date.astimezone(dt.UTC).isoformat()
            if forwarded_date
            else None,
        )
    except FileTooLarge:
        turn.say("journal.file_too_big", limit=LIMIT_MB)
        return None


async def _offer_file(turn: Turn, kind: str, stored: StoredFile) -> None:
    """Outside a record: a new record, one of the recent incidents, or not kept."""
    catalog = turn.catalog
    kind_key = f"journal.file_kind_{kind}"
    kind_name = turn.text(kind_key) if catalog.has(kind_key) else kind
    offered = [Button(turn.text("journal.btn_file_new"), jb.data(jb.FileToNew(stored.id)))]
    for incident in await store_of(turn).page(turn.user_ref, 0, RECENT_FOR_FILES):
        label = turn.text(
            "journal.btn_file_to",
            number=str(incident.number),
            date=when_reading(catalog, incident.fields.get("occurred_at")),
        )
        offered.append(Button(label, jb.data(jb.FileTo(stored.id, incident.id))))
    offered.append(Button(turn.text("journal.btn_file_drop"), jb.data(jb.DropFile(stored.id))))
    turn.show_screen(turn.text("journal.file_offer", kind=kind_name), offered)


async def _waiting(turn: Turn, file_id: int) -> StoredFile | None:
    """The person's own file, still waiting (not yet in an incident); None otherwise (said)."""
    waiting = await store_of(turn).waiting_files(turn.user_ref, [file_id]) if file_id else []
    if not waiting or waiting[0].incident_id is not None:
        turn.say("journal.stale")
        await turn.show_current()
        return None
    return waiting[0]


async def user_drops_a_file(turn: Turn, button: jb.DropFile) -> None:
    waiting = await _waiting(turn, button.file_id)
    if waiting is None:
        return
    await store_of(turn).discard_waiting_files(turn.user_ref, [waiting.id])
    turn.say("journal.file_dropped")
    await turn.show_current()


async def user_starts_a_record_with_a_file(turn: Turn, button: jb.FileToNew) -> None:
    waiting = await _waiting(turn, button.file_id)
    if waiting is None:
        return
    turn.say("journal.file_for_new")
    await turn.go(RECORD)
    turn.set_slot("evidence", [waiting.id], "1", RECORD)


async def user_puts_a_file_into_an_incident(turn: Turn, button: jb.FileTo) -> None:
    waiting = await _waiting(turn, button.file_id)
    if waiting is None:
        return
    store = store_of(turn)
    try:
        incident = await store.get(turn.user_ref, button.incident_id)
        await store.attach_files(turn.user_ref, incident.id, [waiting.id])
    except NotFound:
        turn.say("journal.not_found")
        await show_list(turn, 0)
        return
    turn.say("journal.file_attached", number=str(incident.number))
    await turn.show_current()
