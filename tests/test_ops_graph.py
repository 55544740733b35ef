"""`safety-bot graph`: the diagram is drawn from the flow model, so it shows every step and every
way between steps; SVG/PNG go through Graphviz `dot` when it is there, with a clear error if not."""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.ops.cli import _load_lenient
from bot.ops.graph import build_graph, step_node_id, to_dot, to_mermaid
from bot.settings import Settings


def mermaid_nodes(text: str) -> set[str]:
    return set(re.findall(r"^\s*([A-Za-z0-9_]+)[\[\(]", text, re.M))


def mermaid_edges(text: str) -> set[tuple[str, str, str]]:
    edges = set()
    for line in text.splitlines():
        m = re.match(r'^\s*(\w+) -->(?:\|"([^"]*)"\|)? (\w+)$', line)
        if m:
            edges.add((m.group(1), m.group(3), m.group(2) or ""))
    return edges


def test_every_step_of_every_real_flow_is_drawn(project_settings: Settings) -> None:
    project = _load_lenient(project_settings)
    assert project.flows
    for fid, flow in project.flows.items():
        text = to_mermaid(build_graph(project.flows, project.catalog, fid))
        nodes = mermaid_nodes(text)
        for sid in flow.steps:
            assert step_node_id(fid, sid) in nodes, f"{fid}.{sid} missing from its diagram"
        # every edge starts and ends at a declared node
        for src, dst, _ in mermaid_edges(text):
            assert src in nodes and dst in nodes, (src, dst)


def test_mini_flow_edges_are_exact(mini_settings: Settings) -> None:
    project = _load_lenient(mini_settings)
    text = to_mermaid(build_graph(project.flows, project.catalog, "advice"))
    edges = mermaid_edges(text)
    assert ("n_advice__first", "n_advice__second", "More") in edges
    assert ("n_advice__second", "n_advice__third", "More") in edges
    assert ("n_advice__third", "x_menu", "") in edges  # `next: menu`
    # a button into another flow at a given step, with that flow not drawn: a labelled stub
    stub = "f_survey__ask_phone"
    assert any(src == "n_advice__second" and dst == stub for src, dst, _ in edges)
    assert stub in mermaid_nodes(text)
    assert 'subgraph flow_advice["' in text
    # the first words of each screen help a reader follow it
    first = project.catalog.text("t.first").split()[0]
    assert first in text


def test_depth_draws_the_flows_a_menu_opens(mini_settings: Settings) -> None:
    project = _load_lenient(mini_settings)
    shallow = build_graph(project.flows, project.catalog, "menu", depth=0)
    deep = build_graph(project.flows, project.catalog, "menu", depth=1)
    everything = build_graph(project.flows, project.catalog, None)
    assert [c.id for c in shallow.clusters] == ["flow_menu"]
    assert {c.id for c in deep.clusters} == {"flow_menu", "flow_advice", "flow_survey"}
    assert len(everything.clusters) == len(project.flows)
    text = to_mermaid(deep)
    # drawn flows are entered at their start step (or the `at:` step), not through a stub
    edges = mermaid_edges(text)
    assert any(s == "n_menu__choose" and d == "n_survey__ask_when" for s, d, _ in edges)
    assert any(s == "n_advice__second" and d == "n_survey__ask_phone" for s, d, _ in edges)


def test_labels_are_escaped() -> None:
    from bot.flows.model import Flow, Option, Step, Target

    step = Step(
        id="a",
        kind="screen",
        line=1,
        say=('He said "stop" <now> & then',),
        options=(Option('Say "no"', Target(special="end"), 2),),
    )
    flows = {"f": Flow("f", None, "a", {"a": step})}
    mermaid = to_mermaid(build_graph(flows, None, "f"))
    assert "#quot;stop#quot;" in mermaid and "#lt;now#gt;" in mermaid and "#amp;" in mermaid
    assert '"no"' not in mermaid
    dot = to_dot(build_graph(flows, None, "f"))
    assert '\\"stop\\"' in dot


def fake_dot(bin_dir: Path) -> Path:
    """A stand-in for Graphviz: records its arguments and writes the DOT it was given."""
    bin_dir.mkdir()
    script = bin_dir / "dot"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "args = sys.argv[1:]\n"
        "out = args[args.index('-o') + 1]\n"
        "src = sys.stdin.read()\n"
        "open(out, 'w').write('<!-- ' + ' '.join(args) + ' -->\\n' + src)\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return bin_dir


def graph_args(settings: Settings, *extra: str) -> list[str]:
    return [
        "graph",
        *extra,
        "--flows-dir",
        str(settings.flows_dir),
        "--content-dir",
        str(settings.content_dir),
        "--data-dir",
        str(settings.data_dir),
    ]


def test_svg_goes_through_dot(
    mini_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path / "bin")) + os.pathsep + os.environ["PATH"])
    out = tmp_path / "docs" / "advice.svg"
    assert main(graph_args(mini_settings, "advice", "-o", str(out))) == 0
    written = out.read_text()
    assert written.startswith("<!-- -Tsvg -o ")
    assert 'digraph "advice"' in written and "n_advice__first -> n_advice__second" in written
    assert "Wrote" in capsys.readouterr().out


def test_without_graphviz_images_fail_clearly_and_mermaid_still_works(
    mini_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert main(graph_args(mini_settings, "advice", "--format", "png", "-o", "x.png")) == 2
    assert "Graphviz is not installed" in capsys.readouterr().err
    assert main(graph_args(mini_settings, "advice")) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowchart TD") and "n_advice__third" in out
    assert main(graph_args(mini_settings, "nope")) == 2
    assert "no flow 'nope'" in capsys.readouterr().err
    mmd = tmp_path / "advice.mmd"
    assert main(graph_args(mini_settings, "advice", "-o", str(mmd))) == 0
    assert mmd.read_text().startswith("flowchart TD")


def test_overview_has_every_flow_and_which_opens_which(project_settings: Settings) -> None:
    from bot.ops.graph import build_overview

    project = _load_lenient(project_settings)
    text = to_mermaid(build_overview(project.flows, project.catalog))
    nodes, edges = mermaid_nodes(text), mermaid_edges(text)
    assert nodes == {f"f_{fid}" for fid in project.flows}
    menu = project.flows["menu"]
    for option in menu.steps[menu.start].options:
        if option.target.flow:
            assert ("f_menu", f"f_{option.target.flow}", "") in edges
    assert len(edges) == len(set(edges))
