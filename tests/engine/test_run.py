from __future__ import annotations

import concurrent.futures as cf
import threading

import pytest

import hyperflow as hf
from tests.core import fixtures as fx


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    fx.CALLS.clear()


def test_run_executes_only_what_the_outputs_need() -> None:
    r = fx.train().run(inputs={"path": "ab"}, outputs=["metrics"], track=False)
    assert fx.CALLS == ["data", "split", "scaled", "model", "metrics"]  # no poly, no report
    assert list(r) == ["metrics"]
    assert set(r.timings) == {"data", "split", "features.scaled", "model", "metrics"}
    assert all(t >= 0 for t in r.timings.values())
    assert len(r.run_id) == 32
    assert r.config["features"] == "scaled"


def test_default_outputs_are_the_final_ones() -> None:
    r = fx.train().run(inputs={"path": "ab"}, track=False)
    assert set(r) == {"metrics", "report"}
    assert r["report"] == "3 rows"


def test_single_output_as_string_and_unknown_output() -> None:
    p = fx.train()
    assert p.run(inputs={"path": "x"}, outputs="data", track=False)["data"] == [1.0, 2.0, 3.0]
    with pytest.raises(hf.InputError, match=r"no output 'metric'.*did you mean 'metrics'"):
        p.run(inputs={"path": "x"}, outputs=["metric"], track=False)
    with pytest.raises(KeyError, match="not requested"):
        p.run(inputs={"path": "x"}, outputs="data", track=False)["model"]


def test_missing_inputs_fail_before_any_node_runs() -> None:
    def both(a: int, b: int, c: int = 1) -> int:
        return a + b + c

    def after(both: int, d: str) -> str:
        return d * both

    p = hf.Pipeline([fx.data, both, after])
    with pytest.raises(hf.InputError) as err:
        p.run(inputs={"a": 1}, track=False)
    msg = str(err.value)
    assert "'b' (needed by both)" in msg and "'d' (needed by after)" in msg and "'path'" in msg
    assert "'c'" not in msg
    assert fx.CALLS == []


def test_unknown_input_is_rejected_with_suggestion() -> None:
    with pytest.raises(hf.InputError, match=r"no input 'pth'.*did you mean 'path'"):
        fx.train().run(inputs={"pth": "x"}, track=False)


def test_inputs_of_unselected_variants_are_not_required() -> None:
    @hf.node(output="f", variant="a")
    def fa(x: int) -> int:
        return x

    @hf.node(output="f", variant="b")
    def fb(x: int, extra: int) -> int:
        return x + extra

    p = hf.Pipeline([fa, fb])
    assert p.run(inputs={"x": 1}, track=False)["f"] == 1
    with pytest.raises(hf.InputError, match="'extra'"):
        p.run(inputs={"x": 1}, config={"f": "b"}, track=False)


def test_node_error_names_the_node_and_chains_the_cause() -> None:
    def boom(x: int) -> int:
        raise ZeroDivisionError("no")

    with pytest.raises(hf.NodeError, match=r"node 'boom' failed: ZeroDivisionError: no") as err:
        hf.Pipeline([boom]).run(inputs={"x": 1}, track=False)
    assert err.value.node == "boom"
    assert isinstance(err.value.__cause__, ZeroDivisionError)


def test_hooks_see_every_node_and_failures() -> None:
    events: list[tuple[str, str]] = []

    class Recorder(hf.RunHook):
        def run_started(self, *, run_id: str, **kw: object) -> None:
            events.append(("start", run_id))

        def node_finished(self, *, key: str, **kw: object) -> None:
            events.append(("node", key))

        def run_finished(
            self, *, result: hf.RunResult, error: BaseException | None, **kw: object
        ) -> None:
            events.append(("end", result.failed_node or ("error" if error else "ok")))

    r = fx.train().run(inputs={"path": "a"}, outputs="split", hooks=[Recorder()], track=False)
    assert events == [("start", r.run_id), ("node", "data"), ("node", "split"), ("end", "ok")]

    def boom(x: int) -> int:
        raise ValueError

    events.clear()
    with pytest.raises(hf.NodeError):
        hf.Pipeline([boom]).run(inputs={"x": 1}, hooks=[Recorder()], track=False)
    assert events[-1] == ("end", "boom")


def test_node_check_rejects_bad_output() -> None:
    def positive(v: float) -> None:
        if v <= 0:
            raise ValueError(f"expected a positive value, got {v}")

    @hf.node(check=positive)
    def value(x: float) -> float:
        return x

    p = hf.Pipeline([value])
    assert p.run(inputs={"x": 1.0}, track=False)["value"] == 1.0
    with pytest.raises(
        hf.NodeCheckError, match=r"output of node 'value' failed its check.*positive value"
    ):
        p.run(inputs={"x": -1.0}, track=False)


def test_thread_executor_overlaps_independent_nodes() -> None:
    # b and c each wait at a two-party barrier: they can only pass it (and the run
    # can only succeed) when the executor runs them at the same time
    barrier = threading.Barrier(2, timeout=60)  # generous: only a broken executor waits

    def a(x: float) -> float:
        return x + 1

    def b(a: float) -> float:
        barrier.wait()
        return a * 2

    def c(a: float) -> float:
        barrier.wait()
        return a * 3

    def d(b: float, c: float) -> float:
        return b + c

    p = hf.Pipeline([a, b, c, d], name="diamond")
    with cf.ThreadPoolExecutor(4) as pool:
        par = p.run(inputs={"x": 1.0}, executor=pool, track=False, cache=False)
    assert dict(par) == {"d": 10.0}
    assert set(par.timings) == {"a", "b", "c", "d"}
    # run one after the other, the first branch cannot pass the barrier alone
    lone = threading.Barrier(2, timeout=0.5)

    def e(a: float) -> float:
        lone.wait()
        return a

    with pytest.raises(hf.NodeError, match="node 'e' failed: BrokenBarrierError"):
        hf.Pipeline([a, e], name="alone").run(inputs={"x": 1.0}, track=False, cache=False)


def test_executor_reports_node_errors() -> None:
    def boom(x: int) -> int:
        raise RuntimeError("bad")

    with cf.ThreadPoolExecutor(2) as pool, pytest.raises(hf.NodeError, match="node 'boom' failed"):
        hf.Pipeline([boom]).run(inputs={"x": 1}, executor=pool, track=False)
