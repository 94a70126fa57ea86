"""Nodes: a plain function (or a nested pipeline) plus what it produces and consumes.

A function's name, or ``output=``, is what it produces; its parameter names
are what it consumes. ``Annotated[T, space]`` marks a tunable parameter.
Signatures are read straight from the code object (no ``inspect.signature``)
so that building a pipeline of thousands of nodes stays fast.
"""

from __future__ import annotations

import builtins
import functools
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, overload

from hyperflow._errors import DefinitionError, NestingError
from hyperflow.core._spaces import Space

if TYPE_CHECKING:
    from hyperflow.core._pipeline import Pipeline

__all__ = ["NODE_ATTR", "FunctionNode", "NestedNode", "Node", "NodeOptions", "node"]

NODE_ATTR = "__hyperflow_node__"
_MISSING: Any = object()
_ANNOTATED = typing.Annotated[int, 0].__class__  # typing._AnnotatedAlias

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class NodeOptions:
    """What ``@hf.node(...)`` attached to a function."""

    output: str | None = None
    variant: str | None = None
    version: str | None = None
    cache: bool = True
    check: Any = None


@overload
def node(func: F, /) -> F: ...
@overload
def node(
    func: None = None,
    /,
    *,
    output: str | None = None,
    variant: str | None = None,
    version: str | None = None,
    cache: bool = True,
    check: Any = None,
) -> Callable[[F], F]: ...
def node(
    func: F | None = None,
    /,
    *,
    output: str | None = None,
    variant: str | None = None,
    version: str | None = None,
    cache: bool = True,
    check: Any = None,
) -> F | Callable[[F], F]:
    """Declare how a function takes part in a pipeline; the function is returned unchanged.

    Args:
        output: the name the function produces (default: the function's name).
        variant: makes this one of several competing implementations of ``output``;
            the config key ``output`` then selects one (``{"features": "poly"}``).
        version: a manual code version; changing it invalidates cached results.
        cache: ``False`` never caches this node's result.
        check: validates the node's output after it runs: an object with a
            ``validate(value)`` method (e.g. a pandera schema) or a callable that
            raises on bad output.

    Example:
        >>> import hyperflow as hf
        >>> @hf.node(output="features", variant="poly")
        ... def poly(x: float, degree: int = 2) -> float:
        ...     return x ** degree
        >>> poly(3.0)
        9.0
    """
    opts = NodeOptions(output=output, variant=variant, version=version, cache=cache, check=check)
    for label, value in (("output", output), ("variant", variant)):
        if value is not None and (not isinstance(value, str) or not value.isidentifier()):
            raise DefinitionError(
                f"@hf.node({label}=...) must be a Python identifier, but got {value!r}"
            )

    def decorate(f: F) -> F:
        if not callable(f):
            raise DefinitionError(f"@hf.node decorates functions, but got {f!r}")
        setattr(f, NODE_ATTR, opts)
        return f

    return decorate(func) if func is not None else decorate


_NO_OPTIONS = NodeOptions()
_BUILTINS: dict[str, Any] = vars(builtins)


def _strip_annotated(tp: Any) -> tuple[Any, Space | None]:
    if tp.__class__ is _ANNOTATED:
        meta: tuple[Any, ...] = getattr(tp, "__metadata__", ())
        spaces = [m for m in meta if isinstance(m, Space)]
        if len(spaces) > 1:
            raise DefinitionError(f"at most one hf space per parameter, but got {spaces}")
        return getattr(tp, "__origin__", Any), (spaces[0] if spaces else None)
    return tp, None


@functools.lru_cache(maxsize=4096)
def _compiled(text: str) -> Any:
    return compile(text, "<annotation>", "eval")


def _resolve_annotations(func: Callable[..., Any], raw: dict[str, Any]) -> dict[str, Any]:
    """Evaluate string annotations (``from __future__ import annotations``) one by one.

    Plain names are looked up directly (the common case, and fast); other text is
    evaluated in the function's globals. An unresolvable annotation becomes
    ``Any``, unless it declares a search space, which must not be lost silently.
    """
    namespace: dict[str, Any] = getattr(func, "__globals__", {})
    out: dict[str, Any] = {}
    for name, ann in raw.items():
        if not isinstance(ann, str):
            out[name] = ann
            continue
        if ann.isidentifier():
            value = namespace.get(ann, _MISSING)
            if value is _MISSING:
                value = _BUILTINS.get(ann, _MISSING)
            if value is not _MISSING:
                out[name] = value
                continue
        try:
            out[name] = eval(_compiled(ann), namespace)  # the user's own annotation text
        except Exception as exc:
            if "Annotated" in ann:
                raise DefinitionError(
                    f"cannot evaluate the annotation {ann!r} of parameter {name!r} of node "
                    f"{getattr(func, '__name__', func)!r}: {exc}; import every name it uses at "
                    "module level"
                ) from exc
            out[name] = Any
    return out


