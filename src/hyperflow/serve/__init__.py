"""Serving: any registered workflow as a typed, observable FastAPI service.

``create_app(model)`` builds the app (request and response schemas from the
predict pipeline's type hints) from routers that share one context through
FastAPI dependencies; ``serve(model)`` runs it with uvicorn (``workers=N``: N
processes on one socket, ``/metrics`` summed over them; ``log_format="json"``: one
JSON event per line).
``create_app(model, cache=...)`` answers repeated rows from a ``ResponseCache``
(``MemoryCache`` per worker, ``RedisCache`` shared).
Predictions are written to a ``PredictionLog`` (default: the metadata store)
off the request path; the log classes live in ``hyperflow.store`` and are
re-exported here.
"""

from hyperflow.serve._app import (
    DEFAULT_BODY_TIMEOUT_S,
    DEFAULT_FEEDBACK_TTL_S,
    DEFAULT_MAX_BATCH_ROWS,
    DEFAULT_MAX_BATCH_SIZE,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_WAIT_MS,
    DEFAULT_POLL_INTERVAL_S,
    create_app,
)
from hyperflow.serve._cache import MemoryCache, RedisCache, ResponseCache, get_response_cache
from hyperflow.serve._logging import LOG_FORMATS
from hyperflow.serve._run import DEFAULT_HEADER_TIMEOUT_S, serve
from hyperflow.serve._service import Service
from hyperflow.store import (
    FeedbackRecord,
    InMemoryPredictionLog,
    PredictionLog,
    PredictionRecord,
    SQLPredictionLog,
    get_prediction_log,
)

__all__ = [
    "DEFAULT_BODY_TIMEOUT_S",
    "DEFAULT_FEEDBACK_TTL_S",
    "DEFAULT_HEADER_TIMEOUT_S",
    "DEFAULT_MAX_BATCH_ROWS",
    "DEFAULT_MAX_BATCH_SIZE",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_WAIT_MS",
    "DEFAULT_POLL_INTERVAL_S",
    "LOG_FORMATS",
    "FeedbackRecord",
    "InMemoryPredictionLog",
    "MemoryCache",
    "PredictionLog",
    "PredictionRecord",
    "RedisCache",
    "ResponseCache",
    "SQLPredictionLog",
    "Service",
    "create_app",
    "get_prediction_log",
    "get_response_cache",
    "serve",
]
