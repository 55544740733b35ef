"""Erasing: `/delete_my_data` ("Delete everything"), asked once with a one-time key, and
`erase_everything`, which the forgotten-PIN erasure (bot/journal/lock.py) uses too.

Everything one person keeps goes: the journal (rows and sealed files), every other feature's data
(its eraser, declared on the registry), the person's place; then the freed pages are scrubbed.
"""

from __future__ import annotations

import secrets

from bot.engine.engine import Turn
from bot.engine.events import Button
from bot.journal import buttons as jb
from bot.journal.common import count, store_of, text

ASKED = "journal_delete"  # place.data: the key "Delete everything" was asked with


async def delete_command(turn: Turn) -> None:
    incidents = await store_of(turn).count(turn.user_ref)
    key = secrets.token_hex(4)
    turn.place.data[ASKED] = key
    what = count(turn, "journal.delete_what", incidents)
    turn.show_screen(
        text(turn, "journal.delete_confirm", incidents=what),
        [
            Button(text(turn, "journal.btn_delete_yes"), jb.data(jb.DeleteYes(key))),
            Button(text(turn, "journal.btn_delete_no"), jb.data(jb.DeleteNo())),
        ],
    )


async def user_keeps_everything(turn: Turn, button: jb.DeleteNo) -> None:
    turn.place.data.pop(ASKED, None)
    turn.say("journal.delete_kept")
    await turn.show_current()


async def user_deletes_everything(turn: Turn, button: jb.DeleteYes) -> None:
    expected = turn.place.data.pop(ASKED, None)
    if expected is None or button.key != expected:
        turn.say("journal.delete_expired")
        await turn.show_current()
        return
    await erase_everything(turn)
    turn.drop_place = True
    turn.replies.clear()
    turn.say("journal.deleted")


async def erase_everything(turn: Turn) -> None:
    """Everything one user keeps: the journal, every feature's data (its erasers), the place.
    Used by /delete_my_data and by a forgotten PIN's planned erasure when it comes due."""
    store = store_of(turn)
    await store.delete_user(turn.user_ref)
    for erase in turn.engine.registry.erasers:
        await erase(turn)
    await turn.engine.store.delete_place(turn.user_ref)
    await store.scrub()
    turn.engine.forget(turn.user_ref)
