"""``hf.runs``: read what was tracked — get, search, compare, load artifacts.

Example:
    >>> import hyperflow as hf, tempfile
    >>> db = f"sqlite:///{tempfile.mkdtemp()}/runs.db"
    >>> for model, f1 in [("lr", 0.93), ("svm", 0.88)]:
    ...     with hf.start_run(model, store=db, artifacts=tempfile.mkdtemp()) as run:
    ...         run.log_params({"model": model})
    ...         run.log_metrics({"f1": f1})
    >>> df = hf.runs.search(where="metrics.f1 > 0.9", order_by="-metrics.f1", store=db)
    >>> df[["name", "params.model", "metrics.f1"]].to_dict("records")
    [{'name': 'lr', 'params.model': 'lr', 'metrics.f1': 0.93}]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hyperflow._errors import TrackingError
from hyperflow.store import (
    ArtifactStore,
    MetadataStore,
    RunRecord,
    deserialize,
    get_artifact_store,
    get_store,
)
from hyperflow.tracking._abandoned import reap_abandoned

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["compare", "get", "history", "load_artifact", "search"]

_COLUMNS = ("run_id", "name", "pipeline", "status", "start_time", "end_time", "duration_s")


def get(run_id: str, *, store: MetadataStore | str | None = None) -> RunRecord:
    """The full record of one run: params, metrics, tags, nodes, artifacts, lineage.

    Raises:
        TrackingError: no run has this id in the store.
    """
    meta = get_store(store)
    reap_abandoned(meta)
    rec = meta.get_run(run_id)
    if rec is None:
        raise TrackingError(
            f"no run {run_id!r} in {meta.url}; list runs with hf.runs.search() "
            "(or point HYPERFLOW_STORE at the store that has it)"
        )
    return rec


def _row(rec: RunRecord) -> dict[str, Any]:
    row: dict[str, Any] = {
        "run_id": rec.run_id,
        "name": rec.name,
        "pipeline": rec.pipeline,
        "status": rec.status,
        "start_time": rec.start_time,
        "end_time": rec.end_time,
        "duration_s": None if rec.end_time is None else rec.end_time - rec.start_time,
        "parent_id": rec.parent_id,
        "error": rec.error,
    }
    for prefix, values in (("params.", rec.params), ("metrics.", rec.metrics), ("tags.", rec.tags)):
        for k, v in values.items():
            row[prefix + k] = v
    return row


def _frame(records: Sequence[RunRecord]) -> pd.DataFrame:
    import pandas as pd

    df = pd.DataFrame([_row(r) for r in records])
    if df.empty:
        return pd.DataFrame(columns=[*_COLUMNS, "parent_id", "error"])
    for col in ("start_time", "end_time"):
        df[col] = pd.to_datetime(df[col], unit="s", utc=True)
    return df


def search(
    pipeline: str | None = None,
    where: str | None = None,
    order_by: str | Sequence[str] | None = None,
    limit: int | None = None,
    *,
    parent: str | None = None,
    store: MetadataStore | str | None = None,
) -> pd.DataFrame:
    """Runs as a DataFrame: one row per run, columns ``params.*``, ``metrics.*``, ``tags.*``.

    Args:
        pipeline: only runs of this pipeline.
        where: a filter such as ``"metrics.f1 > 0.9 and params.model = 'lr'"``
            (fields: ``metrics.<k>``, ``params.<k>``, ``tags.<k>``, ``name``, ``status``,
            ``pipeline``, ``start_time``...; ``and``/``or``/``in``/``like``/``is null``).
        order_by: a field or list of fields; ``-`` in front sorts descending
            (default: newest first).
        limit: at most this many rows.
        parent: only children of this run (e.g. a study's trials).
        store: ``None`` (default store), a URL or a store.
    """
    meta = get_store(store)
    reap_abandoned(meta)
    recs = meta.search_runs(
        pipeline=pipeline, where=where, order_by=order_by, limit=limit, parent_id=parent
    )
    return _frame(recs)


def compare(ids: Sequence[str], *, store: MetadataStore | str | None = None) -> pd.DataFrame:
    """Runs side by side: one column per run id, one row per field that differs or not.

    Rows are ``name``, ``status``, ``duration_s``, then every ``params.*`` and
    ``metrics.*`` key any of the runs has (missing values are NaN).
    """
    import pandas as pd

    meta = get_store(store)
    rows = {run_id: _row(get(run_id, store=meta)) for run_id in ids}
    df = pd.DataFrame(rows)
    keep = ["name", "pipeline", "status", "duration_s"]
    keep += sorted(i for i in df.index if str(i).startswith(("params.", "metrics.")))
    return df.loc[keep]


def history(run_id: str, key: str, *, store: MetadataStore | str | None = None) -> pd.DataFrame:
    """The series of one metric: columns ``step``, ``value``, ``timestamp``."""
    import pandas as pd

    points = get_store(store).metric_history(run_id, key)
    return pd.DataFrame(
        {
            "step": [p.step for p in points],
            "value": [p.value for p in points],
            "timestamp": pd.to_datetime([p.timestamp for p in points], unit="s", utc=True),
        }
    )


def load_artifact(
    run_id: str,
    name: str,
    *,
    store: MetadataStore | str | None = None,
    artifacts: ArtifactStore | str | None = None,
) -> Any:
    """Load the artifact ``name`` of a run, after verifying its sha256.

    Raises:
        TrackingError: the run has no artifact of that name.
        IntegrityError: the stored bytes were tampered with or truncated (nothing is
            deserialized then).
    """
    rec = get(run_id, store=store)
    art = rec.artifacts.get(name)
    if art is None:
        raise TrackingError(
            f"run {run_id!r} has no artifact {name!r}; it has: "
            f"{', '.join(sorted(rec.artifacts)) or 'none'}"
        )
    data = get_artifact_store(artifacts).get(art.digest)
    return deserialize(data, art.format)
