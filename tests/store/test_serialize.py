"""Each type is stored in a safe, fast format and comes back equal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hyperflow.store import deserialize, serialize


def _scale(x: float) -> float:
    return 2 * x


@pytest.mark.parametrize(
    ("value", "fmt"),
    [
        (b"raw", "bytes"),
        ({"a": [1, 2.5, None], "b": "x"}, "json"),
        (3, "json"),
        ((1, 2), "pickle"),  # JSON would turn a tuple into a list
        ({1: "a"}, "pickle"),  # JSON would turn int keys into strings
        (np.arange(12, dtype=np.float32).reshape(3, 4), "npy"),
        (np.array([{"a": 1}], dtype=object), "pickle"),
        (pd.DataFrame({"x": [1, 2], "y": ["a", "b"]}), "parquet"),
        ({1, 2, 3}, "pickle"),
    ],
)
def test_format_per_type_round_trips(value: object, fmt: str) -> None:
    data, got = serialize(value)
    assert got == fmt
    back = deserialize(data, fmt)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype
        np.testing.assert_array_equal(back, value)
    elif isinstance(value, pd.DataFrame):
        pd.testing.assert_frame_equal(back, value)
    else:
        assert back == value and type(back) is type(value)


def test_npy_is_loaded_without_pickle() -> None:
    data, fmt = serialize(np.ones(3))
    assert fmt == "npy" and data.startswith(b"\x00hyperflow:npy\n\x93NUMPY")


def test_sklearn_estimator_uses_skops() -> None:  # issue 22: skops, not joblib
    from sklearn.linear_model import LogisticRegression

    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    model = LogisticRegression().fit(x, [0, 0, 1, 1])
    data, fmt = serialize(model)
    assert fmt == "skops"
    np.testing.assert_array_equal(deserialize(data, fmt).predict(x), model.predict(x))


@pytest.mark.parametrize(
    "make",
    [
        "sklearn.ensemble:RandomForestClassifier(n_estimators=3)",
        "sklearn.ensemble:HistGradientBoostingClassifier(max_iter=3)",
        "sklearn.neighbors:KNeighborsClassifier()",
        "sklearn.neural_network:MLPClassifier(max_iter=5)",
    ],
)
def test_trees_neighbours_and_mlps_use_skops_too(make: str) -> None:
    """Their fitted state holds scikit-learn classes outside skops' default allow-list
    (``Tree``, ``TreePredictor``, ``KDTree``, ``AdamOptimizer``); before, a forest fell
    back to joblib silently."""
    import importlib
    import warnings

    from sklearn.datasets import load_iris

    module, _, call = make.partition(":")
    name, _, args = call.partition("(")
    kwargs = dict(a.split("=") for a in args.rstrip(")").split(",") if a)
    cls = getattr(importlib.import_module(module), name)
    x, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLP: not converged in 5 iterations
        model = cls(**{k: int(v) for k, v in kwargs.items()}).fit(x, y)
    data, fmt = serialize(model)
    assert fmt == "skops"
    np.testing.assert_array_equal(deserialize(data, fmt).predict(x), model.predict(x))


def test_only_named_sklearn_state_classes_are_trusted() -> None:
    from hyperflow.store._serialize import _outside_project

    names = [
        "sklearn.tree._tree.Tree",
        "sklearn.metrics._dist_metrics.ManhattanDistance64",
        "sklearn.utils._joblib.register_parallel_backend",  # a function: never trusted
        "sklearn.tree._tree.Tree.__reduce__",
        "os.system",
    ]
    assert _outside_project(names) == names[2:]


def test_closures_and_lambdas_use_cloudpickle() -> None:
    k = 3
    data, fmt = serialize(lambda x: x * k)
    assert fmt == "pickle" and deserialize(data, fmt)(2) == 6
    assert deserialize(*serialize(_scale))(2) == 4


def test_the_format_is_part_of_the_bytes_and_is_checked() -> None:
    import pickle

    import hyperflow as hf

    data, fmt = serialize(b"\x80\x05plain bytes")
    assert fmt == "bytes" and data.startswith(b"\x00hyperflow:bytes\n")
    for claimed in ("pickle", "joblib", "json"):
        with pytest.raises(hf.IntegrityError, match=f"written as 'bytes' but their record says '{claimed}'"):
            deserialize(data, claimed)
    with pytest.raises(hf.StoreError, match="unknown artifact format 'exe'"):
        deserialize(data, "exe")
    assert deserialize(serialize((1, 2))[0], "pickle") == (1, 2)
    untagged = pickle.dumps((1, 2))  # written before formats were tagged: still loads
    assert deserialize(untagged, "pickle") == (1, 2)
    assert deserialize(b'{"a": 1}', "json") == {"a": 1}


def test_tagging_changes_the_digest_so_a_record_cannot_retag_a_blob() -> None:
    import hashlib

    payload = b"same payload"
    as_bytes, _ = serialize(payload)
    retagged = as_bytes.replace(b":bytes\n", b":pickle\n", 1)
    assert hashlib.sha256(as_bytes).hexdigest() != hashlib.sha256(retagged).hexdigest()


class Doubler:
    """A project class inside a scikit-learn pipeline (its module is made a trusted one)."""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return x * 2


def test_a_project_class_inside_an_estimator_is_stored_with_skops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    x = np.arange(20.0).reshape(10, 2)
    y = np.array([0, 1] * 5)
    model = make_pipeline(FunctionTransformer(Doubler()), LogisticRegression()).fit(x, y)
    monkeypatch.setenv("HYPERFLOW_TRUSTED_MODULES", Doubler.__module__.split(".")[0])
    data, fmt = serialize(model)
    assert fmt == "skops"
    assert (deserialize(data, fmt).predict(x) == model.predict(x)).all()
    # elsewhere (this module not trusted), the same bytes are refused before anything is built
    monkeypatch.delenv("HYPERFLOW_TRUSTED_MODULES")
    from hyperflow import IntegrityError

    with pytest.raises(IntegrityError, match="outside this project's modules"):
        deserialize(data, fmt)
    # and a new save of it falls back to a pickle format, which the registry gates
    assert serialize(model)[1] == "joblib"
