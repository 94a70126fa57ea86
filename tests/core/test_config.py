from __future__ import annotations

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
    # setting an inactive key is validated but ignored
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
