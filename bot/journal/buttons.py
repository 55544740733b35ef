"""The journal's button data (`j:`): one small dataclass per kind of button, one codec.

A button's data is `j:` + its code + its fields, joined by `:` (`j:v:12` opens incident 12,
`j:f:to:7:12` puts waiting file 7 into incident 12). `data(button)` writes it and `decode(data)`
reads it back, checking every field: a number must be one SQLite can hold, and a wrong count of
fields or an unknown code reads as None. Which handler a kind goes to is one table
(`bot.journal.pressing`); nothing else splits button data by hand.

Button data comes back from the phone and can be forged: every id read here is still checked
against its owner by the store, and a forged or foreign incident id reads as "not found".
Telegram keeps at most 64 bytes of data: the longest here (`j:f:to:` and two 19-digit ids) is 46.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

PREFIX = "j:"


class JournalButton:
    """A kind of journal button; `code` is what follows `j:` before its fields."""

    __slots__ = ()
    code: ClassVar[str]


@dataclass(frozen=True, slots=True)
class ListPage(JournalButton):
    """A page of the list of incidents, newest first (0 is the newest)."""

    code: ClassVar[str] = "l"
    page: int


@dataclass(frozen=True, slots=True)
class AboutAnIncident(JournalButton):
    """A button about one saved incident: its handler is given the incident, found for its owner
    (bot/journal/pressing.py)."""

    incident_id: int


@dataclass(frozen=True, slots=True)
class OpenIncident(AboutAnIncident):
    code: ClassVar[str] = "v"


@dataclass(frozen=True, slots=True)
class AddNote(AboutAnIncident):
    code: ClassVar[str] = "n"


@dataclass(frozen=True, slots=True)
class AddPolice(AboutAnIncident):
    """Add a police crime reference and officer."""

    code: ClassVar[str] = "p"


@dataclass(frozen=True, slots=True)
class Correct(AboutAnIncident):
    code: ClassVar[str] = "c"


@dataclass(frozen=True, slots=True)
class ChangeWhen(AboutAnIncident):
    """ "Change when" after a quick save: a correction of that one answer."""

    code: ClassVar[str] = "w"


@dataclass(frozen=True, slots=True)
class KnownPerson(JournalButton):
    """ "Do you know who it is?": a person named before (their index), `new` or `skip`."""

    code: ClassVar[str] = "k"
    choice: str


@dataclass(frozen=True, slots=True)
class SaveOffered(JournalButton):
    """Keep the typed message held under `key` as an incident."""

    code: ClassVar[str] = "o:save"
    key: str


@dataclass(frozen=True, slots=True)
class DeclineOffer(JournalButton):
    code: ClassVar[str] = "o:no"
    key: str


@dataclass(frozen=True, slots=True)
class FileToNew(JournalButton):
    """A waiting file starts a new guided record."""

    code: ClassVar[str] = "f:new"
    file_id: int


@dataclass(frozen=True, slots=True)
class FileTo(JournalButton):
    """A waiting file goes into a saved incident."""

    code: ClassVar[str] = "f:to"
    file_id: int
    incident_id: int


@dataclass(frozen=True, slots=True)
class DropFile(JournalButton):
    code: ClassVar[str] = "f:drop"
    file_id: int


@dataclass(frozen=True, slots=True)
class DeleteYes(JournalButton):
    """Delete everything, confirmed with the key the question was asked with."""

    code: ClassVar[str] = "d:yes"
    key: str


@dataclass(frozen=True, slots=True)
class DeleteNo(JournalButton):
    code: ClassVar[str] = "d:no"


KINDS: dict[str, type[JournalButton]] = {
    kind.code: kind
    for kind in (
        ListPage,
        OpenIncident,
        AddNote,
        AddPolice,
        Correct,
        ChangeWhen,
        KnownPerson,
        SaveOffered,
        DeclineOffer,
        FileToNew,
        FileTo,
        DropFile,
        DeleteYes,
        DeleteNo,
    )
}
# Codes of the kinds about an incident: a forged one reads as "not found", like a foreign id.
ABOUT_AN_INCIDENT = tuple(k.code for k in KINDS.values() if issubclass(k, AboutAnIncident))


def data(button: JournalButton) -> str:
    """The button's data, as the channel sends it back."""
    values = [str(getattr(button, f.name)) for f in fields(button)]  # type: ignore[arg-type]
    return PREFIX + ":".join([button.code, *values])


def decode(raw: str) -> JournalButton | None:
    """The button `raw` was made from, or None (not a journal button, or malformed/forged)."""
    if not raw.startswith(PREFIX):
        return None
    parts = raw[len(PREFIX) :].split(":")
    for length in (2, 1):  # codes are one or two parts: "l", "f:to"
        kind = KINDS.get(":".join(parts[:length]))
        if kind is not None:
            return _build(kind, parts[length:])
    return None


def code_of(raw: str) -> str:
    """The first part of the code of button data (`v` for `j:v:12`), whatever follows it."""
    return raw[len(PREFIX) :].split(":", 1)[0]


def _build(kind: type[JournalButton], values: list[str]) -> JournalButton | None:
    expected = fields(kind)  # type: ignore[arg-type]
    if len(values) != len(expected):
        return None
    read: list[int | str] = []
    for field, raw in zip(expected, values, strict=True):
        if field.type in (int, "int"):
            number = as_int(raw)
            if number is None:
                return None
            read.append(number)
        else:
            read.append(raw)
    return kind(*read)


def as_int(raw: str) -> int | None:
    """A number from a button or a command; None if it is not one SQLite can hold (forged)."""
    try:
        number = int(raw)
    except ValueError:
        return None
    return number if -(2**63) <= number < 2**63 else None
