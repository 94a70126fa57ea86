"""Routes of the models section: registered models, their versions and aliases, and the
three writes (promote, rollback, archive) behind the admin token."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hyperflow import registry
from hyperflow._errors import HyperflowError, RegistryError
from hyperflow.store import MetadataStore
from hyperflow.ui._auth import form_of
from hyperflow.ui._loop_data import loop_of
from hyperflow.ui._pages import pages_of, security_headers

__all__ = [
    "LOOP_EVERY_MS",
    "archive",
    "card_page",
    "model_context",
    "model_loop",
    "model_page",
    "models_page",
    "promote",
    "rollback",
    "router",
]

LOOP_EVERY_MS = 3_000
_DONE = {"promote": "alias moved", "rollback": "alias rolled back", "archive": "version archived"}


def _field(form: dict[str, str], key: str) -> str:
    value = form.get(key, "").strip()
    if not value:
        raise HTTPException(400, f"the form lacks {key!r}")
    return value


def model_context(store: MetadataStore, name: str) -> dict[str, Any]:
    """Versions (newest first), aliases with their history, and suite results of a model."""
    versions = registry.versions(name, store=store)
    aliases = sorted({a for v in versions for a in v.aliases if a != "latest"})
    suites = {}
    for v in versions[:20]:
        try:
            suites[v.version] = registry.suite_results(f"{name}:{v.version}", store=store)
        except HyperflowError:
            suites[v.version] = []
    return {
        "name": name,
        "versions": versions,
        "aliases": {a: registry.history(name, a, store=store)[::-1] for a in aliases},
        "current": {a: v.version for v in versions for a in v.aliases},
        "suites": suites,
    }


def models_page(request: Request) -> HTMLResponse:
    """Every registered model with its versions and aliases."""
    pages = pages_of(request)
    try:
        names = registry.models(store=pages.store)
    except HyperflowError:
        names = []
    rows = [{"name": n, "versions": registry.versions(n, store=pages.store)} for n in names]
    return pages.render(request, "models.html", {"title": "Models", "models": rows})


def model_page(request: Request, name: str, note: str = "") -> HTMLResponse:
    """One model: aliases with history, versions, and (for admins) the write forms."""
    pages = pages_of(request)
    try:
        ctx = model_context(pages.store, name)
    except RegistryError as exc:
        raise HTTPException(404, str(exc)) from None
    ctx.update(loop=loop_of(pages.store, name), decisions_shown=True, every=LOOP_EVERY_MS)
    return pages.render(request, "model.html", {"title": f"Model {name}", "note": note, **ctx})


def model_loop(request: Request, name: str) -> HTMLResponse:
    """The model's traffic, rollouts, gate decisions and events as a fragment (polled by
    the model's page while a rollout runs)."""
    pages = pages_of(request)
    html = pages.env.get_template("loop_live.html").render(
        prefix=pages.prefix, loop=loop_of(pages.store, name), decisions_shown=True)
    return HTMLResponse(html, headers=security_headers())


def card_page(request: Request, name: str, version: str) -> HTMLResponse:
    """A version's model card (``hf.registry.card``) inside the dashboard, current at
    every load: documentation, data, metrics, suites, fairness, aliases, monitoring."""
    from hyperflow.registry._card import card_sections

    pages = pages_of(request)
    ref = f"{name}:{version}"
    try:
        title, sections = card_sections(ref, store=pages.store)
    except RegistryError as exc:
        raise HTTPException(404, str(exc)) from None
    ctx = {"title": title, "name": name, "ref": ref, "card_sections": sections}
    return pages.render(request, "card.html", ctx)


async def _act(request: Request, name: str, action: str) -> Response:
    pages = pages_of(request)
    form = await form_of(request)
    pages.auth.check_write(request, form.get("csrf"))
    store = pages.store
    try:
        if action == "promote":
            await run_in_threadpool(registry.set_alias, name, _field(form, "alias"),
                                    _field(form, "version"), reason="dashboard", store=store)
        elif action == "rollback":
            await run_in_threadpool(registry.rollback, name, _field(form, "alias"),
                                    reason="dashboard", store=store)
        else:
            await run_in_threadpool(registry.archive, name, _field(form, "version"), store=store)
    except HyperflowError as exc:
        raise HTTPException(400, str(exc)) from None
    target = f"{pages.prefix}/models/{quote(name)}?note={quote(_DONE[action])}"
    return RedirectResponse(target, status_code=303)


async def promote(request: Request, name: str) -> Response:
    """Point an alias at a version (admin token)."""
    return await _act(request, name, "promote")


async def rollback(request: Request, name: str) -> Response:
    """Move an alias back to its previous version (admin token)."""
    return await _act(request, name, "rollback")


async def archive(request: Request, name: str) -> Response:
    """Archive a version (admin token; refused while an alias points at it)."""
    return await _act(request, name, "archive")


def router() -> APIRouter:
    """``/models``, ``/models/{name}`` and the POST actions under it."""
    r = APIRouter()
    r.add_api_route("/models", models_page, methods=["GET"], response_class=HTMLResponse)
    r.add_api_route("/models/{name}", model_page, methods=["GET"], response_class=HTMLResponse)
    r.add_api_route("/models/{name}/versions/{version}/card", card_page, methods=["GET"],
                    response_class=HTMLResponse)
    r.add_api_route("/models/{name}/loop", model_loop, methods=["GET"],
                    response_class=HTMLResponse)
    for action in (promote, rollback, archive):
        r.add_api_route(f"/models/{{name}}/{action.__name__}", action, methods=["POST"])
    return r
