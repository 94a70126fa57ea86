"""A drawable view of a pipeline: nodes, clusters and edges, nesting expanded to a depth.

Renderers (Mermaid, DOT, the SVG of ``hyperflow.viz``) all draw from this one
description, so they agree on what is shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hyperflow.core._node import NestedNode, Node

if TYPE_CHECKING:
    from hyperflow.core._pipeline import Pipeline

__all__ = ["GraphView", "VCluster", "VEdge", "VNode", "graph_view"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def _safe(s: str) -> str:
    return _UNSAFE.sub("_", s)


@dataclass(slots=True)
class VNode:
    """A box to draw. ``kind``: ``input``, ``node``, ``variant`` or ``pipeline`` (collapsed)."""

    id: str
    key: str
    label: str
    kind: str
    active: bool = True
    cluster: str | None = None
    is_output: bool = False
    tooltip: str = ""


@dataclass(slots=True)
class VCluster:
    """A group: ``kind`` is ``variants`` (alternatives of one output) or ``pipeline``."""

    id: str
    label: str
    kind: str
    parent: str | None = None
    active: bool = True
    key: str = ""  # the dotted key: the nested node's run key, or the variants' output


@dataclass(slots=True)
class VEdge:
    src: str
    dst: str
    label: str
    active: bool = True


@dataclass(slots=True)
class GraphView:
    name: str
    nodes: list[VNode] = field(default_factory=list)
    clusters: list[VCluster] = field(default_factory=list)
    edges: list[VEdge] = field(default_factory=list)


Endpoints = list[tuple[str, bool]]


def _tooltip(n: Node, prefix: str, config: Mapping[str, Any]) -> str:
    lines = [f"{prefix}{n.key} ({n.name})"]
    for p, (space, default) in n.tunables.items():
        key = f"{prefix}{n.config_prefix}.{p}"
        value = config.get(key, default)
        lines.append(f"{key}: {space.describe()} = {value!r}")
    return "\n".join(lines)


def graph_view(
    pipeline: Pipeline, *, depth: int | None = None, config: Mapping[str, Any] | None = None
) -> GraphView:
    """Describe ``pipeline`` for drawing; nested pipelines deeper than ``depth`` collapse."""
    builder = _ViewBuilder(pipeline, depth, pipeline.space.resolve(config))
    builder.add(pipeline, "", None, 0, True, None)
    return builder.view


class _ViewBuilder:
    """Walks a pipeline (and its nested pipelines) into one ``GraphView``."""

    def __init__(self, pipeline: Pipeline, depth: int | None, resolved: dict[str, Any]) -> None:
        self.top = pipeline
        self.depth = depth
        self.resolved = resolved
        self.view = GraphView(pipeline.name)
        self.inputs: dict[str, str] = {}  # free input -> its box id

    def input_endpoint(self, name: str) -> Endpoints:
        if name not in self.inputs:
            vid = "in_" + _safe(name)
            self.inputs[name] = vid
            self.view.nodes.append(VNode(vid, name, name, "input", tooltip=f"input {name}"))
        return [(self.inputs[name], True)]

    def add(
        self,
        p: Pipeline,
        prefix: str,
        cluster: str | None,
        level: int,
        active: bool,
        external: dict[str, Endpoints] | None,
    ) -> dict[str, Endpoints]:
        """Add ``p``'s nodes under ``cluster``; return where each of its outputs comes from."""
        produced: dict[str, Endpoints] = {}
        variant_clusters: dict[str, str] = {}
        for key in p.order:
            n = p.nodes[key]
            out0 = n.provides[0]
            grouped = n.variant is not None
            on = active and (not grouped or self.resolved.get(prefix + out0) == n.variant)
            where = cluster
            if grouped:
                if out0 not in variant_clusters:
                    cid = "cl_" + _safe(prefix + out0)
                    variant_clusters[out0] = cid
                    self.view.clusters.append(
                        VCluster(
                            cid, f"{out0} (variants)", "variants", cluster, active, prefix + out0
                        )
                    )
                where = variant_clusters[out0]
            sources = self.sources(p, n, external, produced)
            if isinstance(n, NestedNode) and (self.depth is None or level < self.depth):
                self.add_nested(n, prefix, where, level, on, sources, produced)
            else:
                self.add_box(n, prefix, where, cluster, on, sources, produced)
        return produced

    def sources(
        self,
        p: Pipeline,
        n: Node,
        external: dict[str, Endpoints] | None,
        produced: dict[str, Endpoints],
    ) -> dict[str, Endpoints]:
        """Where each of ``n``'s dependencies comes from: a sibling, outside, or an input."""
        sources: dict[str, Endpoints] = {}
        for d in n.dependencies:
            if d in p.producers:
                sources[d] = produced.get(d, [])
            elif external is not None and d in external:
                sources[d] = external[d]
            else:
                sources[d] = self.input_endpoint(d)
        return sources

    def add_nested(
        self,
        n: NestedNode,
        prefix: str,
        where: str | None,
        level: int,
        on: bool,
        sources: dict[str, Endpoints],
        produced: dict[str, Endpoints],
    ) -> None:
        """Expand a nested pipeline into a cluster wired to the outer endpoints."""
        cid = "cl_" + _safe(prefix + n.key)
        self.view.clusters.append(VCluster(cid, n.name, "pipeline", where, on, prefix + n.key))
        inner_ext = {n.input_map[d]: eps for d, eps in sources.items()}
        inner = self.add(n.pipeline, prefix + n.config_prefix + ".", cid, level + 1, on, inner_ext)
        for inner_o, outer_o in n.inner_outputs.items():
            produced.setdefault(outer_o, []).extend(inner.get(inner_o, []))

    def add_box(
        self,
        n: Node,
        prefix: str,
        where: str | None,
        cluster: str | None,
        on: bool,
        sources: dict[str, Endpoints],
        produced: dict[str, Endpoints],
    ) -> None:
        """Add one box (a node, a variant, or a collapsed pipeline) and its incoming edges."""
        grouped = n.variant is not None
        vid = "n_" + _safe(prefix + n.key)
        kind = "pipeline" if isinstance(n, NestedNode) else ("variant" if grouped else "node")
        label = n.variant if grouped and n.variant else n.name
        is_out = cluster is None and any(o in self.top.sinks for o in n.provides)
        tooltip = _tooltip(n, prefix, self.resolved)
        self.view.nodes.append(
            VNode(vid, prefix + n.key, label or n.key, kind, on, where, is_out, tooltip)
        )
        for d, eps in sources.items():
            for src, src_on in eps:
                self.view.edges.append(VEdge(src, vid, d, src_on and on))
        for o in n.provides:
            produced.setdefault(o, []).append((vid, on))
