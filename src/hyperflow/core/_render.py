"""Text renderings of a pipeline: Mermaid and Graphviz DOT (no Graphviz needed)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from hyperflow.core._view import GraphView, VCluster, graph_view

if TYPE_CHECKING:
    from hyperflow.core._pipeline import Pipeline

__all__ = ["to_dot", "to_mermaid"]


def _children(view: GraphView) -> tuple[dict[str | None, list[str]], dict[str | None, list[str]]]:
    clusters: dict[str | None, list[str]] = {}
    nodes: dict[str | None, list[str]] = {}
    for c in view.clusters:
        clusters.setdefault(c.parent, []).append(c.id)
    for n in view.nodes:
        nodes.setdefault(n.cluster, []).append(n.id)
    return clusters, nodes


def _nested_lines(
    view: GraphView,
    node_line: Callable[[str, str], str],
    open_cluster: Callable[[VCluster, str], list[str]],
    close: str,
) -> list[str]:
    """Clusters and their nodes, nested and indented, walked with a stack (no recursion)."""
    cl_by_id = {c.id: c for c in view.clusters}
    sub_clusters, sub_nodes = _children(view)
    lines: list[str] = []
    stack: list[tuple[str | None, int, bool]] = [(None, 0, False)]
    while stack:
        cid, level, closing = stack.pop()
        indent = "  " * (level + 1)
        if closing:
            lines.append("  " * level + close)
            continue
        if cid is not None:
            lines.extend(open_cluster(cl_by_id[cid], "  " * level))
            stack.append((cid, level, True))
        lines.extend(node_line(nid, indent) for nid in sub_nodes.get(cid, []))
        for child in reversed(sub_clusters.get(cid, [])):
            stack.append((child, level + 1, False))
    return lines


def _q(text: str) -> str:
    return text.replace('"', "#quot;")


def to_mermaid(
    pipeline: Pipeline, *, depth: int | None = None, config: Mapping[str, Any] | None = None
) -> str:
    view = graph_view(pipeline, depth=depth, config=config)
    by_id = {n.id: n for n in view.nodes}
    lines = ["flowchart LR"]

    def node_line(nid: str, indent: str) -> str:
        n = by_id[nid]
        label = _q(n.label)
        if n.kind == "input":
            return f'{indent}{nid}[/"{label}"/]'
        if n.kind == "pipeline":
            return f'{indent}{nid}[["{label}"]]'
        if n.is_output:
            return f'{indent}{nid}(["{label}"])'
        return f'{indent}{nid}["{label}"]'

    lines += _nested_lines(
        view, node_line, lambda c, ind: [f'{ind}subgraph {c.id}["{_q(c.label)}"]'], "end"
    )
    for e in view.edges:
        arrow = "-->" if e.active else "-.->"
        lines.append(f"  {e.src} {arrow} {e.dst}")
    inactive = [n.id for n in view.nodes if not n.active]
    lines.append("  classDef inactive stroke-dasharray: 5 5,opacity:0.5")
    lines.append("  classDef input fill:#eef,stroke:#669")
    if inactive:
        lines.append(f"  class {','.join(inactive)} inactive")
    inputs = [n.id for n in view.nodes if n.kind == "input"]
    if inputs:
        lines.append(f"  class {','.join(inputs)} input")
    return "\n".join(lines) + "\n"


def _dq(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(
    pipeline: Pipeline, *, depth: int | None = None, config: Mapping[str, Any] | None = None
) -> str:
    view = graph_view(pipeline, depth=depth, config=config)
    by_id = {n.id: n for n in view.nodes}
    lines = [
        f"digraph {_dq(view.name)} {{",
        "  rankdir=LR;",
        '  node [shape=box, fontname="Helvetica"];',
    ]

    def node_line(nid: str, indent: str) -> str:
        n = by_id[nid]
        shape = {"input": "parallelogram", "pipeline": "box3d"}.get(n.kind, "box")
        if n.is_output and n.kind != "input":
            shape = "doubleoctagon" if n.kind == "pipeline" else "ellipse"
        style = "dashed" if not n.active else ("rounded" if n.kind == "node" else "solid")
        if n.kind == "variant" and n.active:
            style = "bold"
        return (
            f"{indent}{nid} [label={_dq(n.label)}, shape={shape}, style={style}, "
            f"tooltip={_dq(n.tooltip)}];"
        )

    def open_cluster(c: VCluster, ind: str) -> list[str]:
        style = "dashed" if c.kind == "variants" or not c.active else "rounded"
        return [f"{ind}subgraph cluster_{c.id} {{", f"{ind}  label={_dq(c.label)}; style={style};"]

    lines += _nested_lines(view, node_line, open_cluster, "}")
    for e in view.edges:
        style = "" if e.active else " [style=dashed]"
        lines.append(f"  {e.src} -> {e.dst}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"
