"""The journal's button data: every kind written and read back whole, and forged or malformed data
read as nothing (never as another button, never as a number SQLite cannot hold)."""

from __future__ import annotations

import pytest

from bot.journal import buttons as jb

EVERY_KIND = [
    (jb.ListPage(2), "j:l:2"),
    (jb.OpenIncident(12), "j:v:12"),
    (jb.AddNote(12), "j:n:12"),
    (jb.AddPolice(12), "j:p:12"),
    (jb.Correct(12), "j:c:12"),
    (jb.ChangeWhen(12), "j:w:12"),
    (jb.KnownPerson("new"), "j:k:new"),
    (jb.SaveOffered("a1b2c3d4"), "j:o:save:a1b2c3d4"),
    (jb.DeclineOffer("a1b2c3d4"), "j:o:no:a1b2c3d4"),
    (jb.FileToNew(7), "j:f:new:7"),
    (jb.FileTo(7, 12), "j:f:to:7:12"),
    (jb.DropFile(7), "j:f:drop:7"),
    (jb.DeleteYes("a1b2c3d4"), "j:d:yes:a1b2c3d4"),
    (jb.DeleteNo(), "j:d:no"),
]


@pytest.mark.parametrize(("button", "data"), EVERY_KIND, ids=[d for _, d in EVERY_KIND])
def test_every_kind_is_written_as_before_and_read_back(button: jb.JournalButton, data: str) -> None:
    assert jb.data(button) == data  # the data phones already hold still works
    assert jb.decode(data) == button


def test_every_kind_is_in_the_table() -> None:
    assert {type(b) for b, _ in EVERY_KIND} == set(jb.KINDS.values())


@pytest.mark.parametrize(
    "forged",
    [
        "j:v:not-a-number",
        f"j:v:{2**64}",
        f"j:v:-{2**63 + 1}",
        "j:v:²",
        f"j:l:{2**70}",
        "j:v",
        "j:v:1:2",
        "j:f:to:7",
        "j:f:new:7:12",
        "j:d:yes",
        "j:zz",
        "j:",
        "k:now",
    ],
)
def test_forged_or_malformed_data_reads_as_nothing(forged: str) -> None:
    assert jb.decode(forged) is None


def test_the_longest_button_fits_telegrams_64_bytes() -> None:
    biggest = jb.data(jb.FileTo(2**63 - 1, 2**63 - 1))
    assert len(biggest.encode()) <= 64
