"""``hf.Pipeline``: a DAG of nodes built and validated from plain functions."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hyperflow._errors import (
    CycleError,
    DefinitionError,
    DuplicateOutputError,
    InputError,
    NestingError,
    TypeMismatchError,
)
from hyperflow.core._config import Param, SearchSpace
from hyperflow.core._graph import find_cycle, topological_order
from hyperflow.core._node import FunctionNode, NestedNode, Node, to_node
from hyperflow.core._plan import Plan, build_plan
from hyperflow.core._spaces import Choice
from hyperflow.core._types import compatible, type_name

if TYPE_CHECKING:
    import os
    from concurrent.futures import Executor

    from hyperflow.engine import Cache, RunHook, RunResult
    from hyperflow.optimize import Objective, Study
    from hyperflow.store import MetadataStore
    from hyperflow.viz import Figure

__all__ = ["Pipeline"]

_PLAN_CACHE_SIZE = 64


class Pipeline:
    """A workflow: plain functions wired by name, validated when built.

    Args:
        nodes: functions (optionally decorated with ``@hf.node``), nested pipelines
            (``other.as_node(...)`` or a bare ``Pipeline``) or ``Node`` objects.
        name: the pipeline's name, used in tracking, pictures and errors.

    Raises:
        CycleError: the dependencies form a cycle (the message prints the path).
        DuplicateOutputError: two nodes produce one output without being variants.
        TypeMismatchError: a producer's return annotation cannot feed a consumer.

    Example:
        >>> import hyperflow as hf
        >>> def doubled(x: int) -> int:
        ...     return 2 * x
        >>> def total(doubled: int, y: int = 1) -> int:
        ...     return doubled + y
        >>> p = hf.Pipeline([doubled, total], name="tiny")
        >>> p.inputs
        ('x', 'y')
        >>> p.run(inputs={"x": 3}, track=False)["total"]
        7
    """

    def __init__(
        self, nodes: Iterable[Callable[..., Any] | Node | Pipeline], *, name: str = "pipeline"
    ) -> None:
        if isinstance(nodes, Pipeline | Node) or callable(nodes):
            raise DefinitionError(
                f"hf.Pipeline takes a list of nodes, but got a single {type(nodes).__name__}; "
                "wrap it in a list"
            )
        self.name = name
        built = [to_node(n) for n in nodes]
        self.nodes: dict[str, Node] = {}
        for n in built:
            if n.key in self.nodes:
                raise DuplicateOutputError(_duplicate_message(name, self.nodes[n.key], n))
            self.nodes[n.key] = n
        self.producers: dict[str, list[Node]] = {}
        for n in built:
            for out in n.provides:
                self.producers.setdefault(out, []).append(n)
        self._check_groups()
        consumed: set[str] = set()
        free: dict[str, list[Node]] = {}
        deps: dict[str, list[str]] = {}
        producers = self.producers
        for n in built:
            node_deps: list[str] = []
            for p in n.dependencies:
                consumed.add(p)
                group = producers.get(p)
                if group is None:
                    free.setdefault(p, []).append(n)
                else:
                    node_deps.extend(g.key for g in group)
            deps[n.key] = node_deps
        keys = list(self.nodes)
        order = topological_order(keys, deps)
        if order is None:
            cycle = find_cycle(keys, deps)
            raise CycleError(
                f"pipeline {name!r} has a cycle: {' -> '.join(cycle)}; "
                "break it by renaming an output or a parameter"
            )
        self.order: list[str] = order
        self.order_index: dict[str, int] = {k: i for i, k in enumerate(order)}
        self.dependencies: dict[str, list[str]] = deps
        self.inputs: tuple[str, ...] = tuple(free)
        self.optional_inputs: frozenset[str] = frozenset(
            p for p, users in free.items() if all(p in u.defaults for u in users)
        )
        self.outputs: tuple[str, ...] = tuple(producers)
        self.sinks: tuple[str, ...] = tuple(o for o in producers if o not in consumed)
        self._check_types(built)
        self.space: SearchSpace = SearchSpace(
            self._space_params(built), {p: [u.key for u in users] for p, users in free.items()}
        )
        self._plans: dict[Any, Plan] = {}  # plans are pure functions of the key; nodes are fixed

    # -- validation ---------------------------------------------------------------------
    def _check_groups(self) -> None:
        for out, group in self.producers.items():
            if len(group) < 2:
                continue
            plain = [n for n in group if n.variant is None]
            if plain:
                raise DuplicateOutputError(
                    f"pipeline {self.name!r}: {', '.join(_label(n) for n in group)} all produce "
                    f"{out!r}, but {', '.join(_label(n) for n in plain)} "
                    f"{'is' if len(plain) == 1 else 'are'} not declared as a variant; mark each "
                    f"with @hf.node(output={out!r}, variant='<name>')"
                )
            if any(len(n.provides) != 1 for n in group):
                raise NestingError(
                    f"pipeline {self.name!r}: variants of {out!r} must each produce only {out!r}"
                )

    def _check_types(self, built: list[Node]) -> None:
        for consumer in built:
            for p in consumer.dependencies:
                want = consumer.types.get(p)
                for producer in self.producers.get(p, ()):
                    have = producer.return_type
                    if have is want or len(producer.provides) != 1:
                        continue  # identical annotations always match
                    if not compatible(have, want):
                        raise TypeMismatchError(
                            f"pipeline {self.name!r}: {_label(producer)} returns "
                            f"{type_name(have)} as {p!r}, but {_label(consumer)} expects "
                            f"{p}: {type_name(want)}; align the annotations or convert in a node"
                        )

    def _space_params(self, built: list[Node]) -> list[Param]:
        params: list[Param] = []
        emitted: set[str] = set()
        for n in built:
            conditions: tuple[tuple[str, Any], ...] = ()
            if n.variant is not None:
                out = n.provides[0]
                group = self.producers[out]
                if out not in emitted:
                    emitted.add(out)
                    options = [g.variant for g in group]
                    params.append(Param(out, Choice(*options), options[0], is_variant=True))
                conditions = ((out, n.variant),)
            prefix = n.config_prefix + "."
            if isinstance(n, NestedNode):
                for inner in n.pipeline.space.values():
                    params.append(
                        Param(
                            prefix + inner.key,
                            inner.domain,
                            inner.default,
                            inner.is_variant,
                            conditions + tuple((prefix + k, v) for k, v in inner.conditions),
                        )
                    )
            else:
                for p, (space, default) in n.tunables.items():
                    params.append(Param(prefix + p, space, default, False, conditions))
        return params

    # -- public API -----------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_plans"] = {}  # sent to workers: plans are rebuilt there
        return state

    def __repr__(self) -> str:
        return f"Pipeline({self.name!r}, nodes={len(self.nodes)}, inputs={list(self.inputs)})"

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def required_inputs(self) -> tuple[str, ...]:
        """Inputs that some consumer needs and that have no default."""
        return tuple(i for i in self.inputs if i not in self.optional_inputs)

    def plan(
        self,
        config: Mapping[str, Any] | None = None,
        outputs: str | Sequence[str] | None = None,
        inputs: Iterable[str] = (),
    ) -> Plan:
        """Resolve ``config`` and select the nodes needed for ``outputs``."""
        if isinstance(outputs, str):
            outputs = [outputs]
        given = set(inputs)
        unknown = given.difference(self.inputs)
        if unknown:
            import difflib

            bad = sorted(unknown)[0]
            close = difflib.get_close_matches(bad, list(self.inputs), n=1, cutoff=0.0)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InputError(
                f"pipeline {self.name!r} has no input {bad!r}{hint} "
                f"(inputs: {', '.join(self.inputs) or 'none'})"
            )
        resolved = self.space.resolve(config)
        try:
            cache_key: Any = (
                tuple(resolved.items()),
                None if outputs is None else tuple(outputs),
                frozenset(given),
            )
            hash(cache_key)
        except TypeError:  # unhashable config value: plan without caching
            return build_plan(self, resolved, outputs, given)
        plan = self._plans.get(cache_key)
        if plan is None:
            plan = build_plan(self, resolved, outputs, given)
            if len(self._plans) >= _PLAN_CACHE_SIZE:
                self._plans.pop(next(iter(self._plans)))
            self._plans[cache_key] = plan
        return plan

    def run(
        self,
        inputs: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        outputs: str | Sequence[str] | None = None,
        *,
        executor: Executor | None = None,
        cache: bool | str | os.PathLike[str] | Cache | None = None,
        track: bool | str | MetadataStore | None = None,
        hooks: Sequence[RunHook] = (),
        tags: Mapping[str, str] | None = None,
        parent_run: str | None = None,
    ) -> RunResult:
        """Run the nodes needed for ``outputs`` (default: every final output).

        Args:
            inputs: values of the pipeline's free inputs.
            config: dotted config keys (``{"features": "poly", "model.C": 0.1}``).
            outputs: one output name or several; unrelated branches never run.
            executor: any ``concurrent.futures.Executor`` to run independent nodes
                concurrently (a Dask ``Client.get_executor()`` too).
            cache: ``None`` or ``True`` (the default cache), ``False`` (off), ``"memory"``,
                a folder path, or a ``hyperflow.engine.Cache`` instance.
            track: ``None`` (track unless ``HYPERFLOW_TRACKING=off``; the default store is
                created on the first write, under the project root or the current folder),
                ``False`` (off), ``True`` (the default store), a store URL, or a
                ``MetadataStore``.
            hooks: extra ``hyperflow.engine.RunHook`` objects.
            tags: tags recorded with the tracked run.
            parent_run: id of a parent run (e.g. the study a trial belongs to).

        Returns:
            A ``RunResult``: a mapping of output name to value with ``run_id``,
            ``timings``, ``cache_hits`` and the resolved ``config``.
        """
        from hyperflow._runner import run_pipeline

        return run_pipeline(
            self,
            inputs=inputs,
            config=config,
            outputs=outputs,
            executor=executor,
            cache=cache,
            track=track,
            hooks=hooks,
            tags=tags,
            parent_run=parent_run,
        )

    def optimize(self, *, objective: Objective | str, **options: Any) -> Study:
        """Search this pipeline's space for the best config: see ``hyperflow.optimize.optimize``.

        Args:
            objective: an ``hf.Objective`` (or an expression string to maximize).
            **options: every other keyword of ``hyperflow.optimize.optimize``
                (``inputs``, ``n_trials``, ``sampler``, ``seed``, ``n_jobs``, ``study``, ...).

        Returns:
            The ``Study`` (``study.best.config``, ``study.best.value``, ...).
        """
        from hyperflow.optimize import optimize

        return optimize(self, objective=objective, **options)

    def as_node(
        self,
        name: str | None = None,
        *,
        inputs: Mapping[str, str] | None = None,
        outputs: Mapping[str, str] | None = None,
        map_over: str | Sequence[str] | None = None,
        variant: str | None = None,
    ) -> NestedNode:
        """Use this pipeline as one node of another.

        Args:
            name: the node's name; its config keys appear under ``name.``.
            inputs: ``{outer_name: inner_input}`` renames inputs coming from outside.
            outputs: ``{inner_output: outer_name}`` picks and renames what it exposes
                (default: the inner pipeline's final outputs, under their own names).
            map_over: outer input name(s) holding lists; the inner pipeline runs once
                per element (zipped) and every exposed output becomes a list.
            variant: makes the nested pipeline a variant of its single output.
        """
        return NestedNode(
            self,
            name=name or self.name,
            inputs=dict(inputs or {}),
            outputs=dict(outputs) if outputs is not None else None,
            map_over=list(map_over)
            if map_over is not None and not isinstance(map_over, str)
            else map_over,
            variant=variant,
        )

    def to_mermaid(
        self, *, depth: int | None = None, config: Mapping[str, Any] | None = None
    ) -> str:
        """A Mermaid ``flowchart`` of the pipeline (nested pipelines expanded to ``depth``)."""
        from hyperflow.core._render import to_mermaid

        return to_mermaid(self, depth=depth, config=config)

    def visualize(
        self, depth: int | None = None, config: Mapping[str, Any] | None = None
    ) -> Figure:
        """An SVG picture of the pipeline (inline in notebooks; ``.save("dag.svg")``).

        Args:
            depth: nested pipelines deeper than this are single boxes (``None``: all expanded).
            config: selects the active variants (inactive ones are dashed) and the
                parameter values shown in the tooltips.

        Example:
            >>> import hyperflow as hf
            >>> def doubled(x: int) -> int:
            ...     return 2 * x
            >>> fig = hf.Pipeline([doubled], name="tiny").visualize()
            >>> fig.svg.startswith("<svg")
            True
        """
        from hyperflow.viz import pipeline_figure

        return pipeline_figure(self, depth=depth, config=config)

    def to_dot(self, *, depth: int | None = None, config: Mapping[str, Any] | None = None) -> str:
        """A Graphviz DOT description of the pipeline (no Graphviz needed to produce it)."""
        from hyperflow.core._render import to_dot

        return to_dot(self, depth=depth, config=config)


def _duplicate_message(pipeline: str, first: Node, second: Node) -> str:
    """Two nodes with one key: the same node listed twice, or two that collide."""
    if _wrapped(first) is _wrapped(second):
        what = "function" if isinstance(second, FunctionNode) else "node"
        return (
            f"pipeline {pipeline!r}: {what} {second.name!r} is listed twice; "
            "list each node once"
        )
    if _origin(first) == _origin(second):  # e.g. two closures made by one factory
        return (
            f"pipeline {pipeline!r}: two different functions named {second.name!r}, both "
            f"{_origin(first)}, produce {second.key!r}; give them distinct "
            "@hf.node(output=...) or @hf.node(variant=...) names"
        )
    return (
        f"pipeline {pipeline!r}: {_label(first)} from {_origin(first)} and {_label(second)} "
        f"from {_origin(second)} both produce {second.key!r}; give them distinct "
        "@hf.node(variant=...) names to make them alternatives, or rename one"
    )


def _wrapped(n: Node) -> object:
    """The object a node stands for: its function, its pipeline, or itself."""
    if isinstance(n, FunctionNode):
        return n.func
    if isinstance(n, NestedNode):
        return n.pipeline
    return n


def _origin(n: Node) -> str:
    """Where a node comes from: ``module.qualname (file:line)``, or what it wraps."""
    if isinstance(n, FunctionNode):
        func = n.func
        code = getattr(func, "__code__", None)
        where = f" ({code.co_filename}:{code.co_firstlineno})" if code is not None else ""
        module = getattr(func, "__module__", None) or "?"
        return f"{module}.{getattr(func, '__qualname__', n.name)}{where}"
    if isinstance(n, NestedNode):
        return f"pipeline {n.pipeline.name!r} (id {id(n.pipeline):#x})"
    return f"{type(n).__name__} at {id(n):#x}"


def _label(n: Node) -> str:
    return f"node {n.key!r}" if n.key == n.name else f"node {n.key!r} ({n.name})"
