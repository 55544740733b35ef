"""tests/digest_cache.py: a kept measurement is read back only while every input is unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import digest_cache
from tests.digest_cache import measured_once


@pytest.fixture
def inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(digest_cache, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.delenv("SAFETY_BOT_TEST_CACHE", raising=False)
    folder = tmp_path / "content"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.yaml").write_text("one\n")
    return folder


def test_measured_again_when_any_file_under_an_input_changes(inputs: Path) -> None:
    runs: list[int] = []

    def measure() -> int:
        runs.append(1)
        return len(runs)

    assert measured_once("m", [inputs], ["numpy"], measure) == 1
    assert measured_once("m", [inputs], ["numpy"], measure) == 1  # read back, not measured
    (inputs / "sub" / "a.yaml").write_text("two\n")
    assert measured_once("m", [inputs], ["numpy"], measure) == 2
    (inputs / "sub" / "b.yaml").write_text("new file\n")
    assert measured_once("m", [inputs], ["numpy"], measure) == 3
    assert measured_once("m", [inputs], ["numpy", "PyYAML"], measure) == 4  # another library
    assert len(list(digest_cache.CACHE_DIR.glob("m-*.pickle"))) == 1  # the older ones go


def test_off_always_measures(inputs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFETY_BOT_TEST_CACHE", "off")
    runs: list[int] = []
    for _ in range(2):
        measured_once("m", [inputs], [], lambda: runs.append(1))
    assert len(runs) == 2
