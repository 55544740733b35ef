"""Privacy of the journal: nothing typed is readable on disk, one user never reaches another's
incidents (forged ids), and /delete_my_data leaves no bytes behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App
from bot.engine.events import Event
from bot.store.incidents import KIND_NOTE, NotFound
from tests.chat_client import ChatClient
from tests.journal_support import (
    incidents_of,
    journal_app_fixture,  # noqa: F401 - the `app` fixture
    occurrences,
    photo_event,
    raw_files,
    record_guided,
    start_app,
)

# Distinctive words that could only be on disk if something was stored in plain text.
TYPED = [
    "Zephyrine Quackenbush",
    "marmalade-coloured anorak",
    "Xylophone Close, Nantwich",
    "QUOKKA-7741 plate",
    "Witness Ottoline Brambleby",
    "shaking like a leaf after",
    "note about the kumquat incident",
    "police ref WX-99-PLUMTREE",
    "Rumpelstiltskin Featherstonehaugh",
]
FILE_MARKER = b"RAW-PHOTO-BYTES-gooseberry-4711"


async def test_no_typed_text_or_file_bytes_in_the_database_or_attachment_files(
    app: App, tmp_path: Path
) -> None:
    chat = ChatClient(app.engine, "tg:501")
    await chat.send("/record")
    await chat.click("Followed or watched")
    await chat.send(TYPED[8])  # who it was: kept (sealed) and offered again
    await chat.send("yesterday 9pm")
    await chat.send(TYPED[2])
    await chat.send(f"{TYPED[0]} followed me wearing a {TYPED[1]}")
    await chat.send(TYPED[1])
    await chat.send(f"red van {TYPED[3]}")
    await chat.send(TYPED[4])
    await chat.send(TYPED[5])
    await chat.event(photo_event(FILE_MARKER * 50, "zephyrine.jpg"))
    await chat.click("Done")
    await chat.click("Save")
    await chat.click("Add a note or police reference")
    await chat.click("Add a note")
    await chat.send(TYPED[6])
    await chat.send(f"/log {TYPED[0]} rang twelve times")
    await chat.send("/record")
    await chat.click("Skip")
    assert TYPED[8] in chat.buttons  # offered again, not retyped
    await chat.click("I don't know")
    await chat.click("Skip")
    await chat.send(f"draft only: {TYPED[7]}")  # an unsaved draft, kept in the place
    await app.conversations.close()
    files = raw_files(tmp_path)
    ref = app.engine.store.user_ref(chat.user_id)
    assert occurrences(tmp_path, ref.encode()) != []  # the search reads the WAL and db
    assert any(p.suffix == ".bin" for p in files), "the photo is kept as a file"
    assert any(p.name.endswith(".db") for p in files)
    for words in [*TYPED, "zephyrine.jpg", "Quackenbush"]:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert occurrences(tmp_path, words.encode(encoding)) == [], words
    assert occurrences(tmp_path, FILE_MARKER) == []
    assert occurrences(tmp_path, b"gooseberry") == []
    assert occurrences(tmp_path, b"tg:501") == []  # nor who the user is


async def test_two_users_and_forged_ids(app: App) -> None:
    alice = ChatClient(app.engine, "tg:1001")
    mallory = ChatClient(app.engine, "tg:2002")
    store = incidents_of(app)
    a_ref = app.engine.store.user_ref(alice.user_id)
    m_ref = app.engine.store.user_ref(mallory.user_id)
    await record_guided(alice, "Alice's private account of the incident")
    [a_incident] = await store.all(a_ref)
    await alice.send("/menu")
    await alice.event(photo_event(b"alice photo", "alice.jpg"))
    a_waiting = int(
        next(b.data for b in alice.replies[-1].buttons if ":drop:" in b.data).split(":")[-1]
    )
    await mallory.send("/log mallory's own entry")
    [m_incident] = await store.all(m_ref)
    await mallory.send("/menu")
    await mallory.event(photo_event(b"mallory photo", "m.jpg"))
    m_waiting = int(
        next(b.data for b in mallory.replies[-1].buttons if ":drop:" in b.data).split(":")[-1]
    )

    forged = [
        f"j:v:{a_incident.id}",  # open
        f"j:n:{a_incident.id}",  # add a note
        f"j:p:{a_incident.id}",  # add a police reference
        f"j:c:{a_incident.id}",  # correct
        f"j:f:to:{m_waiting}:{a_incident.id}",  # put my file into her incident
        f"j:f:drop:{a_waiting}",  # delete her waiting file
        f"j:f:to:{a_waiting}:{m_incident.id}",  # take her file into my incident
        f"j:f:new:{a_waiting}",
        "j:v:not-a-number",
        "j:v:1",
        "j:zz",
    ]
    for data in forged:
        await mallory.event(Event.button(data))
        assert "Alice's private" not in mallory.text, data
        assert "alice.jpg" not in mallory.text, data
        assert "Incident 1\n" not in mallory.text or "mallory" in mallory.text, data
    await mallory.send("/incidents 2")
    assert "can't find that incident" in mallory.text
    await mallory.send("/export")
    exported = b"".join(r.document.content for r in mallory.replies if r.document)
    assert b"Alice" not in exported

    # the store refuses every foreign id the same way as a missing one
    with pytest.raises(NotFound):
        await store.get(m_ref, a_incident.id)
    with pytest.raises(NotFound):
        await store.add_revision(m_ref, a_incident.id, KIND_NOTE, {"text": "x"}, now=alice_now())
    with pytest.raises(NotFound):
        await store.attach_files(m_ref, a_incident.id, [m_waiting])
    with pytest.raises(NotFound):
        await store.read_file(m_ref, a_waiting)
    assert await store.discard_waiting_files(m_ref, [a_waiting]) == 0

    # Alice's journal is exactly as she left it
    [after] = await store.all(a_ref)
    assert [r.kind for r in after.revisions] == ["original"]
    assert after.files == []
    assert [f.file_name for f in await store.waiting_files(a_ref, [a_waiting])] == ["alice.jpg"]
    assert await store.read_file(a_ref, a_waiting) == b"alice photo"
    [m_after] = await store.all(m_ref)
    assert m_after.files == []


def alice_now():  # noqa: ANN201 - a tiny helper
    import datetime as dt

    return dt.datetime.now(dt.UTC)


async def test_delete_my_data_erases_every_byte_of_that_user(tmp_path: Path) -> None:
    app = await start_app(tmp_path)
    chat = ChatClient(app.engine, "tg:3003")
    other = ChatClient(app.engine, "tg:4004")
    store = incidents_of(app)
    ref = app.engine.store.user_ref(chat.user_id)
    other_ref = app.engine.store.user_ref(other.user_id)
    try:
        await record_guided(chat, "the deleted user's account")
        await chat.send("/log a second entry to delete")
        await chat.send("/menu")
        await chat.event(photo_event(b"photo to delete " * 100, "gone.jpg"))
        await chat.click("Incident 1")
        await record_guided(other, "the other user's account stays")
        # the sealed bytes of everything this user has: they must all vanish from disk
        sealed = [
            bytes(row[0])
            for row in await app.db.fetchall(
                "SELECT body FROM incident_revisions WHERE user_ref = ? "
                "UNION ALL SELECT meta FROM incident_files WHERE user_ref = ? "
                "UNION ALL SELECT state FROM conversations WHERE user_ref = ?",
                (ref, ref, ref),
            )
        ]
        assert len(sealed) >= 4
        user_files = list((tmp_path / "attachments" / ref).glob("*.bin"))
        assert len(user_files) == 1
        # the search does see what is on disk: before deletion it finds all of it
        assert occurrences(tmp_path, ref.encode()) != []
        assert all(occurrences(tmp_path, blob[:24]) for blob in sealed)

        await chat.send("/delete_my_data")
        assert "2 incidents" in chat.text and "cannot be undone" in chat.text
        await chat.click("No, keep it")
        assert await store.count(ref) == 2
        await chat.send("/delete_my_data")
        await chat.click("Yes, delete everything")
        assert "Everything you kept here has been deleted" in chat.text

        assert await store.count(ref) == 0
        assert (
            await app.db.fetchone("SELECT 1 FROM conversations WHERE user_ref = ?", (ref,)) is None
        )
        assert not (tmp_path / "attachments" / ref).exists()
        for blob in sealed:
            assert occurrences(tmp_path, blob[:24]) == [], "a sealed value survived on disk"
        assert occurrences(tmp_path, ref.encode()) == []  # not even the pseudonym
        # the other user keeps everything
        [kept] = await store.all(other_ref)
        assert kept.fields["description"] == "the other user's account stays"
    finally:
        await app.close()

    # after a restart the deleted user is a new user
    app = await start_app(tmp_path)
    try:
        chat = ChatClient(app.engine, "tg:3003")
        await chat.send("hello")
        assert "Welcome" in chat.text or "Are you in danger right now?" in chat.text
        assert await incidents_of(app).count(ref) == 0
    finally:
        await app.close()
