"""Log lines of a served model as text (uvicorn's format) or JSON (one event per line).

``--log-format json`` turns every line of uvicorn and hyperflow into one JSON
object: ``timestamp`` (UTC, ISO 8601), ``level``, ``logger``, ``pid``, ``event``, and for a
request ``request_id``, ``model``, ``version``, ``latency_ms``, ``status``,
``route``, ``method``, ``path`` and ``client``. Other lines carry their text as
``event``. A log record adds structured fields with ``extra={"hf": {...}}``.
"""

from __future__ import annotations

import copy
import json
import logging
from datetime import UTC, datetime
from typing import Any

from hyperflow._errors import ServeError

__all__ = ["LOG_FORMATS", "JsonFormatter", "check_log_format", "log_config"]

LOG_FORMATS = ("text", "json")


def check_log_format(log_format: str) -> str:
    """``log_format`` if it is one of ``LOG_FORMATS``, else a ``ServeError`` listing them."""
    if log_format not in LOG_FORMATS:
        import difflib

        close = difflib.get_close_matches(log_format, LOG_FORMATS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ServeError(
            f"log format must be one of {', '.join(LOG_FORMATS)}, but got {log_format!r}{hint}"
        )
    return log_format


class JsonFormatter(logging.Formatter):
    """One JSON object per record: timestamp, level, logger, event and structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        out: dict[str, Any] = {
            "timestamp": stamp.replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,  # which worker, with --workers
        }
        fields = getattr(record, "hf", None)
        if isinstance(fields, dict):
            out["event"] = fields.get("event", "log")
            out.update((k, v) for k, v in fields.items() if k != "event")
            if out["event"] != "request":
                out.setdefault("message", record.getMessage())
        else:
            out["event"] = record.getMessage()
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def log_config(log_level: str, log_format: str = "text") -> dict[str, Any]:
    """uvicorn's logging configuration with hyperflow's loggers, in ``log_format``."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["hyperflow.serve"] = {
        "handlers": ["default"],
        "level": log_level.upper(),
        "propagate": False,
    }
    if check_log_format(log_format) == "json":
        for name in ("default", "access"):
            config["formatters"][name] = {"()": f"{__name__}.JsonFormatter"}
    return config
