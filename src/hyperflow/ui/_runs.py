"""Routes of the runs section: the table, one run, and several runs compared."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from hyperflow._errors import TrackingError
from hyperflow.store import MetadataStore

__all__ = ["MAX_COMPARED", "router"]

MAX_COMPARED = 500


def router() -> APIRouter:
    """``/runs``, ``/runs/{id}`` and ``/compare``."""

    from hyperflow import runs as hf_runs
    from hyperflow.ui._listing import DEFAULT_PAGE_SIZE, cell, list_runs
    from hyperflow.ui._pages import pages_of
    from hyperflow.ui._run_detail import compare_context, dag_svg, metric_curves, parallel_svg

    r = APIRouter()

    @r.get("/runs", response_class=HTMLResponse)
    def runs_page(
        request: Request,
        where: str = "",
        order: str = "",
        cols: Annotated[list[str] | None, Query()] = None,
        page: int = 1,
        size: int = DEFAULT_PAGE_SIZE,
    ) -> HTMLResponse:
        pages = pages_of(request)
        chosen = [c for item in cols or [] for c in item.split(",") if c]
        listing = list_runs(pages.store, where=where, order=order, columns=chosen, page=page,
                            size=size)
        status = 400 if listing.error else 200
        ctx = {"title": "Runs", "listing": listing, "cell": cell, "chosen": chosen}
        return pages.render(request, "runs.html", ctx, status=status)

    @r.get("/runs/{run_id}", response_class=HTMLResponse)
    def run_page(request: Request, run_id: str) -> HTMLResponse:
        pages = pages_of(request)
        try:
            rec = hf_runs.get(run_id, store=pages.store)
        except TrackingError as exc:
            raise HTTPException(404, str(exc)) from None
        children = pages.store.search_runs(parent_id=rec.run_id, limit=100)
        ctx = {
            "title": f"Run {rec.name or rec.run_id[:8]}",
            "run": rec,
            "curves": metric_curves(pages.store, rec),
            "dag": dag_svg(pages.pipelines.get(rec.pipeline or ""), rec),
            "children": children,
            "models": _models_of(pages.store, rec.run_id),
        }
        return pages.render(request, "run.html", ctx)

    @r.get("/compare", response_class=HTMLResponse)
    def compare_page(
        request: Request,
        ids: Annotated[list[str] | None, Query()] = None,
        metric: str | None = None,
    ) -> HTMLResponse:
        pages = pages_of(request)
        wanted = [i for item in ids or [] for i in item.split(",") if i.strip()]
        if not 2 <= len(wanted) <= MAX_COMPARED:
            raise HTTPException(
                400, f"compare takes 2 to {MAX_COMPARED} run ids (ids=a&ids=b), got {len(wanted)}"
            )
        try:
            runs = [hf_runs.get(i.strip(), store=pages.store) for i in wanted]
        except TrackingError as exc:
            raise HTTPException(404, str(exc)) from None
        ctx = {"title": f"Compare {len(runs)} runs", "runs": runs, "metric": metric,
               "parallel": parallel_svg(runs, metric), **compare_context(runs)}
        return pages.render(request, "compare.html", ctx)

    return r


def _models_of(store: MetadataStore, run_id: str) -> list[str]:
    """``name:version`` of the registered versions built from the run (lineage forward)."""
    from hyperflow import registry
    from hyperflow._errors import HyperflowError

    try:
        quoted = run_id.replace("'", "''")
        found = registry.search(where=f"run_id = '{quoted}'", include_archived=True, store=store)
    except HyperflowError:
        return []
    return [f"{v.name}:{v.version}" for v in found]
