"""The place is typed and versioned; a place saved before (version-less or version 1) still loads,
so nobody loses where they were when the new code is deployed."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from bot.app import open_app
from bot.engine.place import PLACE_VERSION, KeptAnswer, Place, Section, Slot
from bot.settings import Settings
from tests.chat_client import ChatClient
from tests.conftest import mini_registry

# A place exactly as the engine saved it before version 2 (the engine's keys in `data`).
OLD_FORM = {
    "v": 1,
    "flow": "advice",
    "step": "first",
    "slots": {"survey": {"phone": {"v": "+447700900123", "d": "07700 900123"}}},
    "history": [["menu", "choose"], ["advice", "first"]],
    "data": {
        "welcomed": True,
        "_keys": ["tg:1", "tg:2"],
        "_answer": {"k": "tg:2", "r": [["Saved.", [], [], False, False]]},
        "_shown_buttons": [["Open", "j:l:0"]],
        "_off_history": True,
        "journal_people": ["Sam"],
    },
}


def test_the_old_form_reads_into_typed_parts() -> None:
    place = Place.from_json(OLD_FORM)
    assert (place.nav.flow, place.nav.step) == ("advice", "first")
    assert place.nav.history == [["menu", "choose"], ["advice", "first"]]
    assert place.nav.welcomed and place.nav.off_history
    assert place.nav.shown_buttons == [["Open", "j:l:0"]]
    assert place.replay.keys == ["tg:1", "tg:2"]
    assert place.replay.answer_for("tg:2") == [["Saved.", [], [], False, False]]
    assert place.replay.answer_for("tg:1") is None
    assert place.slot("survey", "phone") == Slot("+447700900123", "07700 900123")
    assert place.data == {"journal_people": ["Sam"]}  # a feature's keys are kept for it


def test_the_version_less_form_reads_too() -> None:
    old = {k: v for k, v in OLD_FORM.items() if k != "v"}
    assert Place.from_json(old).nav.step == "first"


def test_the_new_form_is_versioned_and_round_trips() -> None:
    stored = Place.from_json(OLD_FORM).to_json()
    assert stored["v"] == PLACE_VERSION
    assert "welcomed" not in stored.get("data", {})  # the engine writes no string keys into data
    again = Place.from_json(stored)
    assert again.to_json() == stored


@dataclass
class Notes:
    people: list[str] = field(default_factory=list)
    editing: bool = False


NOTES = Section("notes", Notes, legacy=lambda data: Notes(people=data.get("journal_people", [])))


def test_a_feature_section_is_typed_saved_and_read_from_legacy_keys() -> None:
    place = Place.from_json(OLD_FORM)
    notes = place.state(NOTES)
    assert notes.people == ["Sam"]  # read once from the keys the feature kept before
    notes.editing = True
    again = Place.from_json(place.to_json())
    assert again.state(NOTES) == Notes(people=["Sam"], editing=True)
    assert Place().state(NOTES) == Notes()  # defaults for someone new


def test_a_new_place_is_stored_in_few_bytes() -> None:
    """Sealed and written every turn: what a new place has anyway is left out."""
    place = Place("menu", "choose")
    place.state(NOTES)  # read, but still at its defaults
    assert place.to_json() == {
        "v": PLACE_VERSION,
        "nav": {"flow": "menu", "step": "choose", "history": []},
    }


CHANGES: dict[str, Callable[[Place], None]] = {
    "off history": lambda p: setattr(p.nav, "off_history", True),
    "welcomed": lambda p: setattr(p.nav, "welcomed", True),
    "feature buttons": lambda p: setattr(p.nav, "shown_buttons", [["Open", "j:l:1"]]),
    "an answer": lambda p: p.set_slot("survey", "name", Slot("Sam", "Sam")),
    "a handled event": lambda p: p.replay.add("tg:9"),
    "a kept answer": lambda p: setattr(
        p.replay, "kept", KeptAnswer("tg:9", [["Saved.", [], [], False, False]])
    ),
    "a section": lambda p: setattr(p.state(NOTES), "editing", True),
    "a feature's old key": lambda p: p.data.update(lock_ask={"do": "set"}),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_what_differs_from_a_new_place_comes_back(change: Callable[[Place], None]) -> None:
    place = Place("menu", "choose")
    change(place)
    again = Place.from_json(json.loads(json.dumps(place.to_json())))
    assert (again.nav, again.slots, again.replay, again.data) == (
        place.nav,
        place.slots,
        place.replay,
        place.data,
    )
    assert again.state(NOTES) == place.state(NOTES)
    assert again.to_json() != Place("menu", "choose").to_json()


async def test_a_user_saved_in_the_old_form_carries_on(mini_settings: Settings) -> None:
    app = await open_app(mini_settings, mini_registry([]))
    try:
        ref = app.conversations.user_ref("t:old")
        data = {"welcomed": True, "_keys": ["tg:1"], "journal_people": ["Sam"]}
        await app.conversations.save_place(ref, {**OLD_FORM, "data": data})
        chat = ChatClient(app.engine, "t:old")
        await chat.send("/back")  # their history came back: Back leads to the menu they saw
        assert (await app.engine.place_of("t:old")).nav.step == "choose"
        await chat.send("/start")
        saved = await app.conversations.load_place(ref)
        assert saved is not None and saved["v"] == PLACE_VERSION
        assert saved["nav"]["welcomed"] is True
    finally:
        await app.close()
