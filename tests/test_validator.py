"""The validator rejects each kind of defect, naming the file, the line and the step."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.engine.slots import SLOT_TYPES
from bot.flows.loader import load_project
from bot.flows.problems import ProjectInvalid
from tests.mini_project import write_mini_project


def load(flows: Path, content: Path, actions: frozenset[str] = frozenset({"remember"})):
    return load_project(flows, content, known_types=set(SLOT_TYPES), known_actions=set(actions))


def problems_after(tmp_path: Path, file: str, old: str, new: str) -> list[str]:
    flows, content = write_mini_project(tmp_path)
    path = (
        flows if file.endswith(".yaml") and "/" not in file and (flows / file).exists() else content
    ) / file
    text = path.read_text()
    assert old in text, f"fixture has no {old!r}"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ProjectInvalid) as caught:
        load(flows, content)
    return [str(p) for p in caught.value.problems]


def line_of(tmp_path: Path, file: str, needle: str) -> int:
    flows, content = tmp_path / "flows", tmp_path / "content"
    path = flows / file if (flows / file).exists() else content / file
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_mini_project_is_valid(tmp_path: Path) -> None:
    flows, content = write_mini_project(tmp_path)
    project = load(flows, content)
    assert project.problems == []
    assert set(project.flows) == {"start", "menu", "emergency", "advice", "survey"}


def test_yaml_syntax_error(tmp_path: Path) -> None:
    found = problems_after(tmp_path, "advice.yaml", "say: t.first", "say: [t.first")
    assert any("advice.yaml:" in p and "YAML syntax" in p for p in found), found


def test_python_tag_is_refused(tmp_path: Path) -> None:
    found = problems_after(
        tmp_path, "advice.yaml", "say: t.first", "say: !!python/object/apply:os.system ['id']"
    )
    assert any("advice.yaml" in p and "YAML syntax" in p for p in found), found


def test_unknown_key(tmp_path: Path) -> None:
    found = problems_after(tmp_path, "advice.yaml", "say: t.third", "say: t.third\n    colour: red")
    line = line_of(tmp_path, "advice.yaml", "colour: red")
    assert f"advice.yaml:{line}: step 'third': unknown key 'colour' for a screen step" in "\n".join(
        found
    )


def test_missing_target_step(tmp_path: Path) -> None:
    found = problems_after(tmp_path, "advice.yaml", "next: second", "next: secnod")
    line = line_of(tmp_path, "advice.yaml", "- label: t.more")
    assert any(
        f"advice.yaml:{line}: step 'first': 'secnod' is not a step of this flow" in p for p in found
    ), found


def test_missing_target_flow(tmp_path: Path) -> None:
    found = problems_after(tmp_path, "menu.yaml", "flow: advice", "flow: advise")
    assert any(
        "menu.yaml:" in p and "step 'choose'" in p and "flow 'advise' does not exist" in p
        for p in found
    ), found


def test_missing_step_in_other_flow(tmp_path: Path) -> None:
    found = problems_after(tmp_path, "advice.yaml", "at: ask_phone", "at: ask_fone")
    assert any("step 'second'" in p and "flow 'survey' has no step 'ask_fone'" in p for p in found)


def test_unknown_content_key(tmp_path: Path) -> None:
    found = problems_after(tmp_path, "advice.yaml", "say: t.third", "say: t.thrid")
    line = line_of(tmp_path, "advice.yaml", "- id: third")
    assert f"advice.yaml:{line}: step 'third': unknown content key 't.thrid'" in "\n".join(found)


def test_unknown_contact(tmp_path: Path) -> None:
    found = problems_after(tmp_path, "texts.yaml", "{contact:helpline}", "{contact:helpfine}")
    assert any("texts.yaml:" in p and "unknown contact 'helpfine'" in p for p in found), found


def test_number_typed_into_a_text(tmp_path: Path) -> None:
    found = problems_after(tmp_path, "texts.yaml", "{contact:helpline}", "0808 000 0000")
    assert any("number '0808 000 0000' typed in the text" in p for p in found), found


def test_unreachable_state(tmp_path: Path) -> None:
    found = problems_after(
        tmp_path,
        "advice.yaml",
        "  - id: third",
        "  - id: orphan\n    say: t.third\n    next: menu\n  - id: third",
    )
    line = line_of(tmp_path, "advice.yaml", "- id: orphan")
    assert f"advice.yaml:{line}: step 'orphan': unreachable" in "\n".join(found)


def test_dead_end(tmp_path: Path) -> None:
    found = problems_after(
        tmp_path, "advice.yaml", "    say: t.third\n    next: menu", "    say: t.third"
    )
    line = line_of(tmp_path, "advice.yaml", "- id: third")
    assert f"advice.yaml:{line}: step 'third': dead end" in "\n".join(found)


def test_unregistered_action(tmp_path: Path) -> None:
    found = problems_after(tmp_path, "survey.yaml", "action: remember", "action: save_everything")
    line = line_of(tmp_path, "survey.yaml", "- id: save")
    assert (
        f"survey.yaml:{line}: step 'save': action 'save_everything' is not registered in code"
        in "\n".join(found)
    )


def test_duplicate_step_id(tmp_path: Path) -> None:
    found = problems_after(tmp_path, "advice.yaml", "  - id: third", "  - id: second")
    line = line_of(tmp_path, "advice.yaml", "say: t.third") - 1
    assert f"advice.yaml:{line}: step 'second': duplicate step id" in "\n".join(found)


def test_duplicate_text_id(tmp_path: Path) -> None:
    flows, content = write_mini_project(tmp_path)
    (content / "more.yaml").write_text('t.first:\n  text: "Again"\n  source: test\n  section: X\n')
    with pytest.raises(ProjectInvalid) as caught:
        load(flows, content)
    message = str(caught.value)
    assert "texts.yaml:" in message and "duplicate text id 't.first'" in message
    assert "(first in " in message and "more.yaml:1)" in message


def test_wrong_types_and_missing_keys_never_crash(tmp_path: Path) -> None:
    flows, content = write_mini_project(tmp_path)
    for body in [
        "[]",
        "flow: 3",
        "flow: advice\nstart: 1\nsteps: {}",
        "steps:\n  - 3\n  - {id: X}",
        "",
        "~",
    ]:
        (flows / "advice.yaml").write_text(body)
        with pytest.raises(ProjectInvalid) as caught:
            load(flows, content)
        assert "advice.yaml" in str(caught.value)


def test_text_without_source(tmp_path: Path) -> None:
    found = problems_after(tmp_path, "texts.yaml", "  source: test\n  section: Tests\n", "\n")
    assert any("texts.yaml:2: text 't.start' has no source" in p for p in found), found


def test_the_project_itself_is_valid() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "validate"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK:")


def test_cli_names_file_line_and_step_and_refuses_to_start(tmp_path: Path) -> None:
    flows, content = write_mini_project(tmp_path / "p")
    path = flows / "advice.yaml"
    path.write_text(path.read_text().replace("say: t.third", "say: t.thrid"))
    args = ["--flows-dir", str(flows), "--content-dir", str(content)]
    result = subprocess.run(
        [sys.executable, "-m", "bot", "validate", *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert f"{path}:" in result.stderr and "step 'third'" in result.stderr
    env_run = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--data-dir", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=60,
        input="",
        env={
            "SAFETY_BOT_FLOWS_DIR": str(flows),
            "SAFETY_BOT_CONTENT_DIR": str(content),
            "PATH": "",
        },
    )
    assert env_run.returncode == 2
    assert "unknown content key 't.thrid'" in env_run.stderr
    assert "Traceback" not in env_run.stderr
    assert not (tmp_path / "d" / "safety-bot.db").exists()


def test_option_running_an_unregistered_command(tmp_path: Path) -> None:
    found = problems_after(tmp_path, "menu.yaml", "flow: advice", "command: frobnicate")
    assert any(
        "step 'choose'" in p and "command '/frobnicate' is not registered" in p for p in found
    )


def test_option_with_two_targets(tmp_path: Path) -> None:
    found = problems_after(
        tmp_path, "menu.yaml", "flow: advice", "flow: advice\n        command: help"
    )
    assert any("exactly one of 'next', 'flow' or 'command'" in p for p in found), found
