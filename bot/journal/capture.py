"""Quick capture: an incident from one message. `/log <text>`, and the offer to keep typed or
forwarded text that no question asked for ("Save it" / "Don't keep it").

When it happened: the channel's date of a forwarded message (exact), else a time phrase in the
text, else "not given"; never the time of saving, which is kept apart as when it was recorded.
The offered text is held (sealed, with the place: `JournalState.offer_*`) under a one-time key until a button saves or
drops it; an old button whose key is gone says so and saves nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from bot.engine.events import Button, Kind
from bot.engine.slots import clean_text
from bot.engine.turn import Turn
from bot.journal import buttons as jb
from bot.journal.common import (
    DETAILS,
    FUTURE_SLACK,
    RECORD,
    limits_of,
    saving,
    state_of,
    store_of,
)
from bot.journal.render import when_with_words
from bot.journal.when import EXACT, When, read_when

NO_OFFER_FLOWS = {RECORD, DETAILS, "emergency", "start"}


async def log_command(turn: Turn) -> None:
    """`/log <text>`: save at once; when it happened is read from the text, or "not given"."""
    typed = clean_text(turn.event.args)
    if not typed:
        turn.say("journal.log_usage")
        return
    await _quick_save(turn, typed, None, None)


async def _quick_save(
    turn: Turn, typed: str, forwarded_from: str | None, forwarded_date: str | None
) -> None:
    """Save one message as an incident, then say so (after the commit)."""
    limit = limits_of(turn).incidents
    if await store_of(turn).count(turn.user_ref) >= limit:
        turn.say("journal.limit_incidents", limit=str(limit))
        return
    fields: dict[str, Any] = {"description": typed, "source": "quick"}
    fields["occurred_at"] = _quick_when(turn, typed, forwarded_date).to_dict()
    if forwarded_from or forwarded_date:
        fields["forwarded_from"] = forwarded_from
        fields["forwarded_date"] = forwarded_date
        fields["source"] = "forwarded"
    # The channel's key for this event: the same /log delivered twice saves one incident.
    key = f"event:{turn.event.key}" if turn.event.key else None
    with saving("quick save"):
        saved = await store_of(turn).create(turn.user_ref, fields, now=turn.now, draft_key=key)
    reading = when_with_words(turn.catalog, fields["occurred_at"])
    turn.show_screen(
        turn.text("journal.logged", number=str(saved.number), when=reading),
        [
            Button(turn.text("journal.btn_change_when"), jb.data(jb.ChangeWhen(saved.id))),
            Button(turn.text("journal.btn_add_details"), jb.data(jb.OpenIncident(saved.id))),
        ],
    )
    turn.keep_answer = True  # delivered again, the same "Saved as incident N" is said again


def _quick_when(turn: Turn, typed: str, forwarded_date: str | None) -> When:
    if forwarded_date:
        moment = dt.datetime.fromisoformat(forwarded_date).astimezone(dt.UTC)
        return When(EXACT, "", moment)
    found = read_when(typed, turn.now, within=True)
    if found is None or found.start is None or found.start > turn.now + FUTURE_SLACK:
        return When("not_given", "")
    return found


async def text_fallback(turn: Turn) -> bool:
    """Unexpected plain text outside a question: offer to keep it as an incident."""
    # after a danger message too: the offer stays above the emergency screen (nothing lost)
    if turn.event.kind != Kind.TEXT:
        return False
    if turn.flow in NO_OFFER_FLOWS:
        return False
    step = turn.step
    if step is not None and step.kind == "question":
        return False  # the engine asks the question again, with examples
    return offer_to_keep(turn)


def offer_to_keep(turn: Turn, also: list[Button] | None = None, note: str = "") -> bool:
    """Offer to keep the typed message as an incident; `also` (e.g. advice that fits) is offered
    after "Save it", `note` said under the question. False if there is nothing to keep."""
    key = _hold_offer(turn)
    if key is None:
        return False
    forwarded = turn.event.forwarded_from or turn.event.forwarded_date
    question = turn.text("journal.offer_forwarded" if forwarded else "journal.offer_text")
    turn.show_screen(
        f"{question}\n\n{note}" if note else question,
        [
            Button(turn.text("journal.btn_offer_save"), jb.data(jb.SaveOffered(key))),
            *(also or []),
            Button(turn.text("journal.btn_offer_no"), jb.data(jb.DeclineOffer(key))),
        ],
    )
    return True


def save_instead_button(turn: Turn, label: str) -> Button | None:
    """A button that keeps the typed message as an incident (offered beside advice)."""
    key = _hold_offer(turn)
    return Button(label, jb.data(jb.SaveOffered(key))) if key else None


def _hold_offer(turn: Turn) -> str | None:
    """Hold the typed message (sealed with the place) until a button saves or drops it."""
    typed = clean_text(turn.event.text)
    if not typed:
        return None
    key = secrets.token_hex(4)
    date = turn.event.forwarded_date
    forwarded_date = date.astimezone(dt.UTC).isoformat() if date else None
    state_of(turn).hold_offer(key, typed, turn.event.forwarded_from, forwarded_date)
    return key


async def user_answers_the_offer(turn: Turn, button: jb.SaveOffered | jb.DeclineOffer) -> None:
    state = state_of(turn)
    if state.offer_key is None or state.offer_key != button.key:
        turn.say("journal.offer_gone")
        await turn.show_current()
        return
    if isinstance(button, jb.SaveOffered):
        # a save that fails raises before the offer is let go: "Save it" works again
        typed, sender, date = (
            state.offer_text,
            state.offer_forwarded_from,
            state.offer_forwarded_date,
        )
        await _quick_save(turn, typed, sender, date)
        state.drop_offer()
    else:
        state.drop_offer()
        turn.say("journal.offer_declined")
        await turn.show_current()
