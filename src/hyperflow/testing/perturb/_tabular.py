"""Tabular perturbations: Gaussian noise, shifts, scaling, swapped or shuffled columns."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hyperflow._errors import TestingError
from hyperflow.testing.perturb._base import Perturbation, Perturbed

__all__ = ["add", "noise", "scale", "shuffle", "swap"]


def _columns(batch: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in batch.columns]
    if missing:
        raise TestingError(
            f"perturbation {name} names columns {missing} that the inputs lack; "
            f"available columns: {list(batch.columns)}"
        )


class _Tabular(Perturbation):
    kind = "tabular"

    def __init__(self, name: str, columns: Sequence[str]) -> None:
        super().__init__(name)
        self.columns = list(columns)

    def apply(self, batch: Perturbed, rng: np.random.Generator) -> Perturbed:
        if not isinstance(batch, pd.DataFrame):
            raise TestingError(f"perturbation {self.name} works on tabular inputs, but got text")
        _columns(batch, self.columns, self.name)
        return self.change(batch, rng)

    def change(self, batch: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        raise NotImplementedError


class _Noise(_Tabular):
    def __init__(self, columns: Sequence[str], scale: float, relative: bool) -> None:
        label = ", ".join(columns)
        super().__init__(
            f"noise({label}, scale={scale}{'' if relative else ', absolute'})", columns
        )
        self.scale, self.relative = scale, relative

    def change(self, batch: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        for c in self.columns:
            values = batch[c].to_numpy(dtype=float)
            sd = float(np.nanstd(values)) if self.relative else 1.0
            sd = sd if sd > 0 else 1.0
            batch[c] = values + rng.normal(0.0, self.scale * sd, size=len(values))
        return batch


class _Affine(_Tabular):
    def __init__(self, column: str, shift: float, factor: float, name: str) -> None:
        super().__init__(name, [column])
        self.shift, self.factor = shift, factor

    def change(self, batch: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        c = self.columns[0]
        batch[c] = batch[c].to_numpy(dtype=float) * self.factor + self.shift
        return batch


class _Swap(_Tabular):
    def change(self, batch: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        a, b = self.columns
        batch[a], batch[b] = batch[b].to_numpy(), batch[a].to_numpy()
        return batch


class _Shuffle(_Tabular):
    def change(self, batch: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        for c in self.columns:
            batch[c] = batch[c].to_numpy()[rng.permutation(len(batch))]
        return batch


def noise(
    columns: str | Sequence[str], scale: float = 0.05, *, relative: bool = True
) -> Perturbation:
    """Add Gaussian noise to numeric columns.

    Args:
        columns: one column or several.
        scale: the noise's standard deviation, as a fraction of each column's
            standard deviation in the batch (or in absolute units with ``relative=False``).
        relative: see ``scale``.

    Example:
        >>> import numpy as np, pandas as pd
        >>> p = noise("wind", scale=0.05)
        >>> out = p(pd.DataFrame({"wind": [1.0, 2.0, 3.0]}), np.random.default_rng(0))
        >>> bool((out["wind"] - [1.0, 2.0, 3.0]).abs().max() < 0.5)
        True
    """
    cols = [columns] if isinstance(columns, str) else list(columns)
    if scale < 0:
        raise TestingError(f"noise(scale=...) must be >= 0, but got {scale}")
    return _Noise(cols, scale, relative)


def add(column: str, value: float) -> Perturbation:
    """Add ``value`` to a numeric column (directional tests: "more rain").

    Example:
        >>> import pandas as pd
        >>> add("rain", 10.0)(pd.DataFrame({"rain": [0.5]}))["rain"].tolist()
        [10.5]
    """
    return _Affine(column, float(value), 1.0, f"add({column}, {value:+g})")


def scale(column: str, factor: float) -> Perturbation:
    """Multiply a numeric column by ``factor``.

    Example:
        >>> import pandas as pd
        >>> scale("x", 2.0)(pd.DataFrame({"x": [1.5]}))["x"].tolist()
        [3.0]
    """
    return _Affine(column, 0.0, float(factor), f"scale({column}, x{factor:g})")


def swap(a: str, b: str) -> Perturbation:
    """Swap the values of two columns that should not matter (ids, redundant sensors).

    Example:
        >>> import pandas as pd
        >>> swap("a", "b")(pd.DataFrame({"a": [1], "b": [2]})).to_dict("records")
        [{'a': 2, 'b': 1}]
    """
    if a == b:
        raise TestingError(f"swap() needs two different columns, but got {a!r} twice")
    return _Swap(f"swap({a}, {b})", [a, b])


def shuffle(columns: str | Sequence[str]) -> Perturbation:
    """Permute a column's values across rows (an irrelevant column must not matter).

    Example:
        >>> import numpy as np, pandas as pd
        >>> out = shuffle("id")(pd.DataFrame({"id": [1, 2, 3]}), np.random.default_rng(0))
        >>> sorted(out["id"].tolist())
        [1, 2, 3]
    """
    cols = [columns] if isinstance(columns, str) else list(columns)
    return _Shuffle(f"shuffle({', '.join(cols)})", cols)
