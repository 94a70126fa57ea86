from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import pandas as pd
import pytest

import hyperflow as hf
from hyperflow.registry import PredictionInputError, Predictor, StaticSource


class House(TypedDict):
    rooms: int
    area: float


def price(coef: float, house: House) -> float:
    return coef * house["rooms"] + house["area"]


def price_fields(coef: float, rooms: int, area: float) -> float:
    return coef * rooms + area


def price_batch(coef: float, houses: list[House]) -> list[float]:
    CALLS.append(len(houses))
    return [coef * h["rooms"] + h["area"] for h in houses]


CALLS: list[int] = []


@dataclass
class Point:
    x: float
    y: float


def norm(scale: float, point: Point) -> float:
    return scale * (point.x**2 + point.y**2) ** 0.5


def test_typed_dict_row() -> None:
    p = Predictor(hf.Pipeline([price], name="price"), {"coef": 10.0})
    assert p.schema.fields == {"rooms": int, "area": float}
    assert p({"rooms": 3, "area": 50.5}) == 80.5
    assert p({"rooms": "3", "area": 50}) == 80.0  # coerced to declared types
    assert p([{"rooms": 1, "area": 1.0}, {"rooms": 2, "area": 2.0}]) == [11.0, 22.0]
    df = pd.DataFrame({"rooms": [1, 2], "area": [0.5, 1.5]})
    assert p(df) == [10.5, 21.5]


def test_fields_as_inputs_and_dataclass_rows() -> None:
    p = Predictor(hf.Pipeline([price_fields], name="pf"), {"coef": 2.0})
    assert p.schema.row_input is None and set(p.schema.fields) == {"rooms", "area"}
    assert p({"rooms": 2, "area": 1.0}) == 5.0
    q = Predictor(hf.Pipeline([norm], name="n"), {"scale": 2.0})
    assert q({"x": 3, "y": 4}) == 10.0


def test_bad_field_is_named() -> None:
    p = Predictor(hf.Pipeline([price], name="price"), {"coef": 10.0})
    with pytest.raises(PredictionInputError, match=r"invalid input field 'area'") as err:
        p({"rooms": 3, "area": "big"})
    assert err.value.errors[0]["field"] == "area"
    with pytest.raises(PredictionInputError, match=r"'rooms': Field required"):
        p({"area": 1.0})
    with pytest.raises(PredictionInputError, match="must be a mapping"):
        p.predict_one(42)
    assert isinstance(err.value, hf.HyperflowError)


def test_batchable_pipeline_is_called_once_for_many_rows() -> None:
    CALLS.clear()
    p = Predictor(hf.Pipeline([price_batch], name="pb"), {"coef": 1.0})
    assert p.batchable and p.schema.fields == {"rooms": int, "area": float}
    assert p.predict_many([{"rooms": i, "area": 0.0} for i in range(5)]) == [
        0.0,
        1.0,
        2.0,
        3.0,
        4.0,
    ]
    assert p({"rooms": 7, "area": 1.0}) == 8.0
    assert CALLS == [5, 1]


def test_static_source() -> None:
    p = Predictor(hf.Pipeline([price], name="price"), {"coef": 1.0}, version="1.0.0")
    src = StaticSource(p)
    assert src.current() == "1.0.0" and src.load() is p
