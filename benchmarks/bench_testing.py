"""Data validation and behavioural suites: hyperflow.testing vs pandera's own inference
and vs a hand-written check loop, side by side on the Seattle weather data.

Run: ``python benchmarks/bench_testing.py``. Prints:

1. schema quality: false alarms on a later, valid year and injected errors caught, for
   ``hf.testing.infer_schema`` and ``pandera.infer_schema`` (both inferred on 2012-2014);
2. time to infer and to validate (lazily) 146k rows, and the ratio hyperflow / pandera;
3. time of a three-test behavioural suite vs the same checks written by hand, and the
   overhead ratio.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from sklearn.ensemble import RandomForestClassifier
from vega_datasets import data

import hyperflow as hf
from hyperflow.testing import perturb

FEATURES = ["precipitation", "temp_max", "temp_min", "wind"]


def median_s(fn: Callable[[], Any], repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def pandera_failures(df: pd.DataFrame, schema: Any) -> pd.DataFrame:
    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return exc.failure_cases
    return pd.DataFrame()


INJECTED = [
    ("precipitation", -3.0),  # a sign error
    ("temp_max", 95.0),  # Fahrenheit slipped in
    ("weather", "hail"),  # unknown category
    ("weather", "Rain"),  # wrong case
    ("wind", 400.0),  # unit error
]


def corrupt(df: pd.DataFrame) -> tuple[pd.DataFrame, set[tuple[Any, str]]]:
    bad = df.copy()
    cells = set()
    for i, (column, value) in enumerate(INJECTED):
        bad.loc[bad.index[i], column] = value
        cells.add((bad.index[i], column))
    return bad, cells


def schema_quality(df: pd.DataFrame) -> None:
    reference = df[df["date"].dt.year <= 2014]
    later = df[df["date"].dt.year == 2015]
    ours = hf.testing.infer_schema(reference)
    theirs = pa.infer_schema(reference)
    bad, cells = corrupt(later)
    print("1. schema inferred on 2012-2014, validated on 2015 (valid) and 2015 + 5 bad cells")
    for label, schema in (("hf.testing", ours), ("pandera  ", theirs)):
        false = pandera_failures(later, schema)
        found = pandera_failures(bad, schema)
        hits = {(r["index"], r["column"]) for r in found.to_dict("records")} & cells
        print(
            f"   {label}: false alarms on valid 2015: {len(false):4d} values "
            f"(columns {sorted(set(false.get('column', [])))}); bad cells caught {len(hits)}/"
            f"{len(cells)}"
        )


def speed(df: pd.DataFrame) -> None:
    big = pd.concat([df] * 100, ignore_index=True)
    t_ours = median_s(lambda: hf.testing.infer_schema(big))
    t_theirs = median_s(lambda: pa.infer_schema(big))
    schema = hf.testing.infer_schema(df)
    bad, _ = corrupt(big)
    v_ours = median_s(lambda: hf.testing.validate(bad, schema))
    v_theirs = median_s(lambda: pandera_failures(bad, schema))
    print(f"2. {len(big):,} rows")
    print(
        f"   infer:    hf.testing {t_ours * 1e3:7.1f} ms   pandera.infer_schema "
        f"{t_theirs * 1e3:7.1f} ms   ratio {t_ours / t_theirs:.2f}"
    )
    print(
        f"   validate: hf.testing {v_ours * 1e3:7.1f} ms   pandera lazy validate "
        f"{v_theirs * 1e3:7.1f} ms   ratio {v_ours / v_theirs:.2f}"
    )


def suite_overhead(df: pd.DataFrame) -> None:
    train = df[df["date"].dt.year == 2012]
    sample = df[df["date"].dt.year == 2013][FEATURES].sample(300, random_state=0)
    sample = sample.reset_index(drop=True)
    model = RandomForestClassifier(60, min_samples_leaf=5, random_state=0)
    model.fit(train[FEATURES], train["weather"])
    predictor = hf.testing.from_sklearn(model)
    case = {"precipitation": 30.0, "temp_max": 10.0, "temp_min": 5.0, "wind": 4.0}
    suite = hf.testing.Suite(
        "weather",
        [
            hf.testing.mft([(case, "rain")], on="label"),
            hf.testing.invariance(sample, perturb.noise("wind", 0.05), on="label"),
            hf.testing.directional(
                sample,
                perturb.add("precipitation", 10.0),
                on=lambda o: o["proba"]["sun"],
                expect="decrease",
                tolerance=0.02,
            ),
        ],
    )
    sun = list(model.classes_).index("sun")

    def by_hand() -> tuple[bool, float, float]:
        mft_ok = model.predict(pd.DataFrame([case]))[0] == "rain"
        rng = np.random.default_rng(0)
        noisy = sample.copy()
        noisy["wind"] += rng.normal(0, 0.05 * sample["wind"].std(), len(sample))
        inv = float(np.mean(model.predict(noisy) == model.predict(sample)))
        more = sample.copy()
        more["precipitation"] += 10.0
        delta = model.predict_proba(more)[:, sun] - model.predict_proba(sample)[:, sun]
        return mft_ok, inv, float(np.mean(delta <= 0.02))

    result = suite.run(predictor)
    hand = by_hand()
    assert (result.tests[1].pass_rate, result.tests[2].pass_rate) == hand[1:], (result, hand)
    t_suite = median_s(lambda: suite.run(predictor))
    t_hand = median_s(by_hand)
    print(f"3. behavioural suite (MFT + invariance + directional, {len(sample)} rows, RF model)")
    print(
        f"   hf.testing {t_suite * 1e3:7.1f} ms   by hand {t_hand * 1e3:7.1f} ms   "
        f"ratio {t_suite / t_hand:.2f} (same pass rates: {hand[1]:.3f}, {hand[2]:.3f})"
    )


def main() -> None:
    df = data.seattle_weather()
    schema_quality(df)
    speed(df)
    suite_overhead(df)


if __name__ == "__main__":
    main()
