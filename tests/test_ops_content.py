"""`safety-bot content report`: every text and number with its source, section and review date;
items reviewed a review period ago (default 12 months) or never are flagged."""

from __future__ import annotations

import csv
import datetime as dt
import io
import textwrap

import pytest

from bot.cli import main
from bot.ops.cli import _load_lenient
from bot.ops.content_report import DUE, FUTURE, NO_DATE, OK, build_report, months_before
from bot.settings import Settings

TODAY = dt.date(2026, 11, 28)


@pytest.fixture
def reviewed_settings(mini_settings: Settings) -> Settings:
    (mini_settings.content_dir / "reviewed.yaml").write_text(
        textwrap.dedent(
            """\
            r.fresh:
              text: Checked this summer.
              source: test
              section: Fresh advice
              reviewed: 2026-06-01
            r.old:
              text: Checked long ago.
              source: test
              section: Old advice
              reviewed: 2025-01-15
            r.boundary:
              text: Checked exactly a year ago.
              source: test
              section: Boundary
              reviewed: 2025-11-28
            r.future:
              text: A typo in the year.
              source: test
              section: Typo
              reviewed: 2062-11-28
            """
        )
    )
    return mini_settings


def test_months_before() -> None:
    assert months_before(dt.date(2026, 11, 28), 12) == dt.date(2025, 11, 28)
    assert months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2026, 1, 15), 1) == dt.date(2025, 12, 15)
    assert months_before(dt.date(2026, 1, 15), 25) == dt.date(2023, 12, 15)


def test_old_items_are_flagged(reviewed_settings: Settings) -> None:
    project = _load_lenient(reviewed_settings)
    items, cutoff = build_report(
        project.catalog, reviewed_settings.content_dir, months=12, today=TODAY
    )
    assert cutoff == dt.date(2025, 11, 28)
    status = {i.key: i.status for i in items}
    assert status["r.fresh"] == OK
    assert status["r.old"] == DUE
    assert status["r.boundary"] == DUE  # a full period has passed
    assert status["r.future"] == FUTURE
    assert status["t.first"] == NO_DATE  # the mini project's texts carry no date
    assert status["helpline"] == NO_DATE and any(i.kind == "contact" for i in items)
    old = next(i for i in items if i.key == "r.old")
    assert (old.source, old.section, old.reviewed) == ("test", "Old advice", dt.date(2025, 1, 15))
    assert old.path.name == "reviewed.yaml" and old.line == 6
    # flagged first, the oldest first among them
    assert [i.key for i in items[:2]] == ["r.old", "r.boundary"]
    assert len(items) == len(project.catalog.texts) + len(project.catalog.contacts)

    longer, _ = build_report(project.catalog, reviewed_settings.content_dir, months=24, today=TODAY)
    assert {i.key: i.status for i in longer}["r.old"] == OK


def test_cli_report_text_and_csv(
    reviewed_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    base = [
        "content",
        "report",
        "--flows-dir",
        str(reviewed_settings.flows_dir),
        "--content-dir",
        str(reviewed_settings.content_dir),
        "--as-of",
        TODAY.isoformat(),
    ]
    assert main(base) == 0
    out = capsys.readouterr().out
    assert "review period 12 months (reviewed on or before 2025-11-28 is due)" in out
    line = next(x for x in out.splitlines() if "r.old" in x)
    assert line.startswith("DUE") and "2025-01-15" in line and "Old advice" in line
    assert "reviewed.yaml:6" in line
    fresh = next(x for x in out.splitlines() if "r.fresh" in x)
    assert fresh.startswith("ok")
    assert "test: Test source" in out or "test:" in out.split("Sources:")[1]

    assert main([*base, "--flagged", "--months", "6"]) == 0
    flagged = capsys.readouterr().out
    assert "r.old" in flagged and "r.fresh" not in flagged.split("SOURCE", 1)[1]

    assert main([*base, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    by_key = {r["key"]: r for r in rows}
    assert by_key["r.old"]["status"] == "DUE" and by_key["r.old"]["section"] == "Old advice"
    assert by_key["r.fresh"]["reviewed"] == "2026-06-01"

    assert main([*base, "--strict"]) == 1  # for CI: anything flagged fails
    capsys.readouterr()
    assert main([*base, "--months", "0"]) == 2


def test_real_content_lists_every_item(project_settings: Settings) -> None:
    project = _load_lenient(project_settings)
    items, _ = build_report(project.catalog, project_settings.content_dir, today=TODAY)
    keys = {i.key for i in items}
    assert set(project.catalog.texts) <= keys and set(project.catalog.contacts) <= keys
    for item in items:
        assert item.source, item.key
        assert item.source == "bot" or item.section, item.key
