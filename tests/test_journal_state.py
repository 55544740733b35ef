"""The journal keeps its per-person state in its own typed section of the place; a person whose
place was saved before (the journal's `journal_*` and `lock_ask` keys in the untyped data)
carries on where they were: their unfinished record, the people they named, a PIN prompt."""

from __future__ import annotations

from bot.app import App
from bot.engine.place import Place
from bot.journal.lock_state import PROMPT
from bot.journal.state import JOURNAL
from tests.chat_client import ChatClient
from tests.journal_support import journal_app_fixture  # noqa: F401

# The journal's part of a place as it was saved before the sections (an unfinished record with
# two answers, two people named before, an offer held under a key).
OLD_DATA = {
    "welcomed": True,
    "journal_draft": {
        "_draft": {"v": "0123456789abcdef", "d": ""},
        "kind": {"v": "followed", "d": "Followed or watched"},
        "where": {"v": "outside the gym", "d": "outside the gym"},
    },
    "journal_people": ["my ex-partner", "Sam"],
    "journal_offer": {"k": "a1b2c3d4", "t": "he rang again", "ff": None, "fd": None},
    "journal_target": 4,
}


def test_the_old_keys_move_into_the_typed_section_and_leave_the_data() -> None:
    place = Place.from_json({"flow": "menu", "step": "choose", "data": dict(OLD_DATA)})
    state = place.state(JOURNAL)
    assert state.people == ["my ex-partner", "Sam"]
    assert state.kept_draft()["where"].value == "outside the gym"
    assert (state.offer_key, state.offer_text) == ("a1b2c3d4", "he rang again")
    assert state.target == 4
    assert not any(key.startswith("journal_") for key in place.data)
    saved = place.to_json()
    again = Place.from_json(saved).state(JOURNAL)  # stored as the section from now on
    assert again.people == state.people and again.kept_draft() == state.kept_draft()


def test_an_old_pin_prompt_is_still_waiting_for_its_digits() -> None:
    place = Place.from_json({"flow": "menu", "step": "choose", "data": {"lock_ask": {"do": "set"}}})
    assert place.state(PROMPT).asking == "set"
    assert "lock_ask" not in place.data


async def test_a_person_saved_in_the_old_form_carries_on_their_record(app: App) -> None:
    chat = ChatClient(app.engine, "tg:old-form")
    ref = app.engine.store.user_ref(chat.user_id)
    old = {"v": 1, "flow": "menu", "step": "choose", "slots": {}, "history": [], "data": OLD_DATA}
    await app.conversations.save_place(ref, old)
    await chat.send("/record")
    assert "You have a record you did not finish" in chat.text
    await chat.click("Carry on")
    assert "Where: outside the gym" in chat.text
    await chat.click("Save")
    assert "Saved in your diary" in chat.text
    await chat.send("/record")
    await chat.click("Something else")
    assert "my ex-partner" in chat.buttons and "Sam" in chat.buttons  # named before
