"""The perturbation contract: a named, seeded transformation of a batch of inputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from hyperflow._errors import TestingError

__all__ = ["Perturbation", "Perturbed", "chain", "rowwise"]

Kind = Literal["tabular", "text", "any"]
#: What a perturbation takes and returns: a DataFrame (tabular inputs) or a list of
#: texts, where ``None`` marks a text row the perturbation does not apply to.
Perturbed = pd.DataFrame | list[str | None]


class Perturbation:
    """A label-preserving (invariance) or directed (directional) change of inputs.

    Subclasses implement :meth:`apply`, which takes a batch (a DataFrame for
    tabular inputs, a list of strings for text) and a ``numpy`` random generator
    and returns the perturbed batch of the same length. A text perturbation may
    put ``None`` for a row it does not apply to (no name to swap, say); the test
    then skips that row. Perturbations must be deterministic given the generator.
    """

    kind: Kind = "any"

    def __init__(self, name: str) -> None:
        self.name = name

    def apply(self, batch: Perturbed, rng: np.random.Generator) -> Perturbed:
        """Return the perturbed batch (same length; ``None`` marks a skipped text row)."""
        raise NotImplementedError

    def __call__(
        self, batch: Perturbed | list[str], rng: np.random.Generator | None = None
    ) -> Perturbed:
        is_text = isinstance(batch, list)
        if self.kind == "tabular" and is_text:
            raise TestingError(
                f"perturbation {self.name} works on tabular inputs, but got text; use a "
                "text perturbation such as perturb.typos()"
            )
        if self.kind == "text" and not is_text:
            raise TestingError(
                f"perturbation {self.name} works on text inputs, but got a DataFrame; use a "
                "tabular perturbation such as perturb.noise(column)"
            )
        copy: Perturbed = batch.copy() if isinstance(batch, pd.DataFrame) else list(batch)
        out = self.apply(copy, rng if rng is not None else np.random.default_rng(0))
        if len(out) != len(batch):
            raise TestingError(
                f"perturbation {self.name} returned {len(out)} rows for {len(batch)}; "
                "a perturbation must keep one row per input row"
            )
        return out

    def __repr__(self) -> str:
        return self.name


class _RowWise(Perturbation):
    def __init__(self, func: Callable[[Any], Any], name: str) -> None:
        super().__init__(name)
        self.func = func

    def apply(self, batch: Perturbed, rng: np.random.Generator) -> Perturbed:
        if isinstance(batch, pd.DataFrame):
            rows = [self.func(dict(r)) for r in batch.to_dict("records")]
            return pd.DataFrame(rows, columns=batch.columns)
        return [self.func(x) for x in batch]


class _Chain(Perturbation):
    def __init__(self, parts: tuple[Perturbation, ...]) -> None:
        super().__init__(" + ".join(p.name for p in parts))
        self.parts = parts

    def apply(self, batch: Perturbed, rng: np.random.Generator) -> Perturbed:
        for p in self.parts:
            if isinstance(batch, list) and any(x is None for x in batch):
                keep = [i for i, x in enumerate(batch) if x is not None]
                sub = cast(list[str | None], p([batch[i] for i in keep], rng))  # text stays text
                merged: list[str | None] = [None] * len(batch)
                for i, x in zip(keep, sub, strict=True):
                    merged[i] = x
                batch = merged
            else:
                batch = p(batch, rng)
        return batch


def rowwise(func: Callable[[Any], Any], name: str | None = None) -> Perturbation:
    """Make a perturbation from a function on one row (a dict or a string).

    Example:
        >>> shout = rowwise(lambda text: text.upper() + "!", name="shout")
        >>> shout(["nice film"])
        ['NICE FILM!']
    """
    label = name or str(getattr(func, "__name__", "rowwise"))
    return _RowWise(func, "rowwise" if label == "<lambda>" else label)


def chain(*perturbations: Perturbation) -> Perturbation:
    """Apply several perturbations one after another.

    Example:
        >>> from hyperflow.testing import perturb
        >>> p = chain(perturb.add("x", 1.0), perturb.scale("x", 2.0))
        >>> p(pd.DataFrame({"x": [1.0]}))["x"].tolist()
        [4.0]
    """
    if not perturbations:
        raise TestingError("chain() needs at least one perturbation")
    return _Chain(tuple(perturbations))