def _defaults_of(func: Callable[..., Any], code: Any) -> dict[str, Any]:
    """Every parameter's default value, positional and keyword-only, by name."""
    defaults: dict[str, Any] = {}
    pos_defaults = getattr(func, "__defaults__", None)
    if pos_defaults:
        pos = code.co_varnames[: code.co_argcount]
        defaults.update(zip(pos[len(pos) - len(pos_defaults) :], pos_defaults, strict=True))
    kw_defaults = getattr(func, "__kwdefaults__", None)
    if kw_defaults:
        defaults.update(kw_defaults)
    return defaults


def _annotations_of(func: Callable[..., Any]) -> dict[str, Any]:
    """The function's annotations, string ones evaluated (the result is only read)."""
    raw: dict[str, Any] | None = getattr(func, "__annotations__", None)
    if not raw:
        return {}
    for ann in raw.values():
        if isinstance(ann, str):
            return _resolve_annotations(func, raw)
    return raw


def _typed_params(
    fname: str, params: tuple[str, ...], defaults: dict[str, Any], annotations: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, tuple[Space, Any]]]:
    """Each parameter's type, and the tunable ones' space and default (which must lie in it)."""
    types: dict[str, Any] = {}
    tunables: dict[str, tuple[Space, Any]] = {}
    for p in params:
        ann = annotations.get(p, Any)
        if ann.__class__ is not _ANNOTATED:
            types[p] = ann
            continue
        tp, space = _strip_annotated(ann)
        types[p] = tp
        if space is None:
            continue
        default = defaults.get(p, _MISSING)
        if default is _MISSING:
            raise DefinitionError(
                f"tunable parameter {p!r} of node {fname!r} needs a real default "
                f"inside {space.describe()}, e.g. `{p}: Annotated[..., ...] = <value>`"
            )
        if not space.contains(default):
            raise DefinitionError(
                f"the default {default!r} of tunable parameter {p!r} of node {fname!r} "
                f"lies outside its domain {space.describe()}"
            )
        tunables[p] = (space, default)
    return types, tunables


class Node:
    """Base of pipeline nodes. ``key`` is unique in a pipeline; ``provides`` its outputs."""

    __slots__ = (
        "cache",
        "check",
        "defaults",
        "key",
        "name",
        "params",
        "provides",
        "return_type",
        "tunables",
        "types",
        "variant",
        "version",
    )

    key: str
    name: str
    provides: tuple[str, ...]
    variant: str | None
    params: tuple[str, ...]
    defaults: dict[str, Any]
    tunables: dict[str, tuple[Space, Any]]
    types: dict[str, Any]
    return_type: Any
    version: str | None
    cache: bool
    check: Any

    @property
    def config_prefix(self) -> str:
        """The dotted prefix of this node's config keys (``"model"``, ``"features.poly"``)."""
        return self.key

    @property
    def dependencies(self) -> tuple[str, ...]:
        """Parameter names that are data (not tunables)."""
        tunables = self.tunables
        if not tunables:
            return self.params
        return tuple(p for p in self.params if p not in tunables)


class FunctionNode(Node):
    """A node backed by a plain Python function."""

    __slots__ = ("func",)

    def __init__(self, func: Callable[..., Any]) -> None:
        opts: NodeOptions = getattr(func, NODE_ATTR, None) or _NO_OPTIONS
        code = getattr(func, "__code__", None)
        fname = getattr(func, "__name__", None)
        if code is None or fname is None:
            raise DefinitionError(
                f"a node must be a Python function (def or lambda with a name), but got "
                f"{func!r}; wrap callables in a def"
            )
        if code.co_flags & 0x0C:  # CO_VARARGS | CO_VARKEYWORDS
            raise DefinitionError(
                f"node {fname!r} takes *args/**kwargs; a node's parameters must be named, "
                "because their names are the data it consumes"
            )
        self.func = func
        output = opts.output or fname
        self.name = fname
        self.provides = (output,)
        self.variant = opts.variant
        self.key = f"{output}.{opts.variant}" if opts.variant else output
        self.version = opts.version
        self.cache = opts.cache
        self.check = opts.check
        self.params = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
        self.defaults = _defaults_of(func, code)
        annotations = _annotations_of(func)
        ret = annotations.get("return", Any)
        self.return_type = _strip_annotated(ret)[0] if ret.__class__ is _ANNOTATED else ret
        self.types, self.tunables = _typed_params(fname, self.params, self.defaults, annotations)

    def __repr__(self) -> str:
        return f"FunctionNode({self.key!r}, func={self.name})"


