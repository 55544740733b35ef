"""`safety-bot graph [FLOW]`: the flows as diagrams, drawn from the loaded flow model.

One graph model, two texts: Mermaid (always; GitHub renders it in Markdown) and Graphviz DOT,
which `dot` turns into SVG or PNG when Graphviz is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.catalog import Catalog
from bot.flows.model import END, MENU, Flow, Step, Target

SNIPPET_CHARS = 48
FORMATS = ("mermaid", "dot", "svg", "png")


class GraphError(Exception):
    """The diagram cannot be drawn as asked; the message says what to do."""


@dataclass(frozen=True)
class Node:
    id: str
    lines: tuple[str, ...]
    shape: str  # screen | question | action | flow | special


@dataclass
class Cluster:
    id: str
    title: str
    nodes: list[Node] = field(default_factory=list)


@dataclass
class Graph:
    name: str
    clusters: list[Cluster] = field(default_factory=list)
    loose: dict[str, Node] = field(default_factory=dict)  # flows not drawn, menu, end
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (from, to, label)

    def node_ids(self) -> set[str]:
        return {n.id for c in self.clusters for n in c.nodes} | set(self.loose)


def _text(catalog: Catalog | None, key: str | None) -> str:
    if key is None:
        return ""
    if catalog is None or not catalog.has(key):
        return key
    try:
        return " ".join(catalog.text(key).split())
    except (KeyError, IndexError):
        return key


def _short(text: str, limit: int = SNIPPET_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def step_node_id(flow: str, step: str) -> str:
    return f"n_{flow}__{step}"


def _step_targets(step: Step, catalog: Catalog | None) -> list[tuple[Target, str]]:
    out = [(o.target, _short(_text(catalog, o.label), 30)) for o in step.options]
    if step.on_yes:
        out.append((step.on_yes, "yes"))
    if step.on_no:
        out.append((step.on_no, "no"))
    if step.next:
        out.append((step.next, ""))
    if step.on_error:
        out.append((step.on_error, "if it fails"))
    return out


def _reachable(flows: dict[str, Flow], root: str, depth: int | None) -> list[str]:
    order, level = [root], [root]
    hops = 0
    while level and (depth is None or hops < depth):
        hops += 1
        nxt = []
        for fid in level:
            for step in flows[fid].steps.values():
                for target, _ in _step_targets(step, None):
                    if target.flow and target.flow in flows and target.flow not in order:
                        order.append(target.flow)
                        nxt.append(target.flow)
        level = nxt
    return order


def build_graph(
    flows: dict[str, Flow],
    catalog: Catalog | None,
    flow: str | None = None,
    depth: int | None = 0,
    texts: bool = True,
) -> Graph:
    """The steps of `flow` (and flows `depth` hops away; None: all) or, without `flow`, of all."""
    if flow is not None and flow not in flows:
        raise GraphError(f"no flow '{flow}'; flows: {', '.join(sorted(flows))}")
    drawn = _reachable(flows, flow, depth) if flow else sorted(flows)
    graph = Graph(flow or "flows")
    for fid in drawn:
        f = flows[fid]
        cluster = Cluster(f"flow_{fid}", f"{_text(catalog, f.title) or fid} ({fid})")
        for step in f.steps.values():
            lines = [step.id + (" ▶" if step.id == f.start else "")]
            first = step.ask if step.kind == "question" else (step.say[0] if step.say else None)
            if step.kind == "action":
                lines.append(f"action: {step.action}")
            elif texts and first:
                lines.append(_short(_text(catalog, first)))
            cluster.nodes.append(Node(step_node_id(fid, step.id), tuple(lines), step.kind))
        graph.clusters.append(cluster)
    for fid in drawn:
        f = flows[fid]
        for step in f.steps.values():
            for target, label in _step_targets(step, catalog):
                graph.edges.append(
                    (
                        step_node_id(fid, step.id),
                        _target_id(graph, flows, catalog, f, target, drawn),
                        label,
                    )
                )
    return graph


def build_overview(flows: dict[str, Flow], catalog: Catalog | None) -> Graph:
    """One box per flow and an arrow where a flow opens another: the map of the whole bot."""
    graph = Graph("overview")
    order = (_reachable(flows, "start", None) if "start" in flows else []) + sorted(flows)
    for fid in dict.fromkeys(order):
        f = flows[fid]
        title = _text(catalog, f.title) or fid
        graph.loose[f"f_{fid}"] = Node(
            f"f_{fid}",
            (title, f"{fid}: {len(f.steps)} step{'s' if len(f.steps) != 1 else ''}"),
            "screen",
        )
    seen: set[tuple[str, str]] = set()
    for fid in dict.fromkeys(order):
        for step in flows[fid].steps.values():
            for target, _ in _step_targets(step, None):
                if target.flow and target.flow in flows and target.flow != fid:
                    edge = (f"f_{fid}", f"f_{target.flow}")
                    if edge not in seen:
                        seen.add(edge)
                        graph.edges.append((*edge, ""))
    return graph


def _target_id(
    graph: Graph,
    flows: dict[str, Flow],
    catalog: Catalog | None,
    here: Flow,
    target: Target,
    drawn: list[str],
) -> str:
    if target.special in (MENU, END):
        node_id = f"x_{target.special}"
        label = "main menu" if target.special == MENU else "end"
        graph.loose.setdefault(node_id, Node(node_id, (label,), "special"))
        return node_id
    if target.command:
        node_id = f"c_{target.command}"
        graph.loose.setdefault(node_id, Node(node_id, (f"/{target.command}",), "special"))
        return node_id
    if target.flow:
        if target.flow in drawn:
            other = flows[target.flow]
            return step_node_id(target.flow, target.step or other.start)
        node_id = f"f_{target.flow}" + (f"__{target.step}" if target.step else "")
        title = _text(catalog, flows[target.flow].title) if target.flow in flows else target.flow
        lines = (f"→ {title}",) + ((f"at {target.step}",) if target.step else ())
        graph.loose.setdefault(node_id, Node(node_id, lines, "flow"))
        return node_id
    return step_node_id(here.id, target.step or here.start)


# -- Mermaid -----------------------------------------------------------------------------------
def _mermaid_text(text: str) -> str:
    return (
        text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    )


MERMAID_SHAPES = {
    "screen": ('["', '"]'),
    "question": ('[/"', '"/]'),
    "action": ('[["', '"]]'),
    "flow": ('(["', '"])'),
    "special": ('(("', '"))'),
}


def _mermaid_node(node: Node) -> str:
    left, right = MERMAID_SHAPES[node.shape]
    return f"{node.id}{left}{'<br/>'.join(_mermaid_text(x) for x in node.lines)}{right}"


def to_mermaid(graph: Graph) -> str:
    out = ["flowchart TD"]
    for cluster in graph.clusters:
        out.append(f'  subgraph {cluster.id}["{_mermaid_text(cluster.title)}"]')
        out.extend(f"    {_mermaid_node(n)}" for n in cluster.nodes)
        out.append("  end")
    out.extend(f"  {_mermaid_node(n)}" for n in graph.loose.values())
    for src, dst, label in graph.edges:
        arrow = f' -->|"{_mermaid_text(label)}"| ' if label else " --> "
        out.append(f"  {src}{arrow}{dst}")
    out.append("  classDef question fill:#eef6ff,stroke:#4a78b0")
    out.append("  classDef action fill:#f4f4f4,stroke:#777")
    out.append("  classDef special fill:#fff6e0,stroke:#b08a2e")
    for shape in ("question", "action", "special"):
        ids = [n.id for c in graph.clusters for n in c.nodes if n.shape == shape]
        ids += [n.id for n in graph.loose.values() if n.shape == shape]
        if ids:
            out.append(f"  class {','.join(ids)} {shape}")
    return "\n".join(out) + "\n"


# -- Graphviz ----------------------------------------------------------------------------------
def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


DOT_SHAPES = {
    "screen": 'shape=box, style="rounded"',
    "question": 'shape=parallelogram, style="filled", fillcolor="#eef6ff"',
    "action": 'shape=box, style="filled", fillcolor="#f4f4f4", peripheries=2',
    "flow": 'shape=box, style="rounded,dashed"',
    "special": 'shape=ellipse, style="filled", fillcolor="#fff6e0"',
}


def _dot_node(node: Node) -> str:
    label = "\\n".join(_dot_text(x) for x in node.lines)
    return f'{node.id} [label="{label}", {DOT_SHAPES[node.shape]}];'


def to_dot(graph: Graph) -> str:
    out = [
        f'digraph "{_dot_text(graph.name)}" {{',
        '  graph [rankdir=TB, fontname="Helvetica", fontsize=12];',
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for cluster in graph.clusters:
        out.append(f"  subgraph cluster_{cluster.id} {{")
        out.append(f'    label="{_dot_text(cluster.title)}"; style="rounded"; color="#999999";')
        out.extend(f"    {_dot_node(n)}" for n in cluster.nodes)
        out.append("  }")
    out.extend(f"  {_dot_node(n)}" for n in graph.loose.values())
    for src, dst, label in graph.edges:
        attrs = f' [label="{_dot_text(label)}"]' if label else ""
        out.append(f"  {src} -> {dst}{attrs};")
    out.append("}")
    return "\n".join(out) + "\n"


def render_image(dot_source: str, fmt: str, output: Path) -> None:
    """Run Graphviz `dot` to write an SVG or PNG."""
    if fmt not in ("svg", "png"):
        raise GraphError(f"images are svg or png, not {fmt}")
    dot = shutil.which("dot")
    if dot is None:
        raise GraphError(
            "Graphviz is not installed (no `dot` on PATH): install it (apt-get install graphviz), "
            "or use --format mermaid"
        )
    done = subprocess.run(
        [dot, f"-T{fmt}", "-o", str(output)],
        input=dot_source,
        text=True,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise GraphError(f"dot failed ({done.returncode}): {done.stderr.strip()[:500]}")
