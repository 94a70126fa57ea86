"""``hf.Service``: several pipelines served as the named endpoints of one versioned service.

Pure data: the endpoints, their micro-batching settings and the upload size limit.
Registering, loading and serving a service live in ``hyperflow.registry`` and
``hyperflow.serve``. An endpoint pipeline input named ``state`` (annotated
``hf.ServiceState``) receives the service's lasting state, injected by the server
and by ``hf.registry.load``; it is not part of the request.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hyperflow._errors import DefinitionError
from hyperflow.core._pipeline import Pipeline

__all__ = [
    "DEFAULT_MAX_UPLOAD_BYTES",
    "STATE_INPUT",
    "Batching",
    "Service",
    "endpoint_log_name",
]

#: the endpoint input that receives the service's state
STATE_INPUT = "state"
DEFAULT_MAX_UPLOAD_BYTES = 10_000_000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_ENDPOINT = re.compile(r"^[a-z_][a-z0-9_]*$")
_RESERVED = {
    "admin", "batch", "docs", "feedback", "health", "metrics", "openapi", "predict", "ready",
    "redoc", "version", "endpoints", "name", "describe",
}
_BATCH_KEYS = ("max_batch_size", "max_wait_ms")


def endpoint_log_name(service: str, endpoint: str) -> str:
    """The ``model`` an endpoint's prediction-log rows carry: ``"docs/query_document"``.

    A ``/`` never occurs in a model name, so these rows cannot mix with a model's;
    read them with ``hf.predictions.search("docs/query_document")``.
    """
    return f"{service}/{endpoint}"


@dataclass(frozen=True)
class Batching:
    """Micro-batching of one endpoint (its pipeline must take ``list[T]`` rows).

    ``max_batch_size`` 1 turns it off; ``None`` fields take the server's setting.
    """

    max_batch_size: int | None = None
    max_wait_ms: float | None = None


def _did_you_mean(name: str, known: Any) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _batching(endpoints: Mapping[str, Pipeline], given: Mapping[str, Any]) -> dict[str, Batching]:
    out: dict[str, Batching] = {}
    for name, spec in given.items():
        if name not in endpoints:
            raise DefinitionError(
                f"batching names no endpoint {name!r}{_did_you_mean(name, endpoints)}; "
                f"the endpoints are {sorted(endpoints)}"
            )
        if isinstance(spec, Batching):
            out[name] = spec
            continue
        if not isinstance(spec, Mapping):
            raise DefinitionError(
                f"batching[{name!r}] takes a mapping like {{'max_batch_size': 16, "
                f"'max_wait_ms': 5}} or an hf.Batching, but got {spec!r}"
            )
        unknown = [k for k in spec if k not in _BATCH_KEYS]
        if unknown:
            raise DefinitionError(
                f"batching[{name!r}] has unknown setting {unknown[0]!r}"
                f"{_did_you_mean(unknown[0], _BATCH_KEYS)}; settings: {list(_BATCH_KEYS)}"
            )
        size, wait = spec.get("max_batch_size"), spec.get("max_wait_ms")
        if size is not None and (not isinstance(size, int) or size < 1):
            raise DefinitionError(f"batching[{name!r}].max_batch_size must be >= 1, got {size!r}")
        if wait is not None and (not isinstance(wait, int | float) or wait < 0):
            raise DefinitionError(f"batching[{name!r}].max_wait_ms must be >= 0, got {wait!r}")
        out[name] = Batching(size, None if wait is None else float(wait))
    return out


class Service:
    """Several pipelines served as the named endpoints of one service.

    Registered like a model (``hf.registry.register("docs", run_id=..., predict=svc)``),
    served by ``hyperflow serve docs@production`` with one typed route per endpoint
    (``POST /upload_document``), loaded by ``hf.registry.load`` as an object with one
    method per endpoint.

    Args:
        name: the service's name (used in titles and logs; the registered name wins).
        endpoints: endpoint name (a lower-case identifier) -> its pipeline.
        batching: per endpoint, ``{"max_batch_size": 16, "max_wait_ms": 5}`` (or an
            ``hf.Batching``); endpoints not named use the server's setting.
        max_upload_bytes: the largest file an endpoint input typed ``bytes`` accepts
            (larger: 413).
        description: shown in the OpenAPI page.

    Raises:
        DefinitionError: no endpoints, a bad endpoint name, something that is not an
            ``hf.Pipeline``, or unknown batching settings (with "did you mean").

    Example:
        >>> import hyperflow as hf
        >>> def echo(text: str) -> str:
        ...     return text
        >>> svc = hf.Service("demo", endpoints={"echo": hf.Pipeline([echo], name="echo")})
        >>> svc.endpoints["echo"].inputs
        ('text',)
    """

    def __init__(
        self,
        name: str,
        endpoints: Mapping[str, Pipeline],
        *,
        batching: Mapping[str, Any] | None = None,
        max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
        description: str | None = None,
    ) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise DefinitionError(
                "a service name holds letters, digits, '_', '.' or '-' and starts with a "
                f"letter or digit, but got {name!r}"
            )
        if not isinstance(endpoints, Mapping) or not endpoints:
            raise DefinitionError(
                f"service {name!r} needs at least one endpoint: endpoints={{'name': pipeline}}"
            )
        for ep, pipeline in endpoints.items():
            _check_endpoint(name, ep, pipeline)
        if not isinstance(max_upload_bytes, int) or max_upload_bytes < 1:
            raise DefinitionError(f"max_upload_bytes must be >= 1, but got {max_upload_bytes!r}")
        self.name = name
        self.endpoints: dict[str, Pipeline] = dict(endpoints)
        self.batching = _batching(self.endpoints, batching or {})
        self.max_upload_bytes = max_upload_bytes
        self.description = description

    def __repr__(self) -> str:
        return f"Service({self.name!r}, endpoints={list(self.endpoints)})"


def _check_endpoint(service: str, name: Any, pipeline: Any) -> None:
    if not isinstance(name, str) or not _ENDPOINT.match(name) or name in _RESERVED:
        why = "is reserved" if name in _RESERVED else "is not a lower-case identifier"
        raise DefinitionError(
            f"endpoint name {name!r} of service {service!r} {why}; use e.g. 'query_document' "
            f"(reserved: {sorted(_RESERVED)})"
        )
    if not isinstance(pipeline, Pipeline):
        raise DefinitionError(
            f"endpoint {name!r} of service {service!r} must be an hf.Pipeline, but got "
            f"{type(pipeline).__name__}"
        )
