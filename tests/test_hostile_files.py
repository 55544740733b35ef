"""Mutated flow and content files are rejected with a message: never a crash, never a half-valid bot."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine.slots import SLOT_TYPES
from bot.flows.loader import load_project
from bot.flows.problems import ProjectInvalid
from bot.settings import PROJECT_ROOT
from tests.mini_project import write_mini_project

JUNK = [
    None,
    0,
    -1,
    3.5,
    True,
    "",
    "x" * 300,
    [],
    {},
    [1, [2]],
    {"a": {"b": None}},
    "../../etc/passwd",
]


def load(flows: Path, content: Path):
    return load_project(flows, content, known_types=set(SLOT_TYPES), known_actions={"remember"})


def mutate(node: object, rng: random.Random) -> object:
    """Delete a key, change a type, or rename a key somewhere in the tree."""
    containers = []

    def walk(n: object) -> None:
        if isinstance(n, dict | list):
            containers.append(n)
            for child in n.values() if isinstance(n, dict) else n:
                walk(child)

    walk(node)
    if not containers:
        return rng.choice(JUNK)
    target = rng.choice(containers)
    if isinstance(target, dict) and target:
        key = rng.choice(list(target))
        action = rng.randrange(3)
        if action == 0:
            del target[key]
        elif action == 1:
            target[key] = rng.choice(JUNK)
        else:
            target[f"{key}_typo"] = target.pop(key)
    elif isinstance(target, list) and target:
        index = rng.randrange(len(target))
        if rng.random() < 0.5:
            del target[index]
        else:
            target[index] = rng.choice(JUNK)
    return node


@pytest.mark.slow
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1), mutations=st.integers(1, 4))
def test_random_mutations_never_crash(
    tmp_path_factory: pytest.TempPathFactory, seed: int, mutations: int
) -> None:
    rng = random.Random(seed)
    root = tmp_path_factory.mktemp("m")
    flows, content = write_mini_project(root)
    files = sorted(flows.glob("*.yaml")) + sorted(content.glob("*.yaml"))
    for _ in range(mutations):
        path = rng.choice(files)
        data = yaml.safe_load(path.read_text())
        path.write_text(yaml.safe_dump(mutate(data, rng), allow_unicode=True))
    try:
        project = load(flows, content)
    except ProjectInvalid as exc:
        assert exc.problems and all(p.message for p in exc.problems)
    else:  # a mutation that changed nothing that matters (e.g. a reviewed date): still whole
        assert {"start", "menu", "emergency"} <= set(project.flows)


@pytest.mark.parametrize(
    "body",
    [
        "!!python/object/apply:os.system ['echo hacked']",
        "!!python/name:os.system",
        "&a [*a]",  # a list that contains itself
        "a: &a {b: *a}",
        "- " * 5000 + "x",  # nests very deep
        "x: " + "[" * 10000,
        "\x00\x01binary",
        "flow: advice\nflow: advice",  # duplicate key
        "? [a, b]\n: c",  # a key that is not text
    ],
)
def test_hostile_yaml_is_refused(tmp_path: Path, body: str) -> None:
    flows, content = write_mini_project(tmp_path)
    (flows / "advice.yaml").write_text(body)
    with pytest.raises(ProjectInvalid) as caught:
        load(flows, content)
    assert "advice.yaml" in str(caught.value)


def test_huge_file_is_refused(tmp_path: Path) -> None:
    flows, content = write_mini_project(tmp_path)
    (content / "huge.yaml").write_text("k.x:\n  text: |\n" + ("    " + "word " * 50 + "\n") * 5000)
    with pytest.raises(ProjectInvalid, match="huge.yaml:1: file is .* bytes"):
        load(flows, content)


def test_screens_that_loop_without_waiting_are_refused(tmp_path: Path) -> None:
    flows, content = write_mini_project(tmp_path)
    path = flows / "advice.yaml"
    path.write_text(
        path.read_text().replace(
            "say: t.third\n    next: menu",
            "say: t.third\n    next: fourth\n  - id: fourth\n    say: t.first\n    next: third",
        )
    )
    with pytest.raises(ProjectInvalid, match="step 'third': loop"):
        load(flows, content)


def test_real_project_mutations_are_caught(tmp_path: Path) -> None:
    """A few targeted breakages of the real files, each named."""
    cases = [
        ("flows/menu.yaml", "options:", "optoins:"),
        ("content/contacts.yaml", "number:", "numbr:"),
    ]
    for rel, old, new in cases:
        root = tmp_path / rel.replace("/", "_")
        shutil.copytree(PROJECT_ROOT / "flows", root / "flows")
        shutil.copytree(PROJECT_ROOT / "content", root / "content")
        path = root / rel
        path.write_text(path.read_text().replace(old, new, 1))
        with pytest.raises(ProjectInvalid) as caught:
            load_project(
                root / "flows",
                root / "content",
                known_types=set(SLOT_TYPES),
                known_actions=set(),
                raise_on_problems=True,
            )
        assert str(path) in str(caught.value)
