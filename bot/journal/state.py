"""What the journal keeps for one person between events: its own typed section of their place
(`turn.state(JOURNAL)`), sealed with the place by the conversation store.

A draft's answers are not here: they are the record flow's slots (bot/journal/drafting.py).
Here is what waits beside them: a copy of an unfinished new record, the saved incident the
details flow works on, a typed message offered for keeping, the key "Delete everything" was
asked with, and the people named before.

Places saved before this section existed kept these as `journal_*` keys of the place's untyped
data; `_from_old_keys` moves them here the first time the person comes back, and they are gone
from the data after that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.engine.place import Section, Slot

MAX_KNOWN_PEOPLE = 6


@dataclass(slots=True)
class JournalState:
    # the unfinished new record's answers, kept aside (slot name -> `Slot.stored()`), so that
    # "Record what happened" offers to carry on with it
    draft: dict[str, Any] | None = None
    editing: bool = False  # changing one answer: back to the summary after it
    target: int | None = None  # the saved incident the details flow works on (its id)
    # a typed message offered for keeping, under a one-time key, until a button answers
    offer_key: str | None = None
    offer_text: str = ""
    offer_forwarded_from: str | None = None
    offer_forwarded_date: str | None = None  # ISO, UTC
    delete_key: str | None = None  # the key "Delete everything" was asked with
    people: list[str] = field(default_factory=list)  # who the person named before, newest first

    def kept_draft(self) -> dict[str, Slot]:
        return {name: Slot.of(entry) for name, entry in (self.draft or {}).items()}

    def keep_draft(self, slots: dict[str, Slot]) -> None:
        self.draft = {name: slot.stored() for name, slot in slots.items()}

    def hold_offer(
        self, key: str | None, text: str, forwarded_from: str | None, date: str | None
    ) -> None:
        self.offer_key, self.offer_text = key, text
        self.offer_forwarded_from, self.offer_forwarded_date = forwarded_from, date

    def drop_offer(self) -> None:
        self.hold_offer(None, "", None, None)

    def remember_person(self, who: str) -> None:
        known = [k for k in self.people if k.casefold() != who.casefold()]
        self.people = [who, *known][:MAX_KNOWN_PEOPLE]


# The untyped keys of before (read once, then removed from the place's data).
_OLD_KEYS = (
    "journal_draft",
    "journal_editing",
    "journal_target",
    "journal_offer",
    "journal_delete",
    "journal_people",
)


def _from_old_keys(data: dict[str, Any]) -> JournalState | None:
    if not any(key in data for key in _OLD_KEYS):
        return None
    old = {key: data.pop(key) for key in _OLD_KEYS if key in data}
    offer = old.get("journal_offer") or {}
    target = old.get("journal_target")
    return JournalState(
        draft=old.get("journal_draft") or None,
        editing=bool(old.get("journal_editing")),
        target=int(target) if target is not None else None,
        offer_key=offer.get("k"),
        offer_text=str(offer.get("t") or ""),
        offer_forwarded_from=offer.get("ff"),
        offer_forwarded_date=offer.get("fd"),
        delete_key=old.get("journal_delete"),
        people=list(old.get("journal_people") or []),
    )


JOURNAL: Section[JournalState] = Section("journal", JournalState, legacy=_from_old_keys)
