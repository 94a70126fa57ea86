"""``serve``: run a model's service with uvicorn."""

from __future__ import annotations

from typing import Any

from hyperflow._errors import ServeError
from hyperflow.registry import ModelSource, Predictor

__all__ = ["serve"]


def serve(
    model: str | Predictor | ModelSource,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    log_level: str = "info",
    **app_options: Any,
) -> None:
    """Serve ``model`` over HTTP until interrupted (Ctrl-C flushes the prediction log).

    Args:
        model: ``"name@alias"``, a ``Predictor`` or a ``ModelSource``.
        host, port: where to listen (loopback by default).
        log_level: uvicorn's log level.
        **app_options: passed to :func:`create_app` (``max_batch_size``, ...).
    """
    from hyperflow.serve._app import create_app

    try:
        import uvicorn
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ServeError("serving needs uvicorn: pip install 'hyperflow[serve]'") from exc
    app = create_app(model, **app_options)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
