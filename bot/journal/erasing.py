"""Erasing: `/delete_my_data` ("Delete everything"), asked once with a one-time key, and
`erase_everything`, which the forgotten-PIN erasure (bot/journal/lock.py) uses too.

Everything one person keeps goes: the journal (rows and sealed files), every other feature's data
(its eraser, declared on the registry), the person's place; then the freed pages are scrubbed.
"""

from __future__ import annotations

import secrets

from bot.engine.events import Button
from bot.engine.turn import Turn
from bot.journal import buttons as jb
from bot.journal.common import state_of, store_of


async def delete_command(turn: Turn) -> None:
    incidents = await store_of(turn).count(turn.user_ref)
    key = secrets.token_hex(4)
    state_of(turn).delete_key = key
    what = turn.count("journal.delete_what", incidents)
    turn.show_screen(
        turn.text("journal.delete_confirm", incidents=what),
        [
            Button(turn.text("journal.btn_delete_yes"), jb.data(jb.DeleteYes(key))),
            Button(turn.text("journal.btn_delete_no"), jb.data(jb.DeleteNo())),
        ],
    )


async def user_keeps_everything(turn: Turn, button: jb.DeleteNo) -> None:
    state_of(turn).delete_key = None
    turn.say("journal.delete_kept")
    await turn.show_current()


async def user_deletes_everything(turn: Turn, button: jb.DeleteYes) -> None:
    state = state_of(turn)
    expected, state.delete_key = state.delete_key, None
    if expected is None or button.key != expected:
        turn.say("journal.delete_expired")
        await turn.show_current()
        return
    await erase_everything(turn)
    turn.drop_place = True
    turn.replies.clear()
    turn.say("journal.deleted")


async def erase_everything(turn: Turn) -> None:
    """Everything one user keeps: the journal, every feature's data (its erasers), the place,
    then the freed pages scrubbed. Used by /delete_my_data and by a forgotten PIN's planned
    erasure when it comes due."""
    await turn.erase_user()


async def erase_journal(turn: Turn) -> None:
    """The journal's eraser (declared first, so it runs first): every incident and file."""
    await store_of(turn).delete_user(turn.user_ref)


async def scrub(turn: Turn) -> None:
    """After every eraser and the place: the freed pages of the database are overwritten."""
    await store_of(turn).scrub()
