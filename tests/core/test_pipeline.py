from __future__ import annotations

import itertools
from typing import Annotated

import pytest

import hyperflow as hf
from tests.core import fixtures as fx


def test_inputs_outputs_and_sinks() -> None:
    p = fx.train()
    assert p.inputs == ("path", "seed")
    assert p.required_inputs == ("path",)
    assert set(p.outputs) == {"data", "split", "features", "model", "metrics", "report"}
    assert set(p.sinks) == {"metrics", "report"}


def test_cycle_is_reported_with_its_path() -> None:
    def a(c: int) -> int:
        return c

    def b(a: int) -> int:
        return a

    def c(b: int) -> int:
        return b

    with pytest.raises(hf.CycleError) as err:
        hf.Pipeline([a, b, c], name="loop")
    msg = str(err.value)
    assert "cycle" in msg
    path = msg.split("cycle: ")[1].split(";")[0].split(" -> ")
    assert path[0] == path[-1] and set(path) == {"a", "b", "c"}
    # consecutive pairs are real edges (dependency -> consumer)
    edges = {("c", "a"), ("a", "b"), ("b", "c")}
    assert all((x, y) in edges for x, y in itertools.pairwise(path))


def test_two_producers_without_variants() -> None:
    def x(a: int) -> int:
        return a

    @hf.node(output="x")
    def x2(a: int) -> int:
        return a

    with pytest.raises(hf.DuplicateOutputError, match=r"'x'.*x2.*variant"):
        hf.Pipeline([x, x2])


def test_same_function_twice_is_said_plainly() -> None:
    def a(x: int) -> int:
        return x

    with pytest.raises(hf.DuplicateOutputError) as info:
        hf.Pipeline([a, fx.report, a], name="twice")
    assert str(info.value) == "pipeline 'twice': function 'a' is listed twice; list each node once"
    inner = hf.Pipeline([a], name="inner")
    with pytest.raises(hf.DuplicateOutputError, match="node 'inner' is listed twice"):
        hf.Pipeline([inner, inner])


def test_two_functions_of_one_name_are_told_apart() -> None:
    def make(k: int) -> object:
        def a(x: int) -> int:
            return x + k

        return a

    first, second = make(1), make(2)
    with pytest.raises(hf.DuplicateOutputError) as info:
        hf.Pipeline([first, second])
    text = str(info.value)
    assert "node 'a' and node 'a'" not in text and "listed twice" not in text
    assert "two different functions named 'a', both " in text and "make.<locals>.a" in text

    def report(data: list[float]) -> str:  # same name as fx.report, another function
        return ""

    with pytest.raises(hf.DuplicateOutputError) as other:
        hf.Pipeline([fx.report, report])
    text = str(other.value)
    assert "tests.core.fixtures.report" in text and "<locals>.report" in text
    assert "both produce 'report'" in text


def test_mixed_variant_and_plain_producer() -> None:
    @hf.node(output="f", variant="a")
    def fa(x: int) -> int:
        return x

    def f(x: int) -> int:
        return x

    with pytest.raises(hf.DuplicateOutputError, match=r"node 'f' is not declared as a variant"):
        hf.Pipeline([fa, f])


def test_type_mismatch_names_both_nodes() -> None:
    def text(x: int) -> str:
        return str(x)

    def length(text: int) -> int:
        return text

    with pytest.raises(
        hf.TypeMismatchError, match=r"'text' returns str .* 'length' expects text: int"
    ):
        hf.Pipeline([text, length])


@pytest.mark.parametrize(
    ("produced", "consumed"),
    [
        (int, float),
        (bool, int),
        (int, "int | None"),
        (list[int], list),
        (dict[str, int], dict[str, float]),
        ("Any", int),
        (type(None), "int | None"),
    ],
)
def test_compatible_annotations_pass(produced: object, consumed: object) -> None:
    ns: dict[str, object] = {"produced": produced, "consumed": consumed}
    exec(
        "from typing import Any\n"
        "def a(x: int) -> produced: return x\n"
        "def b(a: consumed) -> int: return 1\n",
        ns,
    )
    hf.Pipeline([ns["a"], ns["b"]])  # type: ignore[list-item]


