"""The drift detector: fit reference statistics once, score windows against them."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from hyperflow._errors import MonitorError
from hyperflow.monitor import _score
from hyperflow.monitor._columns import Kind, as_columns, infer_kind
from hyperflow.monitor._reference import ColumnProfile, ReferenceBuilder
from hyperflow.monitor._report import ColumnDrift, DriftReport
from hyperflow.monitor._stattests import adjust_pvalues

__all__ = ["CORRECTIONS", "METHODS", "DriftDetector", "drift"]

METHODS: dict[str, tuple[str, ...]] = {
    "numeric": ("auto", "ks", "wasserstein", "psi"),
    "categorical": ("auto", "chi2", "psi", "jensenshannon"),
    "embedding": ("auto", "mmd"),
}
CORRECTIONS = ("none", "bonferroni", "fdr")
_FORMAT = "hyperflow.drift-detector/1"


def _is_table(data: Any) -> bool:
    return isinstance(data, pd.DataFrame | pd.Series | np.ndarray | Mapping)


class DriftDetector:
    """Tests whether current data drifted from a reference, column by column.

    Numeric columns: ``"ks"`` (two-sample Kolmogorov-Smirnov, exact for small
    samples), ``"wasserstein"`` (distance divided by the reference std) or
    ``"psi"`` (on reference-quantile bins). Categorical: ``"chi2"`` (test of
    homogeneity), ``"psi"`` or ``"jensenshannon"``. Embeddings (2-D arrays or
    columns of vectors): ``"mmd"`` (Gaussian-kernel permutation test).
    ``method="auto"`` picks KS / chi-square up to ``large_sample`` reference
    values and Wasserstein / Jensen-Shannon above, and says so in ``reason``.

    Args:
        method: one method name (it applies to the columns of its kind; the
            others use ``"auto"``), or a mapping column → method.
        categorical, numerical, embeddings: column kinds overriding inference.
        columns: restrict to these columns.
        target, prediction: names of the label and prediction columns; they are
            tested like features and tagged with their role in the report.
        alpha: significance level of the p-value tests.
        correction: ``"fdr"`` (Benjamini-Hochberg), ``"bonferroni"`` or ``"none"``,
            applied across the columns tested with p-values.
        drift_share: the dataset drifted when this share of columns drifted.
        thresholds: distance thresholds per method (defaults: 0.1 each).
        n_bins: reference-quantile bins for PSI.
        reference_size: numeric reference rows kept (uniform sample; bounds memory).
        embedding_size: embedding reference rows kept.
        n_permutations: permutations of the MMD test.
        projection: project embeddings wider than this to this many dimensions.
        large_sample: the size switch of ``method="auto"``.
        seed: seed of sampling, permutations and projections.

    Example:
        >>> import numpy as np, pandas as pd
        >>> import hyperflow as hf
        >>> rng = np.random.default_rng(1)
        >>> ref = pd.DataFrame({"t": rng.normal(size=400), "w": rng.choice(["sun", "rain"], 400)})
        >>> det = hf.monitor.DriftDetector(categorical=["w"]).fit(ref)
        >>> cur = ref.assign(t=ref.t + 2)
        >>> rep = det.score(cur)
        >>> rep.columns["t"].drifted, rep.columns["w"].drifted
        (True, False)
    """

    def __init__(
        self,
        *,
        method: str | Mapping[str, str] = "auto",
        categorical: Iterable[str] = (),
        numerical: Iterable[str] = (),
        embeddings: Iterable[str] = (),
        columns: Iterable[str] | None = None,
        target: str | None = None,
        prediction: str | None = None,
        alpha: float = 0.05,
        correction: str = "fdr",
        drift_share: float = 0.5,
        thresholds: Mapping[str, float] | None = None,
        n_bins: int = 10,
        reference_size: int = 100_000,
        embedding_size: int = 2_000,
        n_permutations: int = 100,
        projection: int | None = None,
        large_sample: int = 1_000,
        seed: int = 0,
    ) -> None:
        self.method = method
        self.categorical = list(categorical)
        self.numerical = list(numerical)
        self.embeddings = list(embeddings)
        self.columns = None if columns is None else list(columns)
        self.target = target
        self.prediction = prediction
        self.alpha = alpha
        self.correction = correction
        self.drift_share = drift_share
        self.thresholds = dict(thresholds or {})
        self.n_bins = n_bins
        self.reference_size = reference_size
        self.embedding_size = embedding_size
        self.n_permutations = n_permutations
        self.projection = projection
        self.large_sample = large_sample
        self.seed = seed
        self.profiles_: dict[str, ColumnProfile] | None = None

    # ------------------------------------------------------------------ fit
    def _validate(self) -> None:
        if self.correction not in CORRECTIONS:
            raise MonitorError(
                f"correction must be one of {CORRECTIONS}, got {self.correction!r}; "
                "'fdr' is Benjamini-Hochberg."
            )
        if not 0 < self.alpha < 1:
            raise MonitorError(f"alpha must lie in (0, 1), got {self.alpha}.")
        if not 0 < self.drift_share <= 1:
            raise MonitorError(f"drift_share must lie in (0, 1], got {self.drift_share}.")

    def _hints(self) -> dict[str, Kind]:
        hints: dict[str, Kind] = {}
        for names, kind in (
            (self.categorical, "categorical"),
            (self.numerical, "numeric"),
            (self.embeddings, "embedding"),
        ):
            for n in names:
                hints[n] = kind  # type: ignore[assignment]
        return hints

    def method_for(self, name: str, kind: str) -> str:
        """The configured method of a column (``"auto"`` unless set), validated."""
        m = self.method.get(name, "auto") if isinstance(self.method, Mapping) else self.method
        if m not in METHODS[kind]:
            if isinstance(self.method, str) and m in sum(METHODS.values(), ()):
                return "auto"  # a numeric-only method given globally: auto for other kinds
            raise MonitorError(
                f"method {m!r} does not apply to {kind} column {name!r}; "
                f"choose one of {METHODS[kind]}."
            )
        return m

    def fit(self, reference: Any) -> DriftDetector:
        """Compute reference statistics once; ``reference`` may be an iterable of chunks.

        Args:
            reference: a table (DataFrame, Series, mapping of arrays, ndarray) or
                an iterable of such tables with the same columns, read once.

        Returns:
            ``self``.
        """
        self._validate()
        chunks: Iterable[Any] = [reference] if _is_table(reference) else reference
        builder: ReferenceBuilder | None = None
        for chunk in chunks:
            cols = as_columns(chunk, self.columns)
            if builder is None:
                kinds = {n: infer_kind(n, c, self._hints()) for n, c in cols.items()}
                for n, k in kinds.items():
                    self.method_for(n, k)
                builder = ReferenceBuilder(
                    kinds, self.reference_size, self.embedding_size, self.seed
                )
            builder.add(cols)
        if builder is None:
            raise MonitorError("the reference held no chunks; pass a DataFrame or chunks of one.")
        self.profiles_ = builder.finish()
        return self

    # ---------------------------------------------------------------- score
    def _role(self, name: str) -> str:
        if name == self.target:
            return "target"
        if name == self.prediction:
            return "prediction"
        return "feature"

    def score(self, current: Any) -> DriftReport:
        """Compare one window of current data with the reference.

        Returns:
            A :class:`DriftReport`; problems with single columns (empty,
            constant, missing, wrong type) are statuses in it, not exceptions.
        """
        if self.profiles_ is None:
            raise MonitorError("this DriftDetector is not fitted; call det.fit(reference) first.")
        self._validate()
        cols = as_columns(current, None)
        if self.columns is not None:
            cols = {n: c for n, c in cols.items() if n in self.columns}
        profiles = self.profiles_
        n_current = max((len(c) for c in cols.values()), default=0)
        results: dict[str, ColumnDrift] = {}
        numeric = [n for n, p in profiles.items() if p.kind == "numeric" and n in cols]
        ctx = _score.Context(self, n_current)
        results.update(_score.score_numeric(ctx, [profiles[n] for n in numeric], cols))
        for name, prof in profiles.items():
            if name not in cols:
                results[name] = ColumnDrift(
                    name,
                    prof.kind,
                    self._role(name),
                    status="missing_in_current",
                    reason=f"column {name!r} is in the reference but not in the current data",
                    severity=math.inf,
                )
            elif prof.kind == "categorical":
                results[name] = _score.score_categorical(ctx, prof, cols[name])
            elif prof.kind == "embedding":
                results[name] = _score.score_embedding(ctx, prof, cols[name])
        extra = [n for n in cols if n not in profiles]
        for name in extra:
            results[name] = ColumnDrift(
                name,
                "unknown",
                self._role(name),
                status="missing_in_reference",
                reason=f"column {name!r} is in the current data but not in the reference",
            )
        for name, res in results.items():
            res.role = self._role(name)
        self._decide(list(results.values()))
        ordered = sorted(results.values(), key=lambda c: (-c.drifted, -c.severity, c.name))
        n_ref = max((p.n_rows for p in profiles.values()), default=0)
        return DriftReport(
            columns={c.name: c for c in ordered},
            alpha=self.alpha,
            correction=self.correction,
            drift_share=self.drift_share,
            n_reference=n_ref,
            n_current=n_current,
            missing_columns=[n for n in profiles if n not in cols],
            extra_columns=extra,
        )

    def _decide(self, results: list[ColumnDrift]) -> None:
        with_p = [r for r in results if r.p_value is not None]
        adjusted = adjust_pvalues([r.p_value for r in with_p], self.correction)  # type: ignore[misc]
        log_alpha = math.log(self.alpha)
        for r, p in zip(with_p, adjusted, strict=True):
            r.p_value_adjusted = p
            r.score = p
            r.threshold = self.alpha
            r.drifted = p < self.alpha
            r.severity = math.log(max(p, 1e-300)) / log_alpha
        for r in results:
            if r.p_value is None and r.score is not None and r.status in ("ok", "constant"):
                r.drifted = r.score > r.threshold
                r.severity = r.score / r.threshold if r.threshold > 0 else float(r.drifted)

    # ------------------------------------------------------------ save/load
    def save(self, path: str | Path | BinaryIO) -> Path | None:
        """Write the fitted state by value (``.npz`` of arrays and JSON; no pickle).

        ``path`` may be an open binary file; then nothing is returned.
        """
        if self.profiles_ is None:
            raise MonitorError("only a fitted DriftDetector can be saved; call fit() first.")
        params = {k: v for k, v in vars(self).items() if k != "profiles_"}
        meta = {"format": _FORMAT, "params": params, "profiles": []}
        arrays: dict[str, np.ndarray[Any, Any]] = {}
        for i, p in enumerate(self.profiles_.values()):
            meta["profiles"].append(  # type: ignore[attr-defined]
                {
                    "name": p.name,
                    "kind": p.kind,
                    "n_rows": p.n_rows,
                    "n_nan": p.n_nan,
                    "n_inf": p.n_inf,
                    "counts": p.counts,
                }
            )
            arrays[f"sample_{i}"] = p.sample
            arrays[f"vectors_{i}"] = p.vectors
        arrays["meta"] = np.array(json.dumps(meta))
        if not isinstance(path, str | Path):
            np.savez_compressed(path, **arrays)  # type: ignore[arg-type]
            return None
        path = Path(path)
        with path.open("wb") as fh:
            np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]
        return path

    @classmethod
    def load(cls, path: str | Path | BinaryIO) -> DriftDetector:
        """Read a detector written by :meth:`save` (a path or an open binary file)."""
        source = Path(path) if isinstance(path, str | Path) else path
        with np.load(source, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != _FORMAT:
                raise MonitorError(f"{path} is not a saved DriftDetector (format {_FORMAT}).")
            det = cls(**meta["params"])
            det.profiles_ = {}
            for i, p in enumerate(meta["profiles"]):
                det.profiles_[p["name"]] = ColumnProfile(
                    p["name"],
                    p["kind"],
                    p["n_rows"],
                    p["n_nan"],
                    p["n_inf"],
                    p["counts"],
                    np.asarray(data[f"sample_{i}"]),
                    np.asarray(data[f"vectors_{i}"]),
                )
        return det


def drift(reference: Any, current: Any, **options: Any) -> DriftReport:
    """Fit a :class:`DriftDetector` on ``reference`` and score ``current`` in one call.

    Example:
        >>> import numpy as np, pandas as pd
        >>> import hyperflow as hf
        >>> rng = np.random.default_rng(0)
        >>> ref = pd.Series(rng.choice(["a", "b"], 500, p=[0.5, 0.5]), name="label")
        >>> cur = pd.Series(rng.choice(["a", "b"], 500, p=[0.8, 0.2]), name="label")
        >>> hf.monitor.drift(ref, cur).columns["label"].drifted
        True
    """
    return DriftDetector(**options).fit(reference).score(current)
