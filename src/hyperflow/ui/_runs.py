"""Routes of the runs section: the table, one run, and several runs compared."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from hyperflow import runs as hf_runs
from hyperflow._errors import HyperflowError, TrackingError
from hyperflow.store import MetadataStore
from hyperflow.ui._listing import DEFAULT_PAGE_SIZE, cell, list_runs
from hyperflow.ui._pages import pages_of
from hyperflow.ui._run_detail import compare_context, dag_svg, metric_curves, parallel_svg

__all__ = ["MAX_COMPARED", "compare_page", "router", "run_page", "runs_page"]

MAX_COMPARED = 500


def runs_page(
    request: Request,
    where: str = "",
    order: str = "",
    cols: Annotated[list[str] | None, Query()] = None,
    page: int = 1,
    size: int = DEFAULT_PAGE_SIZE,
) -> HTMLResponse:
    """The runs table: filter, sort, columns, one page (a bad filter answers 400)."""
    pages = pages_of(request)
    chosen = [c for item in cols or [] for c in item.split(",") if c]
    listing = list_runs(pages.store, where=where, order=order, columns=chosen, page=page,
                        size=size, keys=pages.keys)
    ctx = {"title": "Runs", "listing": listing, "cell": cell, "chosen": chosen}
    return pages.render(request, "runs.html", ctx, status=400 if listing.error else 200)


def run_page(request: Request, run_id: str) -> HTMLResponse:
    """One run: facts, failure, metrics with curves, config, DAG, artifacts, lineage."""
    pages = pages_of(request)
    try:
        rec = hf_runs.get(run_id, store=pages.store)
    except TrackingError as exc:
        raise HTTPException(404, str(exc)) from None
    ctx = {
        "title": f"Run {rec.name or rec.run_id[:8]}",
        "run": rec,
        "curves": metric_curves(pages.store, rec),
        "dag": dag_svg(pages.pipelines.get(rec.pipeline or ""), rec),
        "children": pages.store.search_runs(parent_id=rec.run_id, limit=100),
        "models": _models_of(pages.store, rec.run_id),
    }
    return pages.render(request, "run.html", ctx)


def compare_page(
    request: Request,
    ids: Annotated[list[str] | None, Query()] = None,
    metric: str | None = None,
) -> HTMLResponse:
    """2 to ``MAX_COMPARED`` runs side by side: diffs, metrics, parallel coordinates."""
    pages = pages_of(request)
    wanted = [i.strip() for item in ids or [] for i in item.split(",") if i.strip()]
    if not 2 <= len(wanted) <= MAX_COMPARED:
        raise HTTPException(
            400, f"compare takes 2 to {MAX_COMPARED} run ids (ids=a&ids=b), got {len(wanted)}"
        )
    try:  # whole ids straight from the store; prefixes resolved (git-style)
        runs = [pages.store.get_run(i) or hf_runs.get(i, store=pages.store) for i in wanted]
    except TrackingError as exc:
        raise HTTPException(404, str(exc)) from None
    ctx = {"title": f"Compare {len(runs)} runs", "runs": runs, "metric": metric,
           "parallel": parallel_svg(runs, metric), **compare_context(runs)}
    return pages.render(request, "compare.html", ctx)


def router() -> APIRouter:
    """``/runs``, ``/runs/{id}`` and ``/compare``."""
    r = APIRouter()
    r.add_api_route("/runs", runs_page, methods=["GET"], response_class=HTMLResponse)
    r.add_api_route("/runs/{run_id}", run_page, methods=["GET"], response_class=HTMLResponse)
    r.add_api_route("/compare", compare_page, methods=["GET"], response_class=HTMLResponse)
    return r


def _models_of(store: MetadataStore, run_id: str) -> list[str]:
    """``name:version`` of the registered versions built from the run (lineage forward)."""
    from hyperflow import registry

    try:
        quoted = run_id.replace("'", "''")
        found = registry.search(where=f"run_id = '{quoted}'", include_archived=True, store=store)
    except HyperflowError:
        return []
    return [f"{v.name}:{v.version}" for v in found]
