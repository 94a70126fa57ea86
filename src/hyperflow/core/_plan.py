"""An execution plan: the active nodes a run needs, in order, with their arguments wired."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hyperflow._errors import DefinitionError, InputError
from hyperflow.core._node import FunctionNode, NestedNode, Node

if TYPE_CHECKING:
    from hyperflow.core._pipeline import Pipeline

__all__ = ["NestedStep", "Plan", "Step", "build_plan"]


@dataclass(slots=True)
class Step:
    """One function node to execute.

    ``args`` pairs each parameter with the value name it reads; ``consts`` holds
    tunable values from the config. ``inner`` is always ``None`` (see ``NestedStep``).
    """

    node: FunctionNode
    args: tuple[tuple[str, str], ...]
    consts: dict[str, Any]
    inner: None = None

    def kwargs(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The call's keyword arguments: config constants plus the values it reads."""
        kwargs = dict(self.consts) if self.consts else {}
        for p, src in self.args:
            kwargs[p] = values[src]
        return kwargs


@dataclass(slots=True)
class NestedStep:
    """A nested pipeline to execute as one node, with its own ``inner`` plan."""

    node: NestedNode
    args: tuple[tuple[str, str], ...]
    consts: dict[str, Any]
    inner: Plan

    def kwargs(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The outer values the nested pipeline reads, by outer parameter name."""
        return {p: values[src] for p, src in self.args}


@dataclass(slots=True)
class Plan:
    """What one run executes: steps in dependency order and the outputs it returns."""

    pipeline: Pipeline
    config: dict[str, Any]
    steps: list[Step | NestedStep]
    outputs: tuple[str, ...]
    inputs: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.steps)


def _missing_message(pipeline: Pipeline, missing: dict[str, list[str]]) -> str:
    parts = [
        f"{name!r} (needed by {', '.join(sorted(set(users)))})" for name, users in missing.items()
    ]
    return (
        f"pipeline {pipeline.name!r} is missing required inputs: {', '.join(parts)}; "
        f"pass them as run(inputs={{...}})"
    )


def build_plan(
    pipeline: Pipeline,
    config: Mapping[str, Any],
    outputs: Sequence[str] | None,
    given: Collection[str],
) -> Plan:
    """Select the active producer of every needed output and order the steps.

    ``config`` must already be resolved (``pipeline.space.resolve``); ``given``
    names the inputs the caller supplies. Raises ``InputError`` naming every
    missing input, or an unknown requested output with the closest valid one.
    """
    requested = tuple(outputs) if outputs is not None else pipeline.sinks
    producers = pipeline.producers
    for out in requested:
        if out not in producers:
            close = difflib.get_close_matches(out, list(producers), n=1, cutoff=0.0)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InputError(
                f"pipeline {pipeline.name!r} has no output {out!r}{hint} "
                f"(outputs: {', '.join(producers)})"
            )
    selected = _select(pipeline, config, requested, given)
    index = pipeline.order_index
    steps: list[Step | NestedStep] = []
    for node in sorted(selected, key=lambda n: index[n.key]):
        args = tuple((p, p) for p in node.dependencies if p in producers or p in given)
        if isinstance(node, NestedNode):
            steps.append(_nested_step(node, config, args, given))
        elif isinstance(node, FunctionNode):
            prefix = node.config_prefix + "."
            consts = {p: config[prefix + p] for p in node.tunables}
            steps.append(Step(node, args, consts))
        else:
            raise DefinitionError(
                f"node {node.key!r} is a {type(node).__name__}, which cannot run; "
                "build nodes from functions or nested pipelines"
            )
    return Plan(pipeline, dict(config), steps, requested, tuple(sorted(given)))


def _select(
    pipeline: Pipeline,
    config: Mapping[str, Any],
    requested: tuple[str, ...],
    given: Collection[str],
) -> list[Node]:
    """The active producers that ``requested`` needs, walking back from it.

    Raises ``InputError`` naming every missing input at once.
    """
    producers = pipeline.producers
    selected: dict[str, Node] = {}
    missing: dict[str, list[str]] = {}
    stack = list(requested)
    seen: set[str] = set()
    while stack:
        out = stack.pop()
        if out in seen:
            continue
        seen.add(out)
        group = producers[out]
        if len(group) == 1 and group[0].variant is None:
            chosen = group[0]
        else:
            wanted = config[out]
            chosen = next(n for n in group if n.variant == wanted)
        if chosen.key in selected:
            continue
        selected[chosen.key] = chosen
        for p in chosen.dependencies:
            if p in producers:
                stack.append(p)
            elif p not in given and p not in chosen.defaults:
                missing.setdefault(p, []).append(chosen.key)
    if missing:
        raise InputError(_missing_message(pipeline, missing))
    return list(selected.values())


def _nested_step(
    node: NestedNode,
    config: Mapping[str, Any],
    args: tuple[tuple[str, str], ...],
    given: Collection[str],
) -> NestedStep:
    prefix = node.config_prefix + "."
    inner_config = {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}
    inner_given = [node.input_map[p] for p, _ in args]
    inner = build_plan(node.pipeline, inner_config, list(node.inner_outputs), inner_given)
    return NestedStep(node, args, {}, inner)