class NestedNode(Node):
    """A whole pipeline used as one node of another (see ``Pipeline.as_node``)."""

    __slots__ = ("inner_outputs", "input_map", "map_over", "pipeline")

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        name: str,
        inputs: dict[str, str] | None = None,
        outputs: dict[str, str] | None = None,
        map_over: str | list[str] | tuple[str, ...] | None = None,
        variant: str | None = None,
    ) -> None:
        inputs = dict(inputs or {})
        outputs = _checked_mapping(pipeline, name, inputs, outputs, variant)
        inner_to_outer = {inner: outer for outer, inner in inputs.items()}
        inner_inputs = pipeline.inputs
        self.pipeline = pipeline
        self.name = name
        self.variant = variant
        self.provides = tuple(outputs.values())
        self.key = f"{self.provides[0]}.{variant}" if variant else name
        self.inner_outputs = dict(outputs)  # inner -> outer
        self.input_map = {inner_to_outer.get(i, i): i for i in inner_inputs}  # outer -> inner
        self.params = tuple(self.input_map)
        optional = pipeline.optional_inputs
        self.defaults = {o: None for o, i in self.input_map.items() if i in optional}
        self.tunables = {}
        self.types = {o: Any for o in self.params}
        self.return_type = Any
        self.version = None
        self.cache = False  # inner nodes cache individually
        self.check = None
        mo: tuple[str, ...] = (
            ()
            if map_over is None
            else (map_over,)
            if isinstance(map_over, str)
            else tuple(map_over)
        )
        for m in mo:
            if m not in self.input_map:
                raise NestingError(
                    f"as_node({name!r}): map_over={m!r} is not an input of the nested node "
                    f"(its inputs: {sorted(self.input_map)})"
                )
        self.map_over = mo

    def __repr__(self) -> str:
        return f"NestedNode({self.key!r}, pipeline={self.pipeline.name!r})"


def _checked_mapping(
    pipeline: Pipeline,
    name: str,
    inputs: dict[str, str],
    outputs: dict[str, str] | None,
    variant: str | None,
) -> dict[str, str]:
    """Validate ``as_node``'s name and mappings; return ``outputs`` (default: the sinks)."""
    if not isinstance(name, str) or not name.isidentifier():
        raise NestingError(f"as_node(name=...) must be an identifier, but got {name!r}")
    for outer, inner in inputs.items():
        if inner not in pipeline.inputs:
            raise NestingError(
                f"as_node({name!r}): inputs maps {outer!r} -> {inner!r}, but {inner!r} is "
                f"not an input of pipeline {pipeline.name!r} "
                f"(its inputs: {sorted(pipeline.inputs)})"
            )
    if outputs is None:
        outputs = {o: o for o in pipeline.sinks}
    for inner in outputs:
        if inner not in pipeline.outputs:
            raise NestingError(
                f"as_node({name!r}): outputs names {inner!r}, which pipeline "
                f"{pipeline.name!r} does not produce (it produces: {sorted(pipeline.outputs)})"
            )
    if variant is not None and len(outputs) != 1:
        raise NestingError(
            f"as_node({name!r}, variant={variant!r}) must expose exactly one output to be "
            f"a variant, but exposes {sorted(outputs.values())}"
        )
    return outputs


def to_node(item: Any) -> Node:
    """Normalize a function, node or pipeline into a ``Node``."""
    if type(item) is types.FunctionType:  # the common case, first
        return FunctionNode(item)
    from hyperflow.core._pipeline import Pipeline

    if isinstance(item, Node):
        return item
    if isinstance(item, Pipeline):
        return item.as_node(name=item.name)
    if callable(item):
        return FunctionNode(item)
    raise DefinitionError(
        f"a pipeline is built from functions, nested pipelines or nodes, but got {item!r} "
        f"of type {type(item).__name__}"
    )
