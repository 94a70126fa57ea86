"""``serve(..., server="granian")``: the same app on Granian (a Rust HTTP server, ASGI).

Granian starts its own worker processes and imports the app in each from a factory
(``hyperflow.serve._granian:app``), so the model reference and the app options travel
to them in an environment variable (pickled). With more than one worker a private
``PROMETHEUS_MULTIPROC_DIR`` makes ``/metrics`` sum them, as with uvicorn workers.
Granian has no header timeout hook nor the supervisor's reload relay: a moved alias
reaches each worker by polling.
"""

from __future__ import annotations

import base64
import os
import pickle
import shutil
import tempfile
from typing import TYPE_CHECKING, Any

from hyperflow._errors import ServeError
from hyperflow.serve._multiproc import MULTIPROC_ENV

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["SPEC_ENV", "app", "serve_granian"]

SPEC_ENV = "HYPERFLOW_GRANIAN_SPEC"
"""Where a Granian worker finds what to serve (base64 of a pickled dict)."""


def app() -> FastAPI:
    """Granian's factory target: the app of the model named in ``$HYPERFLOW_GRANIAN_SPEC``."""
    from hyperflow.serve._app import create_app

    spec = os.environ.get(SPEC_ENV)
    if spec is None:
        raise ServeError(f"{SPEC_ENV} is not set: start Granian through `hyperflow serve`")
    data = pickle.loads(base64.b64decode(spec))  # written by serve_granian in the parent
    return create_app(data["model"], **data["app"])


def _granian() -> Any:
    try:
        import granian
    except ImportError:
        raise ServeError(
            "--server granian needs Granian: pip install 'hyperflow[granian]'"
        ) from None
    return granian


def serve_granian(
    model: Any, host: str, port: int, workers: int, log_level: str, app_options: dict[str, Any]
) -> None:
    """Serve ``model`` on ``host:port`` with ``workers`` Granian workers until interrupted."""
    from hyperflow.serve._run import bind_socket

    granian = _granian()
    bind_socket(host, port).close()  # a busy port is one clear error before Granian starts
    os.environ[SPEC_ENV] = base64.b64encode(
        pickle.dumps({"model": model, "app": app_options})
    ).decode()
    folder = tempfile.mkdtemp(prefix="hyperflow-metrics-") if workers > 1 else None
    if folder is not None:
        os.environ[MULTIPROC_ENV] = folder
    try:
        granian.Granian(
            f"{__name__}:app",
            address=host,
            port=port,
            interface="asgi",
            workers=workers,
            factory=True,
            log_level=log_level,
            log_access=False,  # hyperflow writes its own access log
        ).serve()
    finally:
        os.environ.pop(SPEC_ENV, None)
        if folder is not None:
            os.environ.pop(MULTIPROC_ENV, None)
            shutil.rmtree(folder, ignore_errors=True)
