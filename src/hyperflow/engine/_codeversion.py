"""Code versions: a digest of what a function will compute, stable across processes.

The code version of a function covers:

* its normalized source: the AST without comments, docstrings, formatting or
  decorators (so reformatting or re-commenting never invalidates a cache);
* its default argument values and the values captured in its closure;
* the module-level functions and classes *of the user's code* that it refers
  to by name (``helper(x)`` or ``helpers.clean(x)``), transitively, and the
  module-level constants it reads (numbers, strings, bytes, tuples of them);
* a manual version given with ``@hf.node(version="2")``, mixed in by the
  caller (:func:`node_version`), so bumping it always invalidates.

Not tracked (bump ``version=`` when they change): code of installed packages
(their version is not part of the key), mutable module-level objects (lists,
dicts, arrays) and in-place mutation of closure values, methods of user
classes beyond the class's own source, files or environment read at run time,
and functions reached only through attributes of objects (``obj.method()``).

Versions are memoized per function object and re-validated with identity checks
on every global and closure cell they depend on, so a redefined helper in a
notebook is noticed without re-reading any source.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import linecache
import sysconfig
import textwrap
import types
import weakref
from pathlib import Path
from typing import Any

import xxhash

__all__ = ["code_version", "node_version"]

_MISSING: Any = object()
_SIMPLE = (int, float, str, bytes, bool, type(None))
_Check = tuple[Any, str, Any]  # (namespace dict or cell, name, object seen)


def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    roots.add(str(Path(__file__).resolve().parents[1]))  # hyperflow itself
    return tuple(sorted(str(Path(r).resolve()) for r in roots))


_LIB_ROOTS = _library_roots()


def _is_user_file(filename: str) -> bool:
    if filename.startswith("<frozen"):
        return False
    if filename.startswith("<"):  # notebooks, exec'd code
        return True
    try:
        resolved = str(Path(filename).resolve())
    except OSError:
        return True
    return not resolved.startswith(_LIB_ROOTS) and "site-packages" not in resolved


def _is_user_function(obj: Any) -> bool:
    return isinstance(obj, types.FunctionType) and _is_user_file(obj.__code__.co_filename)


def _is_user_class(obj: Any) -> bool:
    if not isinstance(obj, type):
        return False
    module = __import__("sys").modules.get(obj.__module__)
    filename = getattr(module, "__file__", None)
    return bool(filename) and _is_user_file(str(filename))


def _is_user_module(obj: Any) -> bool:
    filename = getattr(obj, "__file__", None)
    return isinstance(obj, types.ModuleType) and bool(filename) and _is_user_file(str(filename))


class _Memo:
    __slots__ = ("cells", "checks", "version")

    def __init__(self, version: str, checks: list[_Check], cells: list[tuple[Any, Any]]) -> None:
        self.version = version
        self.checks = checks
        self.cells = cells

    def valid(self) -> bool:
        for ns, name, seen in self.checks:
            if ns.get(name, _MISSING) is not seen:
                return False
        for cell, seen in self.cells:
            try:
                if cell.cell_contents is not seen:
                    return False
            except ValueError:
                return False
        return True


_MEMO: weakref.WeakKeyDictionary[Any, _Memo] = weakref.WeakKeyDictionary()


def code_version(func: Any) -> str:
    """The code version of ``func``: 32 hex characters (see the module docstring).

    Example:
        >>> from hyperflow.engine import code_version
        >>> def f(x):
        ...     return x + 1  # a comment
        >>> v = code_version(f)
        >>> def f(x):
        ...     '''Now documented.'''
        ...     return x + 1
        >>> code_version(f) == v
        True
    """
    memo = _MEMO.get(func)
    if memo is not None and memo.valid():
        return memo.version
    memo = _compute(func)
    with contextlib.suppress(TypeError):  # not weak-referenceable: not memoized
        _MEMO[func] = memo
    return memo.version


def node_version(func: Any, manual: str | None) -> str:
    """The version of a node: its code version, with ``@hf.node(version=...)`` mixed in."""
    auto = code_version(func)
    if manual is None:
        return auto
    return xxhash.xxh3_128_hexdigest(f"{auto}:{manual}".encode())


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _code_names(c)
    return names


def _strip_docstrings(tree: ast.AST) -> None:
    for n in ast.walk(tree):
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module):
            body = n.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                n.body = body[1:] or [ast.Pass()]
            if not isinstance(n, ast.Module):
                n.decorator_list = []


def normalized_source(obj: Any) -> bytes:
    """Source of a function or class without comments, docstrings, layout, decorators."""
    code = getattr(obj, "__code__", None)
    if code is not None:
        linecache.checkcache(code.co_filename)
    try:
        source = textwrap.dedent(inspect.getsource(obj))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        if code is None:
            return f"<no source: {getattr(obj, '__qualname__', obj)!r}>".encode()
        return _code_bytes(code)
    _strip_docstrings(tree)
    return ast.dump(tree, annotate_fields=False, include_attributes=False).encode()


def _code_bytes(code: types.CodeType) -> bytes:
    """Fallback without source (exec'd code): bytecode, constants and names."""
    parts = [code.co_code, repr(code.co_names).encode(), repr(code.co_varnames).encode()]
    for c in code.co_consts:
        parts.append(_code_bytes(c) if isinstance(c, types.CodeType) else repr(c).encode())
    return b"\x00".join(parts)


def _simple(value: Any) -> bool:
    if isinstance(value, _SIMPLE):
        return True
    return isinstance(value, tuple | frozenset) and all(_simple(v) for v in value)


def _compute(func: Any) -> _Memo:
    from hyperflow.engine._fingerprint import digest

    h = xxhash.xxh3_128()
    checks: list[_Check] = []
    cells: list[tuple[Any, Any]] = []
    seen: set[int] = set()
    queue: list[Any] = [func]
    while queue:
        f = queue.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        h.update(f"\x01{getattr(f, '__qualname__', '?')}\x00".encode())
        h.update(normalized_source(f))
        code = getattr(f, "__code__", None)
        if code is None:  # a class: its source is enough
            continue
        h.update(b"\x02" + digest((f.__defaults__, f.__kwdefaults__)))
        for name, cell in zip(code.co_freevars, f.__closure__ or (), strict=False):
            try:
                value = cell.cell_contents
            except ValueError:  # empty cell (a name assigned later)
                continue
            cells.append((cell, value))
            if _is_user_function(value) or _is_user_class(value):
                queue.append(value)
                h.update(f"\x03{name}".encode())
            else:
                h.update(f"\x04{name}".encode() + digest(value))
        g = f.__globals__
        names = sorted(_code_names(code))
        for name in names:
            value = g.get(name, _MISSING)
            checks.append((g, name, value))
            if value is _MISSING:
                continue
            if _is_user_function(value) or _is_user_class(value):
                queue.append(value)
                h.update(f"\x05{name}".encode())
            elif _is_user_module(value):
                ns = value.__dict__
                for attr in names:
                    member = ns.get(attr, _MISSING)
                    checks.append((ns, attr, member))
                    if _is_user_function(member) or _is_user_class(member):
                        queue.append(member)
                        h.update(f"\x06{name}.{attr}".encode())
            elif _simple(value):
                h.update(f"\x07{name}".encode() + digest(value))
    return _Memo(h.hexdigest(), checks, cells)
