"""``hf.runs``: read what was tracked — get, search, compare, load artifacts.

Example:
    >>> import hyperflow as hf, tempfile
    >>> db = f"sqlite:///{tempfile.mkdtemp()}/runs.db"
    >>> for model, f1 in [("lr", 0.93), ("svm", 0.88)]:
    ...     with hf.start_run(model, store=db, artifact_store=tempfile.mkdtemp()) as run:
    ...         run.log_params({"model": model})
    ...         run.log_metrics({"f1": f1})
    >>> df = hf.runs.search(where="metrics.f1 > 0.9", order_by="-metrics.f1", store=db)
    >>> df[["name", "params.model", "metrics.f1"]].to_dict("records")
    [{'name': 'lr', 'params.model': 'lr', 'metrics.f1': 0.93}]
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hyperflow._errors import TrackingError
from hyperflow.store import (
    ArtifactStore,
    MetadataStore,
    QueryError,
    RunRecord,
    deserialize,
    get_artifact_store,
    get_store,
    parse_where,
    where_keys,
)
from hyperflow.tracking._abandoned import reap_abandoned

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["compare", "delete", "get", "history", "load_artifact", "resolve_id", "search"]

_COLUMNS = ("run_id", "name", "pipeline", "status", "start_time", "end_time", "duration_s")


_SHOWN = 10


def _resolve(meta: MetadataStore, run_id: str) -> str:
    if not isinstance(run_id, str) or not run_id.strip():
        raise TrackingError(f"expected a run id or a unique prefix of one, but got {run_id!r}")
    if meta.get_run(run_id) is not None:
        return run_id
    found = meta.find_run_ids(run_id, limit=_SHOWN + 1)
    if len(found) == 1:
        return found[0]
    if found:
        shown = ", ".join(found[:_SHOWN]) + (", ..." if len(found) > _SHOWN else "")
        raise TrackingError(
            f"run id prefix {run_id!r} is ambiguous: it matches {shown}; "
            "give more characters of the id"
        )
    raise TrackingError(
        f"no run {run_id!r} in {meta.url} (no run id starts with it); list runs with "
        "hf.runs.search() or `hyperflow runs list` (or point HYPERFLOW_STORE at the store "
        "that has it)"
    )


def resolve_id(run_id: str, *, store: MetadataStore | str | None = None) -> str:
    """The full id of the run that ``run_id`` names: the id itself or a unique prefix (git-style).

    Raises:
        TrackingError: no run id starts with it, or several do (they are listed).

    Example:
        >>> import hyperflow as hf, tempfile
        >>> db = f"sqlite:///{tempfile.mkdtemp()}/runs.db"
        >>> with hf.start_run("a", store=db, artifact_store=tempfile.mkdtemp()) as run:
        ...     pass
        >>> hf.runs.resolve_id(run.id[:8], store=db) == run.id
        True
    """
    return _resolve(get_store(store), run_id)


def get(run_id: str, *, store: MetadataStore | str | None = None) -> RunRecord:
    """The full record of one run: params, metrics, tags, nodes, artifacts, lineage.

    ``run_id`` may be a unique prefix of the id (git-style).

    Raises:
        TrackingError: no run has this id, or the prefix is ambiguous (candidates listed).
    """
    meta = get_store(store)
    reap_abandoned(meta)
    rec = meta.get_run(_resolve(meta, run_id))
    if rec is None:  # deleted meanwhile
        raise TrackingError(f"run {run_id!r} was deleted from {meta.url} meanwhile")
    return rec


def delete(run_id: str, *, store: MetadataStore | str | None = None) -> str:
    """Delete a run (id or unique prefix) with its params, metrics, tags and artifact references.

    The artifact bytes stay in the artifact store (other runs may share them).
    Returns the full id of the deleted run.

    Raises:
        TrackingError: unknown or ambiguous id.
        StoreError: a registered model version was built from the run (delete it first).
    """
    meta = get_store(store)
    full = _resolve(meta, run_id)
    meta.delete_run(full)
    return full


def _row(rec: RunRecord) -> dict[str, Any]:
    row: dict[str, Any] = {
        "run_id": rec.run_id,
        "name": rec.name,
        "pipeline": rec.pipeline,
        "status": str(rec.status),
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
    parent_run: str | None = None,
    store: MetadataStore | str | None = None,
    parent: str | None = None,
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
        parent_run: only children of this run (id or unique prefix; e.g. a study's trials).
        store: ``None`` (default store), a URL or a store.
        parent: deprecated name of ``parent_run``.

    Raises:
        QueryError: the filter cannot be parsed, or names a metric or param that no run
            in the store has (the existing ones are listed).
    """
    if parent is not None:
        warnings.warn(
            "hf.runs.search(parent=...) is deprecated; use parent_run=...",
            DeprecationWarning,
            stacklevel=2,
        )
        parent_run = parent_run if parent_run is not None else parent
    meta = get_store(store)
    reap_abandoned(meta)
    if where:
        _check_keys(meta, where)
    if parent_run is not None:
        parent_run = _resolve(meta, parent_run)
    recs = meta.search_runs(
        pipeline=pipeline, where=where, order_by=order_by, limit=limit, parent_id=parent_run
    )
    return _frame(recs)


