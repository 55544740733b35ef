"""The journal's code and its flows agree: a step the code sends people to, renamed in the YAML,
stops start-up naming the flow file and the code that needs it (it used to send the person to
the menu without a word), and the choices the code reads are the flow's own."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.app import build_registry, load_checked_project
from bot.flows.loader import Project
from bot.flows.problems import ProjectInvalid
from bot.journal import steps
from bot.journal.common import RECORD
from bot.journal.render import SLOT_TO_FIELD
from bot.settings import Settings

STEPS_FILE = Path(steps.__file__)


@pytest.fixture(scope="module")
def project() -> Project:
    return load_checked_project(Settings(data_dir=Path("unused")), build_registry())


def renamed(tmp_path: Path, flow_file: str, step: str) -> Settings:
    """The real flows, with one step of `flow_file` renamed everywhere the YAML names it."""
    real = Settings(data_dir=tmp_path / "data")
    flows = tmp_path / "flows"
    shutil.copytree(real.flows_dir, flows)
    path = flows / flow_file
    text = path.read_text(encoding="utf-8")
    changed = re.sub(
        rf"(id|next|on_yes|on_no|on_error): {step}$", rf"\1: {step}_renamed", text, flags=re.M
    )
    assert changed != text
    path.write_text(changed, encoding="utf-8")
    return Settings(data_dir=tmp_path / "data", flows_dir=flows, content_dir=real.content_dir)


@pytest.mark.parametrize(
    ("flow_file", "step"),
    [
        ("record_incident.yaml", steps.ASK_WHO),
        ("record_incident.yaml", steps.ASK_WHEN),
        ("record_incident.yaml", steps.SUMMARY),
        ("incident_details.yaml", steps.ASK_NOTE),
    ],
)
def test_a_journal_step_renamed_in_the_yaml_stops_start_up(
    tmp_path: Path, flow_file: str, step: str
) -> None:
    with pytest.raises(ProjectInvalid) as refused:
        load_checked_project(renamed(tmp_path, flow_file, step), build_registry())
    needs = [p for p in refused.value.problems if f"needs step '{step}'" in p.message]
    assert len(needs) == 1, str(refused.value)
    [problem] = needs
    assert problem.path.name == flow_file and problem.line >= 1
    assert f"{STEPS_FILE}:" in problem.message  # the line of the code that needs it
    declared = int(problem.message.split(f"{STEPS_FILE}:")[1].split(")")[0])
    assert "needs_steps" in STEPS_FILE.read_text().splitlines()[declared - 1]


def test_the_kinds_the_questions_follow_are_the_flows_kinds(project: Project) -> None:
    offered = {c.value for c in project.flows[RECORD].steps[steps.ASK_KIND].choices}
    for question, kinds in steps.ASKED_FOR.items():
        assert kinds <= offered, question


def test_every_answer_that_can_be_changed_has_its_question(project: Project) -> None:
    record = project.flows[RECORD].steps
    for choice in record[steps.CHANGE_WHICH].choices:
        slot = {"contact": "number", "evidence": None}.get(choice.value, choice.value)
        if slot is not None:
            assert slot in SLOT_TO_FIELD, choice.value
            assert record[steps.ask(slot)].collect == slot, choice.value
    for slot in SLOT_TO_FIELD:
        assert record[steps.ask(slot)].collect == slot
