from __future__ import annotations

import warnings
from typing import Annotated

import pytest

import hyperflow as hf
from tests.core import fixtures as fx


def test_space_lists_every_key_with_domain_and_default() -> None:
    space = fx.train().space
    assert list(space) == [
        "features",
        "features.scaled.factor",
        "features.poly.degree",
        "model.C",
        "model.kind",
    ]
    assert space["features"].domain == hf.Choice("scaled", "poly")
    assert space["features"].default == "scaled"
    assert space["features"].is_variant
    assert space["features.poly.degree"].domain == hf.Int(2, 3)
    assert space["features.poly.degree"].conditions == (("features", "poly"),)
    assert space["model.C"].domain == hf.Float(1e-3, 1e3, log=True)
    assert space["model.C"].default == 1.0
    assert space.to_dict()["model.kind"]["domain"] == {"type": "choice", "options": ["lr", "rf"]}


def test_unknown_key_suggests_the_closest() -> None:
    with pytest.raises(
        hf.ConfigError, match=r"unknown config key 'model.c'.*did you mean 'model.C'\?"
    ):
        fx.train().space.resolve({"model.c": 0.1})
    with pytest.raises(hf.ConfigError, match=r"did you mean 'features.poly.degree'"):
        fx.train().space.resolve({"features.poly.degre": 3})


def test_out_of_domain_value_names_key_value_and_domain() -> None:
    with pytest.raises(
        hf.ConfigError,
        match=r"5000.0 for 'model.C' is outside its domain Float\(0.001, 1000.0, log=True\)",
    ):
        fx.train().space.resolve({"model.C": 5000.0})
    with pytest.raises(
        hf.ConfigError, match=r"'linear' for 'features'.*Choice\('scaled', 'poly'\)"
    ):
        fx.train().space.resolve({"features": "linear"})


def test_only_the_selected_variants_parameters_are_active() -> None:
    space = fx.train().space
    resolved = space.resolve({"features": "poly", "features.poly.degree": 3})
    assert resolved == {
        "features": "poly",
        "features.poly.degree": 3,
        "model.C": 1.0,
        "model.kind": "lr",
    }
    default = space.resolve()
    assert "features.poly.degree" not in default and default["features.scaled.factor"] == 1.0
    # setting an inactive key is validated, then ignored with a warning (issue 14)
    with pytest.warns(hf.ConfigWarning):
        assert "features.poly.degree" not in space.resolve({"features.poly.degree": 3})


def test_run_uses_config() -> None:
    p = fx.train()
    r = p.run(
        inputs={"path": "abcd"},
        config={"features": "poly", "features.poly.degree": 3, "model.C": 2.0},
        outputs=["metrics"],
        track=False,
    )
    assert r["metrics"] == {"score": 2.0 * (4**3 + 2**3 + 3**3)}
    assert r.config["features.poly.degree"] == 3


def test_inactive_variant_key_warns_once_per_key_naming_the_active_variant() -> None:
    p = fx.train()
    config = {"features.poly.degree": 3, "features.scaled.factor": 2.0}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = p.run(inputs={"path": "abcd"}, config=config, outputs=["metrics"], track=False)
    assert r.config["features.scaled.factor"] == 2.0  # the active key is used
    assert [w.category for w in caught] == [hf.ConfigWarning]
    text = str(caught[0].message)
    assert "'features.poly.degree'" in text
    assert "applies only when features='poly'" in text
    assert "active variant is features='scaled'" in text
    assert caught[0].filename == __file__  # points at the user's line, not at hyperflow
    assert issubclass(hf.ConfigWarning, UserWarning)
    # under the default filter, running the same line again does not repeat it
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("default")
        for _ in range(3):
            p.space.resolve(config)
    assert len(again) == 1


def test_inactive_key_inside_a_nested_variant_names_the_outer_variant() -> None:
    inner = hf.Pipeline([fx.scaled, fx.poly], name="inner")

    @hf.node(output="features", variant="plain")
    def plain(split: list[float]) -> list[float]:
        return split

    outer = hf.Pipeline([inner.as_node("deep", variant="deep"), plain, fx.model], name="outer")
    key = "features.deep.features.poly.degree"
    assert outer.space[key].conditions[0] == ("features", "deep")
    with pytest.warns(hf.ConfigWarning) as caught:
        outer.space.resolve({"features": "plain", key: 3})
    assert len(caught) == 1
    assert f"{key!r} has no effect: it applies only when features='deep'" in str(
        caught[0].message
    )
    assert "active variant is features='plain'" in str(caught[0].message)


def test_active_keys_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fx.train().space.resolve({"features": "poly", "features.poly.degree": 3})


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("features.poly.degree", "abc", "an int"),
        ("features.poly.degree", 2.0, "an int"),
        ("model.C", "0.1", "a float"),
        ("model.kind", 3, "one of the options (str)"),
        ("features", True, "one of the options (str)"),
    ],
)
def test_wrong_type_names_key_expected_type_and_value(key: str, value: object, expected: str) -> None:
    with pytest.raises(hf.ConfigError) as info:
        fx.train().space.resolve({key: value})
    text = str(info.value)
    assert f"config key {key!r} expects {expected}" in text
    assert f"but got {value!r} of type {type(value).__name__}" in text
    assert "outside its domain" not in text
    assert info.value.key == key


def test_bool_key_wants_a_bool() -> None:
    def fit(x: int, warm: Annotated[bool, hf.Bool()] = False) -> int:
        return x

    with pytest.raises(hf.ConfigError, match=r"'fit.warm' expects a bool.*got 1 of type int"):
        hf.Pipeline([fit]).space.resolve({"fit.warm": 1})


def test_variant_typo_gets_did_you_mean() -> None:
    with pytest.raises(hf.ConfigError, match=r"'pol' for 'features'.*did you mean 'poly'\?"):
        fx.train().space.resolve({"features": "pol"})
    with pytest.raises(hf.ConfigError, match=r"'rff' for 'model.kind'.*did you mean 'rf'\?"):
        fx.train().run(inputs={"path": "a"}, config={"model.kind": "rff"}, track=False)


def test_config_key_that_is_an_input_suggests_passing_it_as_input() -> None:
    p = fx.train()
    with pytest.raises(hf.ConfigError) as info:
        p.run(inputs={"path": "a"}, config={"split.seed": 3}, track=False)
    text = str(info.value)
    assert "'seed' is an input of the pipeline (read by node 'split')" in text
    assert "inputs={'seed': 3}" in text and "--input seed=3" in text
    assert info.value.input_name == "seed" and info.value.key == "split.seed"
    with pytest.raises(hf.ConfigError, match=r"inputs=\{'path': 'x.csv'\}.*--input path=x.csv"):
        p.space.resolve({"data.path": "x.csv"})
    # an unknown key that is no input keeps the closest-key hint and no input field
    with pytest.raises(hf.ConfigError, match=r"did you mean 'model\.C'") as other:
        p.space.resolve({"model.c": 1.0})
    assert other.value.input_name is None
