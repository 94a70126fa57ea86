"""Content fingerprints: equal values give equal hex digests, in any process or machine.

A fingerprint is an xxh3-128 digest of a canonical byte stream. Every value
is written as a type tag, a length and its content, so ``[1, 2]`` and
``(1, 2)`` or ``"1"`` and ``1`` never collide. Containers are walked with an
explicit stack: there is no depth limit (unlike Hamilton's, which stops at
depth 6 and returns stale results) and no recursion limit on deep chains.

What is hashed, per type:

* ``None``/``bool``/``int``/``float``/``str``/``bytes``: their exact value.
* ``list``/``tuple``: elements in order; ``dict``: items sorted by key (by key
  fingerprint when keys are not all strings); ``set``/``frozenset``: sorted
  element fingerprints. Insertion order and ``PYTHONHASHSEED`` never matter.
* numpy arrays: dtype, shape and the raw bytes (a non-contiguous view is
  hashed as its contiguous copy); object arrays element by element.
* pandas ``Series``/``DataFrame``/``Index``: values, dtypes, index and names.
* scipy sparse matrices: canonical CSR (duplicates summed, indices sorted).
* dataclasses, pydantic models, scikit-learn estimators (fitted attributes
  included), plain objects: class path plus their fields.
* any object with a ``__hyperflow_fingerprint__()`` method: what it returns.
* anything else: its cloudpickle bytes.
"""

from __future__ import annotations

import dataclasses
import enum
import struct
import sys
import types
from collections.abc import Callable
from typing import Any

import xxhash

from hyperflow._errors import FingerprintError

__all__ = ["digest", "fingerprint"]

_Handler = Callable[[Any, Callable[[Any], None], list[Any]], None]
_pack_d = struct.Struct("<d").pack
_pack_q = struct.Struct("<q").pack


