"""Isolation: what `test_journal_privacy` does not already prove.

Already there: another user's incident and file ids forged in `j:` buttons, and the store refusing
foreign ids. Added here:
- forged ids that only a channel could carry: ids too large for SQLite, negative, non-ASCII
  digits, `/incidents <someone else's number>`, with the same user's real ids beside them;
- SQL meta-characters in every field of a guided record, a quick note, a note and a police
  reference: stored and read back exactly, the schema untouched, the other user untouched;
- path tricks in attachment file names: the sealed file lands at `<ref>/<random id>.bin` under the
  attachments folder and nowhere else; the name is kept only inside the sealed metadata;
- a file over 20 MB with its bytes: refused, nothing stored.
"""

from __future__ import annotations

from pathlib import Path

from bot.engine.events import Attachment, Event, Kind
from bot.store.incidents import KIND_NOTE, KIND_POLICE, MAX_FILE_BYTES
from tests.chat_client import ChatClient
from tests.journal_support import incidents_of, photo_event, start_app

SQL = [
    "'; DROP TABLE incidents; --",
    '" OR "1"="1',
    "x'); DELETE FROM incident_revisions WHERE ('1'='1",
    "%_\\' UNION SELECT key FROM meta --",
    "Robert'); DROP TABLE conversations;--\u202e",
]
PATHS = ["../../../../etc/passwd", "/etc/shadow", "..\\..\\boot.ini", "a/../../b.jpg", "x\x00.jpg"]


async def _tables(app) -> list[str]:  # noqa: ANN001
    rows = await app.db.fetchall("SELECT type, name, sql FROM sqlite_master ORDER BY name")
    return [repr(tuple(r)) for r in rows]


async def test_forged_ids_sql_and_path_tricks_touch_nothing_of_anyone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    app = await start_app(data)
    try:
        schema = await _tables(app)
        store = incidents_of(app)
        alice = ChatClient(app.engine, "tg:1001")
        mallory = ChatClient(app.engine, "tg:2002")
        a_ref = app.engine.store.user_ref(alice.user_id)
        m_ref = app.engine.store.user_ref(mallory.user_id)

        # Alice: a guided record with SQL in every answer, a quick log, a note, a police ref
        await alice.send("/record")
        await alice.press("journal.kind_other")  # every question is asked
        await alice.send(SQL[2])  # who it was
        await alice.send("yesterday 9pm")
        # where, what, person, vehicle; the phone number; the account; witnesses, effect
        for answer in [*SQL[:4], "skip", SQL[1], SQL[4], SQL[0]]:
            await alice.send(answer)
        alice.expect("journal.ask_evidence")
        for name in PATHS:
            await alice.event(photo_event(b"evidence " + name.encode(), name))
        await alice.press("journal.btn_evidence_done")
        await alice.press("journal.btn_save")
        alice.expect("journal.saved", _number=1)
        await alice.send(f"/log {SQL[1]}")
        [first, second] = await store.all(a_ref)
        await store.add_revision(a_ref, first.id, KIND_NOTE, {"text": SQL[2]}, now=_now())
        await store.add_revision(a_ref, first.id, KIND_POLICE, {"reference": SQL[3]}, now=_now())
        [first, second] = await store.all(a_ref)
        assert first.fields["place"] == SQL[0]
        assert first.fields["description"] == SQL[1]
        assert first.fields["person"] == SQL[2]
        assert first.fields["witnesses"] == SQL[4]
        assert second.fields["description"] == SQL[1]
        assert first.notes[0].body["text"] == SQL[2]
        assert first.police[0].body["reference"] == SQL[3]
        assert sorted(f.file_name for f in first.files) == sorted(PATHS)
        assert await _tables(app) == schema

        # every sealed file sits at attachments/<ref>/<random id>.bin, and nothing else was made
        made = _files(tmp_path)
        for path in made:
            assert path.parts[0] == "data", path
        bins = [p for p in made if p.suffix == ".bin"]
        assert len(bins) == len(PATHS)
        for path in bins:
            assert path.parts[1:3] == ("attachments", a_ref) and path.stem.isdecimal(), path
        for stored in first.files:
            content = await store.read_file(a_ref, stored.id)
            assert content == b"evidence " + stored.file_name.encode()
        for raw in (p.read_bytes() for p in map(tmp_path.joinpath, made)):
            assert b"etc/passwd" not in raw and b"DROP TABLE" not in raw  # all of it sealed

        # Mallory: forged ids of Alice's, and junk numbers, in buttons and commands
        await mallory.send("/log mallory's own")
        forged = [
            *(f"j:{a}:{first.id}" for a in ("v", "n", "p", "c")),
            f"j:f:to:{first.files[0].id}:{first.id}",
            f"j:f:new:{first.files[0].id}",
            f"j:f:drop:{first.files[0].id}",
            f"j:v:{2**64}",
            f"j:v:-{2**63 + 1}",
            "j:v:٣",
            "j:v:²",
            f"j:l:{2**70}",
            "j:d:yes:" + "0" * 8,
        ]
        for forged_data in forged:
            await mallory.event(Event.button(forged_data))
            assert SQL[1] not in mallory.text and "passwd" not in mallory.text, forged_data
        for command in ("/incidents 1", "/incidents 2", f"/incidents {first.id}", "/export"):
            await mallory.send(command)
            shown = mallory.text + "".join(
                r.document.content.decode("latin-1") for r in mallory.replies if r.document
            )
            assert SQL[1] not in shown and "passwd" not in shown, command
        assert [i.fields["description"] for i in await store.all(m_ref)] == ["mallory's own"]
        after = await store.all(a_ref)
        assert [len(i.revisions) for i in after] == [3, 1]
        assert len(after[0].files) == len(PATHS)

        # a file over the limit, with its bytes: refused, nothing stored
        await mallory.send("/menu")
        rows_before = await app.db.fetchone("SELECT COUNT(*) FROM incident_files")
        huge = Attachment(
            "document", "big.bin", size=MAX_FILE_BYTES + 1, content=b"\0" * (MAX_FILE_BYTES + 1)
        )
        await mallory.event(Event(Kind.ATTACHMENT, attachment=huge))
        assert "20 MB" in mallory.text
        assert await app.db.fetchone("SELECT COUNT(*) FROM incident_files") == rows_before
        assert not (data / "attachments" / m_ref).exists()
        assert await app.db.integrity_check() == "ok"
    finally:
        await app.close()


def _files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def _now():  # noqa: ANN202 - a tiny helper
    import datetime as dt

    return dt.datetime.now(dt.UTC)
