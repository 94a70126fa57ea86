"""Multi-fidelity search: a pipeline input (rows, epochs, trees) raised rung by rung.

With ``optimize(..., fidelity=hf.optimize.Fidelity("n_rows", [250, 500, 1000, 2000]))``
every trial first runs with ``n_rows=250``; its objective is reported to the pruner at
step 250, and only a trial the pruner keeps runs again at 500, and so on: successive
halving over a data subsample (or epochs, or trees). Nodes that do not depend on the
fidelity input are cached, so a higher rung recomputes only what the input changes.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hyperflow._errors import OptimizeError

if TYPE_CHECKING:
    from optuna.pruners import BasePruner

__all__ = ["Fidelity", "fidelity_pruner"]


@dataclass(frozen=True)
class Fidelity:
    """A pipeline input raised per rung.

    Attributes:
        input: the pipeline input it sets (e.g. ``"n_rows"``, ``"epochs"``,
            ``"n_estimators"``).
        values: its value at each rung, increasing; the last is the full fidelity, the
            one a trial that is never pruned ends with. Each rung's objective is reported
            at step ``int(value)``.

    Example (successive halving over training epochs: a trial trains 1 epoch, then 3,
    then 9, while the pruner keeps it):
        >>> from typing import Annotated
        >>> import hyperflow as hf
        >>> from hyperflow.optimize import Fidelity
        >>> def train(
        ...     n_epochs: int, lr: Annotated[float, hf.Float(0.001, 1.0, log=True)] = 0.1
        ... ) -> dict[str, float]:
        ...     return {"acc": 1 - abs(lr - 0.1) - 1 / (n_epochs + 1)}
        >>> study = hf.Pipeline([train], name="epochs").optimize(
        ...     objective="acc", n_trials=12, seed=0, fidelity=Fidelity("n_epochs", [1, 3, 9]),
        ...     cache=False, track=False,
        ... )
        >>> sorted({t.state.value for t in study.trials})
        ['complete', 'pruned']
    """

    input: str
    values: tuple[float, ...]

    def __init__(self, input: str, values: Sequence[float]) -> None:
        vals = tuple(values)
        if len(vals) < 2 or any(b <= a for a, b in itertools.pairwise(vals)):
            raise OptimizeError(
                f"Fidelity({input!r}) needs two or more increasing values, got {list(vals)}"
            )
        if any(v < 1 for v in vals):
            raise OptimizeError(
                f"Fidelity({input!r}) values are steps (rows, epochs, trees): each >= 1, "
                f"got {list(vals)}"
            )
        object.__setattr__(self, "input", input)
        object.__setattr__(self, "values", vals)

    def steps(self) -> list[tuple[Any, int]]:
        """``(value, step)`` per rung."""
        return [(v, int(v)) for v in self.values]


def fidelity_pruner(pruner: str | BasePruner | None, fidelity: Fidelity) -> BasePruner | None:
    """Successive halving / Hyperband sized to the rungs (``None``: not one of those names)."""
    import optuna

    low, high = int(fidelity.values[0]), int(fidelity.values[-1])
    factor = max(2, round(fidelity.values[1] / fidelity.values[0]))
    if pruner == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner(
            min_resource=low, reduction_factor=factor
        )
    if pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=low, max_resource=high, reduction_factor=factor
        )
    return None
