"""Caching through ``Pipeline.run``: on by default, exact invalidation, shared across processes."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Annotated

import pytest

import hyperflow as hf
from hyperflow.engine import DiskCache, MemoryCache, get_cache, project_root

SRC = Path(__file__).parents[2] / "src"

FLOW = """
import hyperflow as hf
from typing import Annotated

CALLS = []

def scale(v):
    return v * 10

def raw(x: int) -> int:
    CALLS.append("raw")
    return x + 1

def left(raw: int, k: Annotated[int, hf.Int(1, 9)] = 2) -> int:
    CALLS.append("left")
    return raw * k

def right(raw: int) -> int:
    CALLS.append("right")
    return scale(raw)

def total(left: int, right: int) -> int:
    CALLS.append("total")
    return left + right

def double(v: int) -> int:
    CALLS.append("double")
    return 2 * v

inner = hf.Pipeline([double], name="inner")
flow = hf.Pipeline(
    [raw, left, right, total, inner.as_node(
        name="each", inputs={"items": "v"}, outputs={"double": "each"}, map_over="items"
    )],
    name="flow",
)
"""

ALL = {"raw", "left", "right", "total"}


@pytest.fixture
def write_flow(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.syspath_prepend(str(tmp_path))

    def _write(source: str = FLOW) -> ModuleType:
        (tmp_path / "flowmod.py").write_text(textwrap.dedent(source))
        importlib.invalidate_caches()
        if "flowmod" in sys.modules:
            return importlib.reload(sys.modules["flowmod"])
        return importlib.import_module("flowmod")

    yield _write
    sys.modules.pop("flowmod", None)


def run(mod: ModuleType, **kw: object) -> hf.RunResult:
    kw.setdefault("inputs", {"x": 1})
    kw.setdefault("outputs", ["total"])
    return mod.flow.run(**kw)  # type: ignore[no-any-return]


def recomputed(result: hf.RunResult) -> set[str]:
    return {k for k, hit in result.cache_hits.items() if not hit}


def test_cache_is_on_by_default_in_the_project_folder(write_flow) -> None:  # type: ignore[no-untyped-def]
    mod = write_flow()
    first = run(mod)
    assert recomputed(first) == ALL and first["total"] == 24
    second = run(mod)
    assert second["total"] == 24 and all(second.cache_hits.values())
    assert mod.CALLS == ["raw", "left", "right", "total"]  # nothing ran twice
    assert any(Path(".hyperflow/cache").rglob("*"))


def test_default_cache_is_resolved_at_the_project_root_when_used(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.hyperflow]\nname = 'demo'\n")
    sub = tmp_path / "notebooks" / "deep"
    sub.mkdir(parents=True)
    os.chdir(sub)
    assert project_root() == tmp_path.resolve()
    cache = get_cache()
    assert isinstance(cache, DiskCache)
    assert cache.path == tmp_path.resolve() / ".hyperflow" / "cache"


@pytest.mark.parametrize("how", ["argument", "env"])
def test_cache_can_be_turned_off(write_flow, how: str, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    mod = write_flow()
    kw: dict[str, object] = {}
    if how == "argument":
        kw["cache"] = False
    else:
        monkeypatch.setenv("HYPERFLOW_CACHE", "off")
    run(mod, **kw)
    again = run(mod, **kw)
    assert not any(again.cache_hits.values())
    assert mod.CALLS.count("raw") == 2
    assert not Path(".hyperflow/cache").exists()  # (the run is still tracked)


def test_bad_cache_argument_names_the_accepted_forms() -> None:
    with pytest.raises(hf.CacheError, match="cache= must be None, True, False"):
        get_cache(3.5)


def test_per_node_opt_out_always_recomputes() -> None:
    calls: list[str] = []

    def a(x: int) -> int:
        calls.append("a")
        return x + 1

    @hf.node(cache=False)
    def b(a: int) -> int:
        calls.append("b")
        return a * 2

    def c(b: int) -> int:
        calls.append("c")
        return b - 1

    p = hf.Pipeline([a, b, c], name="opt")
    cache = MemoryCache()
    p.run(inputs={"x": 1}, cache=cache)
    r = p.run(inputs={"x": 1}, cache=cache)
    assert r.cache_hits == {"a": True, "b": False, "c": True} and r["c"] == 3
    assert calls == ["a", "b", "c", "b"]


def test_changing_one_parameter_recomputes_only_it_and_descendants(write_flow) -> None:  # type: ignore[no-untyped-def]
    mod = write_flow()
    run(mod)
    r = run(mod, config={"left.k": 3})
    assert recomputed(r) == {"left", "total"} and r["total"] == 26
    r = run(mod, inputs={"x": 2})
    assert recomputed(r) == ALL and r["total"] == 36


def test_editing_a_function_body_recomputes_it_and_descendants(write_flow) -> None:  # type: ignore[no-untyped-def]
    run(write_flow())
    mod = write_flow(FLOW.replace("return raw * k", "return raw * k + 1"))
    r = run(mod)
    assert recomputed(r) == {"left", "total"} and r["total"] == 25


def test_editing_a_helper_recomputes_its_callers_and_descendants(write_flow) -> None:  # type: ignore[no-untyped-def]
    run(write_flow())
    mod = write_flow(FLOW.replace("return v * 10", "return v * 100"))
    r = run(mod)
    assert recomputed(r) == {"right", "total"} and r["total"] == 204


def test_cosmetic_edits_keep_every_hit(write_flow) -> None:  # type: ignore[no-untyped-def]
    run(write_flow())
    mod = write_flow(FLOW.replace("return v * 10", "return v*10  # ten times"))
    assert all(run(mod).cache_hits.values())


def test_manual_version_bump_recomputes(write_flow) -> None:  # type: ignore[no-untyped-def]
    run(write_flow())
    mod = write_flow(FLOW.replace("def right(", '@hf.node(version="2")\ndef right('))
    assert recomputed(run(mod)) == {"right"}  # same value, so `total` still hits


def test_a_second_process_hits_every_node(write_flow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mod = write_flow()
    first = run(mod, outputs=["total", "each"], inputs={"x": 1, "items": [1, 2]})
    assert not any(first.cache_hits.values())
    script = (
        "import json, flowmod\n"
        "r = flowmod.flow.run(inputs={'x': 1, 'items': [1, 2]}, outputs=['total', 'each'])\n"
        "print(json.dumps({'hits': r.cache_hits, 'total': r['total'], 'each': r['each'],"
        " 'calls': flowmod.CALLS}))\n"
    )
    env = dict(os.environ, PYTHONHASHSEED="999", PYTHONPATH=f"{SRC}{os.pathsep}{tmp_path}")
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    got = json.loads(out.stdout)
    assert got["total"] == 24 and got["each"] == [2, 4] and got["calls"] == []
    assert set(got["hits"]) == set(first.cache_hits)
    assert {k for k in got["hits"] if k.startswith("each.")} == {"each.double"}
    assert all(hit for k, hit in got["hits"].items() if k != "each")  # the nested node itself
    assert got["hits"]["each"] is False  # is never cached; its inner nodes are


def test_nested_map_caches_inner_nodes_per_item(write_flow) -> None:  # type: ignore[no-untyped-def]
    mod = write_flow()
    run(mod, inputs={"x": 1, "items": [1, 2]}, outputs=["each"])
    mod.CALLS.clear()
    r = run(mod, inputs={"x": 1, "items": [2, 3]}, outputs=["each"])
    assert r["each"] == [4, 6]
    assert mod.CALLS == ["double"]  # only the new item 3


def test_corrupt_entry_is_recomputed_not_returned(
    write_flow, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    mod = write_flow()
    run(mod)
    for f in Path(".hyperflow/cache").rglob("*"):
        if f.is_file():
            f.write_bytes(f.read_bytes()[:-3])  # truncate every entry
    mod.CALLS.clear()
    r = run(mod)
    assert r["total"] == 24
    assert "total" in mod.CALLS and "corrupt" in caplog.text
    r = run(mod)  # the recomputed value was stored again
    assert r["total"] == 24 and all(r.cache_hits.values())


def test_truncated_input_of_a_missed_node_is_recomputed_from_its_inputs(write_flow) -> None:  # type: ignore[no-untyped-def]
    mod = write_flow()
    cache = MemoryCache()
    run(mod, cache=cache)
    for key in list(cache._data):  # damage every stored value
        cache._data[key] = cache._data[key][:-2]
    mod.CALLS.clear()
    r = run(mod, cache=cache, config={"left.k": 5})  # `left` misses and needs `raw`
    assert r["total"] == 30
    assert sorted(mod.CALLS) == ["left", "raw", "right", "total"]


def test_unchanged_tunable_defaults_share_entries_with_explicit_values() -> None:
    def f(x: int, k: Annotated[int, hf.Int(1, 5)] = 2) -> int:
        return x * k

    p = hf.Pipeline([f], name="t")
    cache = MemoryCache()
    p.run(inputs={"x": 1}, cache=cache)
    assert p.run(inputs={"x": 1}, config={"f.k": 2}, cache=cache).cache_hits == {"f": True}
    assert p.run(inputs={"x": 1}, config={"f.k": 3}, cache=cache).cache_hits == {"f": False}


def test_input_without_fingerprint_runs_its_consumers_uncached(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def total(numbers: object) -> int:
        return sum(numbers)  # type: ignore[call-overload,no-any-return]

    def doubled(total: int) -> int:
        return 2 * total

    p = hf.Pipeline([total, doubled], name="gen")
    cache = MemoryCache()
    p.run(inputs={"numbers": (i for i in range(4))}, cache=cache)
    r = p.run(inputs={"numbers": (i for i in range(4))}, cache=cache)
    assert r["doubled"] == 12
    assert r.cache_hits == {"total": False, "doubled": True}
    assert "node 'total' runs uncached" in caplog.text


@pytest.mark.parametrize(
    ("env", "kind"),
    [("off", None), ("memory", MemoryCache), ("some/folder", DiskCache), ("on", DiskCache)],
)
def test_hyperflow_cache_env_selects_the_default(
    env: str, kind: type | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYPERFLOW_CACHE", env)
    cache = get_cache(None)
    assert (cache is None) if kind is None else isinstance(cache, kind)
    if env == "some/folder":
        assert isinstance(cache, DiskCache) and cache.path == Path("some/folder").resolve()
    assert get_cache(False) is None  # an explicit argument wins over the environment
