"""Routes of the studies section: the list, one study, and its live fragment."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from hyperflow._errors import OptimizeError

if TYPE_CHECKING:
    from hyperflow.ui._study_data import StudyIndex, StudyView

__all__ = ["LIVE_EVERY_MS", "TRIALS_PER_PAGE", "router"]

TRIALS_PER_PAGE = 100
LIVE_EVERY_MS = 2_000


def _index(request: Request) -> StudyIndex:
    from hyperflow.ui._pages import pages_of
    from hyperflow.ui._study_data import StudyIndex

    state = request.app.state
    if getattr(state, "hf_studies", None) is None:
        state.hf_studies = StudyIndex(pages_of(request).store)
    index: StudyIndex = state.hf_studies
    return index


def _load(request: Request, name: str) -> StudyView:

    try:
        return _index(request).load(name)
    except OptimizeError as exc:
        raise HTTPException(404, str(exc)) from None


def _trial_page(view: StudyView, page: int) -> dict[str, Any]:
    ordered = sorted(view.trials, key=lambda t: -t.number)
    pages = max(1, -(-len(ordered) // TRIALS_PER_PAGE))
    page = min(max(1, page), pages)
    start = (page - 1) * TRIALS_PER_PAGE
    keys = sorted({k for t in ordered[start : start + TRIALS_PER_PAGE] for k in t.config})
    metric_keys = sorted({k for t in ordered[start : start + TRIALS_PER_PAGE] for k in t.metrics})
    return {"rows": ordered[start : start + TRIALS_PER_PAGE], "page": page, "pages": pages,
            "config_keys": keys[:12], "metric_keys": metric_keys[:8]}


def router() -> APIRouter:
    """``/studies``, ``/studies/{name}`` and ``/studies/{name}/live``."""

    from hyperflow.ui._pages import pages_of, security_headers
    from hyperflow.ui._study_data import study_plots

    r = APIRouter()

    @r.get("/studies", response_class=HTMLResponse)
    def studies_page(request: Request) -> HTMLResponse:
        ctx = {"title": "Studies", "studies": _index(request).studies()}
        return pages_of(request).render(request, "studies.html", ctx)

    @r.get("/studies/{name}", response_class=HTMLResponse)
    def study_page(request: Request, name: str, page: int = 1) -> HTMLResponse:
        view = _load(request, name)
        ctx = {"title": f"Study {name}", "study": view, "plots": study_plots(view),
               "best": view.best(), "front": view.pareto() if len(view.directions) > 1 else [],
               "counts": view.counts(), "every": LIVE_EVERY_MS, **_trial_page(view, page)}
        return pages_of(request).render(request, "study.html", ctx)

    @r.get("/studies/{name}/live", response_class=HTMLResponse)
    def study_live(request: Request, name: str) -> HTMLResponse:
        view = _load(request, name)
        pages = pages_of(request)
        html = pages.env.get_template("study_live.html").render(
            study=view, counts=view.counts(), best=view.best(), prefix=pages.prefix,
            plots=study_plots(view, history_only=True),
        )
        return HTMLResponse(html, headers=security_headers())

    return r