class _Raw:
    """Bytes to write verbatim (already-tagged content)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data


class _Exit:
    """Marks the end of a container on the walk (for cycle detection)."""

    __slots__ = ("ident",)

    def __init__(self, ident: int) -> None:
        self.ident = ident


def fingerprint(obj: Any) -> str:
    """The content fingerprint of ``obj`` as 32 hex characters.

    Example:
        >>> from hyperflow.engine import fingerprint
        >>> fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
        True
        >>> fingerprint((1, 2)) == fingerprint([1, 2])
        False
    """
    return digest(obj).hex()


def digest(obj: Any) -> bytes:
    """The 16-byte content digest of ``obj`` (see :func:`fingerprint`)."""
    h = xxhash.xxh3_128()
    _walk(obj, h.update)
    return h.digest()


def _len(n: int) -> bytes:
    return n.to_bytes(8, "little")


def _path(t: type) -> bytes:
    name = f"{t.__module__}.{t.__qualname__}".encode()
    return _len(len(name)) + name


def _walk(root: Any, upd: Callable[[Any], None]) -> None:
    stack: list[Any] = [root]
    open_ids: set[int] = set()
    pop = stack.pop
    push = stack.append
    handlers = _HANDLERS
    while stack:
        o = pop()
        t = type(o)
        if t is str:
            b = o.encode("utf-8", "surrogatepass")
            upd(b"s" + _len(len(b)))
            upd(b)
        elif t is int:
            b = o.to_bytes((o.bit_length() + 8) // 8 or 1, "little", signed=True)
            upd(b"i" + _len(len(b)) + b)
        elif t is float:
            upd(b"f" + _pack_d(o))
        elif o is None:
            upd(b"N")
        elif t is bool:
            upd(b"T" if o else b"F")
        elif t is _Raw:
            upd(o.data)
        elif t is _Exit:
            open_ids.discard(o.ident)
        elif t is list or t is tuple or t is dict:
            ident = id(o)
            if ident in open_ids:
                upd(b"R")  # a reference back to a container being walked (a cycle)
                continue
            open_ids.add(ident)
            push(_Exit(ident))
            if t is dict:
                upd(b"d" + _len(len(o)))
                _push_items(o, push)
            else:
                upd((b"l" if t is list else b"t") + _len(len(o)))
                stack.extend(reversed(o))
        else:
            handler = handlers.get(t)
            if handler is None:
                handler = handlers[t] = _resolve(t)
            handler(o, upd, stack)


def _push_items(d: Any, push: Callable[[Any], None]) -> None:
    items = list(d.items())
    if all(type(k) is str for k, _ in items):
        items.sort(key=lambda kv: kv[0])
        for k, v in reversed(items):
            push(v)
            push(k)
    else:
        keyed = sorted(((digest(k), v) for k, v in items), key=lambda kv: kv[0])
        for k, v in reversed(keyed):
            push(v)
            push(_Raw(b"k" + k))


# -- handlers, resolved once per type --------------------------------------------------------


def _h_bytes(o: Any, upd: Callable[[Any], None], stack: list[Any]) -> None:
    data = memoryview(o).cast("B") if type(o) is memoryview else o
    upd(b"b" + _len(len(data)))
    upd(data)


def _h_set(o: Any, upd: Callable[[Any], None], stack: list[Any]) -> None:
    upd(b"S" + _len(len(o)) + b"".join(sorted(digest(e) for e in o)))


def _h_custom(o: Any, upd: Callable[[Any], None], stack: list[Any]) -> None:
    upd(b"C" + _path(type(o)))
    stack.append(o.__hyperflow_fingerprint__())


def _subclass_of(base: type, tag: bytes) -> _Handler:
    def handle(o: Any, upd: Callable[[Any], None], stack: list[Any]) -> None:
        upd(tag + _path(type(o)))
        stack.append(base(o))

    return handle


def _h_enum(o: Any, upd: Callable[[Any], None], stack: list[Any]) -> None:
    upd(b"E" + _path(type(o)))
    stack.append(o.name)


def _h_fields(o: Any, upd: Callable[[Any], None], stack: list[Any]) -> None:
    """Dataclasses: class path plus ``{field: value}``."""
    upd(b"D" + _path(type(o)))
    stack.append({f.name: getattr(o, f.name) for f in dataclasses.fields(o)})


def _h_pydantic(o: Any, upd: Callable[[Any], None], stack: list[Any]) -> None:
    upd(b"P" + _path(type(o)))
    fields = {name: getattr(o, name) for name in type(o).model_fields}
    extra = getattr(o, "__pydantic_extra__", None)
    stack.append((fields, extra or {}))


def _h_vars(o: Any, upd: Callable[[Any], None], stack: list[Any]) -> None:
    """Plain objects and scikit-learn estimators: class path plus ``vars(o)``."""
    upd(b"O" + _path(type(o)))
    stack.append(dict(vars(o)))


def _h_function(o: Any, upd: Callable[[Any], None], stack: list[Any]) -> None:
    from hyperflow.engine._codeversion import code_version

    upd(b"c")
    stack.append(code_version(o))


def _h_type(o: Any, upd: Callable[[Any], None], stack: list[Any]) -> None:
    upd(b"y" + _path(o))


def _h_module(o: Any, upd: Callable[[Any], None], stack: list[Any]) -> None:
    stack.append(_Raw(b"m"))
    stack.append(o.__name__)


def _h_pickle(o: Any, upd: Callable[[Any], None], stack: list[Any]) -> None:
    import cloudpickle

    try:
        data = cloudpickle.dumps(o, protocol=5)
    except Exception as exc:
        raise FingerprintError(
            f"cannot fingerprint a value of type {type(o).__module__}.{type(o).__qualname__}: "
            f"it has no known layout and cloudpickle failed ({type(exc).__name__}: {exc}); "
            "give the class a `__hyperflow_fingerprint__(self)` method returning a str or "
            "bytes that identifies its content, or mark the node @hf.node(cache=False)"
        ) from exc
    upd(b"p" + _len(len(data)))
    upd(data)


def _is_plain_object(t: type) -> bool:
    return (
        getattr(t, "__reduce_ex__", None) is object.__reduce_ex__
        and getattr(t, "__reduce__", None) is object.__reduce__
        and getattr(t, "__getstate__", None) is object.__getstate__
        and "__slots__" not in t.__dict__
        and "__dict__" in dir(t)
    )


def _resolve(t: type) -> _Handler:
    """Pick the handler of a type (called once per type; the answer is cached)."""
    if getattr(t, "__hyperflow_fingerprint__", None) is not None:
        return _h_custom
    if issubclass(t, enum.Enum):
        return _h_enum
    if t is bytes or t is bytearray or t is memoryview:
        return _h_bytes
    if t is set or t is frozenset:
        return _h_set
    if issubclass(t, (types.FunctionType, types.BuiltinFunctionType)):
        return _h_function
    if issubclass(t, type):
        return _h_type
    if issubclass(t, types.ModuleType):
        return _h_module
    from hyperflow.engine import _fingerprint_libs as libs

    lib = libs.resolve(t)
    if lib is not None:
        return lib
    if dataclasses.is_dataclass(t):
        return _h_fields
    if "pydantic" in sys.modules and isinstance(getattr(t, "model_fields", None), dict):
        mro = {f"{c.__module__}.{c.__name__}" for c in t.__mro__}
        if "pydantic.main.BaseModel" in mro:
            return _h_pydantic
    bases: tuple[tuple[type, bytes], ...] = (
        (bool, b"!b"),
        (int, b"!i"),
        (float, b"!f"),
        (str, b"!s"),
        (bytes, b"!y"),
        (list, b"!l"),
        (tuple, b"!t"),
        (dict, b"!d"),
    )
    for base, tag in bases:
        if issubclass(t, base):
            return _subclass_of(base, tag)
    if issubclass(t, (set, frozenset)):
        return _subclass_of(frozenset, b"!S")
    if libs.is_estimator(t) or _is_plain_object(t):
        return _h_vars
    return _h_pickle


_HANDLERS: dict[type, _Handler] = {}