def test_plain_pipeline_errors() -> None:
    with pytest.raises(hf.DefinitionError, match="list of nodes"):
        hf.Pipeline(fx.data)  # type: ignore[arg-type]
    with pytest.raises(hf.DefinitionError, match=r"\*args/\*\*kwargs"):

        def bad(*xs: int) -> int:
            return 0

        hf.Pipeline([bad])
    with pytest.raises(
        hf.DefinitionError, match="built from functions, nested pipelines or nodes, but got 42"
    ):
        hf.Pipeline([42])  # type: ignore[list-item]


def test_string_annotations_are_resolved() -> None:
    ns: dict[str, object] = {}
    exec(
        "from __future__ import annotations\n"
        "from typing import Annotated\n"
        "import hyperflow as hf\n"
        "def f(x: int, k: Annotated[int, hf.Int(1, 5)] = 2) -> int: return x * k\n",
        ns,
    )
    p = hf.Pipeline([ns["f"]])  # type: ignore[list-item]
    assert list(p.space) == ["f.k"]


def test_ten_thousand_node_chain_builds_and_runs() -> None:
    funcs = []
    for i in range(10_000):
        ns: dict[str, object] = {}
        prev = f"n{i - 1}" if i else "x"
        exec(f"def n{i}({prev}): return {prev} + 1", ns)
        funcs.append(ns[f"n{i}"])
    p = hf.Pipeline(funcs, name="chain")  # type: ignore[arg-type]
    r = p.run(inputs={"x": 0}, outputs=["n9999"], track=False, cache=False)
    assert r["n9999"] == 10_000
    assert len(r.timings) == 10_000


def test_ten_thousand_node_cycle_is_found_iteratively() -> None:
    funcs = []
    n = 10_000
    for i in range(n):
        ns: dict[str, object] = {}
        prev = f"n{(i - 1) % n}"
        exec(f"def n{i}({prev}): return {prev}", ns)
        funcs.append(ns[f"n{i}"])
    with pytest.raises(hf.CycleError):
        hf.Pipeline(funcs)  # type: ignore[arg-type]


def test_mermaid_and_dot_show_variants_as_alternatives() -> None:
    p = fx.train()
    mm = p.to_mermaid(config={"features": "poly"})
    assert mm.startswith("flowchart LR")
    assert 'subgraph cl_features["features (variants)"]' in mm
    assert "n_split -.-> n_features_scaled" in mm  # inactive variant dashed
    assert "n_split --> n_features_poly" in mm
    assert "class n_features_scaled inactive" in mm
    dot = p.to_dot()
    assert dot.startswith('digraph "train"')
    assert "subgraph cluster_cl_features" in dot
    assert "n_split -> n_features_poly [style=dashed];" in dot  # default variant is scaled
    assert 'in_path [label="path", shape=parallelogram' in dot
    # every node appears exactly once
    for key in ["n_data", "n_split", "n_features_scaled", "n_features_poly", "n_model"]:
        assert dot.count(f"  {key} [") == 1


def test_annotated_without_space_is_a_plain_parameter() -> None:
    def f(x: Annotated[int, "doc"]) -> int:
        return x

    p = hf.Pipeline([f])
    assert p.inputs == ("x",)
    assert len(p.space) == 0


def test_facades_keep_their_types() -> None:
    """``Pipeline.run``/``optimize``/``visualize`` return the precise types they forward."""
    import os
    import typing
    from concurrent.futures import Executor

    from hyperflow.engine import Cache, RunHook, RunResult
    from hyperflow.optimize import Objective, Study
    from hyperflow.store import MetadataStore
    from hyperflow.viz import Figure

    names = {
        "os": os,
        "Executor": Executor,
        "Cache": Cache,
        "RunHook": RunHook,
        "RunResult": RunResult,
        "Objective": Objective,
        "Study": Study,
        "MetadataStore": MetadataStore,
        "Figure": Figure,
    }
    run = typing.get_type_hints(hf.Pipeline.run, localns=names)
    assert run["return"] is RunResult
    assert run["cache"] == bool | str | os.PathLike[str] | Cache | None
    assert run["track"] == bool | str | MetadataStore | None
    assert typing.get_type_hints(hf.Pipeline.optimize, localns=names)["return"] is Study
    assert typing.get_type_hints(hf.Pipeline.visualize, localns=names)["return"] is Figure