def _listing(names: Sequence[str], limit: int = 30) -> str:
    shown = ", ".join(names[:limit]) or "none"
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def _check_keys(meta: MetadataStore, where: str) -> None:
    """Raise ``QueryError`` when ``where`` names a metric or param that no run has."""
    named = where_keys(parse_where(where))
    for kind in ("metrics", "params"):
        keys = [key for k, key in named if k == kind]
        if not keys or len(meta.known_keys(kind, among=keys)) == len(keys):
            continue
        known = meta.known_keys(kind)
        key = next(key for key in keys if key not in known)
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
        hint = f"; did you mean {kind}.{close[0]}?" if close else ""
        raise QueryError(
            f"in filter {where!r}: no run in {meta.url} has {kind[:-1]} {key!r}{hint} "
            f"({kind} that exist: {_listing(known)})"
        )


def compare(ids: Sequence[str], *, store: MetadataStore | str | None = None) -> pd.DataFrame:
    """Runs side by side: one column per run id, one row per field that differs or not.

    Rows are ``name``, ``status``, ``duration_s``, then every ``params.*`` and
    ``metrics.*`` key any of the runs has (missing values are NaN).
    """
    import pandas as pd

    meta = get_store(store)
    rows = {}
    for run_id in ids:
        rec = get(run_id, store=meta)
        rows[rec.run_id] = _row(rec)
    df = pd.DataFrame(rows)
    keep = ["name", "pipeline", "status", "duration_s"]
    keep += sorted(i for i in df.index if str(i).startswith(("params.", "metrics.")))
    return df.loc[keep]


def history(run_id: str, key: str, *, store: MetadataStore | str | None = None) -> pd.DataFrame:
    """The series of one metric: columns ``step``, ``value``, ``timestamp``.

    ``run_id`` may be a unique prefix of the id.
    """
    import pandas as pd

    meta = get_store(store)
    points = meta.metric_history(_resolve(meta, run_id), key)
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
    """Load the artifact ``name`` of a run (id or unique prefix), after verifying its sha256.

    Raises:
        TrackingError: the run has no artifact of that name.
        IntegrityError: the stored bytes were tampered with or truncated (nothing is
            deserialized then).
    """
    rec = get(run_id, store=store)
    art = rec.artifacts.get(name)
    if art is None:
        raise TrackingError(
            f"run {rec.run_id!r} has no artifact {name!r}; it has: "
            f"{', '.join(sorted(rec.artifacts)) or 'none'}"
        )
    data = get_artifact_store(artifacts).get(art.digest)
    return deserialize(data, art.format)
