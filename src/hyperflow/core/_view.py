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
    resolved = pipeline.space.resolve(config)
    view = GraphView(pipeline.name)
    inputs: dict[str, str] = {}

    def input_endpoint(name: str) -> Endpoints:
        if name not in inputs:
            vid = "in_" + _safe(name)
            inputs[name] = vid
            view.nodes.append(VNode(vid, name, name, "input", tooltip=f"input {name}"))
        return [(inputs[name], True)]

    def add(
        p: Pipeline,
        prefix: str,
        cluster: str | None,
        level: int,
        active: bool,
        external: dict[str, Endpoints] | None,
    ) -> dict[str, Endpoints]:
        produced: dict[str, Endpoints] = {}
        variant_clusters: dict[str, str] = {}
        for key in p.order:
            n = p.nodes[key]
            out0 = n.provides[0]
            grouped = n.variant is not None
            on = active and (not grouped or resolved.get(prefix + out0) == n.variant)
            where = cluster
            if grouped:
                if out0 not in variant_clusters:
                    cid = "cl_" + _safe(prefix + out0)
                    variant_clusters[out0] = cid
                    view.clusters.append(
                        VCluster(
                            cid, f"{out0} (variants)", "variants", cluster, active, prefix + out0
                        )
                    )
                where = variant_clusters[out0]
            sources: dict[str, Endpoints] = {}
            for d in n.dependencies:
                if d in p.producers:
                    sources[d] = produced.get(d, [])
                elif external is not None and d in external:
                    sources[d] = external[d]
                else:
                    sources[d] = input_endpoint(d)
            if isinstance(n, NestedNode) and (depth is None or level < depth):
                cid = "cl_" + _safe(prefix + n.key)
                view.clusters.append(VCluster(cid, n.name, "pipeline", where, on, prefix + n.key))
                inner_ext = {n.input_map[d]: eps for d, eps in sources.items()}
                inner = add(
                    n.pipeline, prefix + n.config_prefix + ".", cid, level + 1, on, inner_ext
                )
                for inner_o, outer_o in n.inner_outputs.items():
                    produced.setdefault(outer_o, []).extend(inner.get(inner_o, []))
                continue
            vid = "n_" + _safe(prefix + n.key)
            kind = "pipeline" if isinstance(n, NestedNode) else ("variant" if grouped else "node")
            label = n.variant if grouped and n.variant else n.name
            is_out = cluster is None and any(o in pipeline.sinks for o in n.provides)
            view.nodes.append(
                VNode(
                    vid,
                    prefix + n.key,
                    label or n.key,
                    kind,
                    on,
                    where,
                    is_out,
                    _tooltip(n, prefix, resolved),
                )
            )
            for d, eps in sources.items():
                for src, src_on in eps:
                    view.edges.append(VEdge(src, vid, d, src_on and on))
            for o in n.provides:
                produced.setdefault(o, []).append((vid, on))
        return produced

    add(pipeline, "", None, 0, True, None)
    return view
