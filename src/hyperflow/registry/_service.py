"""A registered :class:`hyperflow.Service` loaded: one ``Predictor`` per endpoint.

``hf.registry.load("docs@production")`` returns a :class:`ServiceClient` when the
version's predict reference names an ``hf.Service``: ``svc.query_document(...)``
calls that endpoint's pipeline with the version's artifacts and the service's
state bound in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hyperflow._errors import RegistryError
from hyperflow.core import STATE_INPUT, Pipeline, Service, endpoint_log_name
from hyperflow.registry._predictor import Predictor
from hyperflow.registry._state import ServiceState
from hyperflow.store import MetadataStore

__all__ = ["ServiceClient", "endpoint_predictors", "predict_inputs"]


def predict_inputs(obj: Pipeline | Service) -> list[str]:
    """The inputs of a predict pipeline, or of every endpoint of a service (in order)."""
    if isinstance(obj, Service):
        seen: dict[str, None] = {}
        for p in obj.endpoints.values():
            seen.update(dict.fromkeys(p.inputs))
        return list(seen)
    return list(obj.inputs)


def endpoint_predictors(
    service: Service,
    artifacts: Mapping[str, Any],
    state: ServiceState,
    *,
    name: str,
    version: str | None,
    alias: str | None,
    code_version: str | None,
) -> dict[str, Predictor]:
    """One ``Predictor`` per endpoint, bound to the artifacts it takes (and ``state``)."""
    out: dict[str, Predictor] = {}
    for ep, pipeline in service.endpoints.items():
        bound = {a: v for a, v in artifacts.items() if a in pipeline.inputs}
        if STATE_INPUT in pipeline.inputs:
            bound[STATE_INPUT] = state
        out[ep] = Predictor(
            pipeline, bound, name=endpoint_log_name(name, ep), version=version, alias=alias,
            code_version=code_version,
        )
    return out


class ServiceClient:
    """A loaded service version: call ``client.<endpoint>(**fields)`` or ``client.call``.

    Attributes:
        name, version, alias, code_version: identity of the registered version.
        service: the ``hf.Service`` definition; state: its ``hf.ServiceState``.
        endpoints: endpoint name -> its ``Predictor`` (rows in, one output each).
    """

    def __init__(
        self,
        service: Service,
        artifacts: Mapping[str, Any],
        *,
        name: str,
        version: str | None = None,
        alias: str | None = None,
        code_version: str | None = None,
        store: MetadataStore | str | None = None,
    ) -> None:
        self.service = service
        self.name = name
        self.version = version
        self.alias = alias
        self.code_version = code_version
        self.state = ServiceState(name, store=store)
        self.endpoints = endpoint_predictors(
            service, artifacts, self.state, name=name, version=version, alias=alias,
            code_version=code_version,
        )

    def __repr__(self) -> str:
        ref = f"{self.name}:{self.version}" if self.version else self.name
        return f"ServiceClient({ref!r}, endpoints={list(self.endpoints)})"

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self.endpoints]

    def call(self, endpoint: str, row: Mapping[str, Any] | None = None, **fields: Any) -> Any:
        """Call ``endpoint`` with one request (a mapping and/or keyword fields)."""
        predictor = self.endpoints.get(endpoint)
        if predictor is None:
            import difflib

            close = difflib.get_close_matches(endpoint, list(self.endpoints), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise RegistryError(
                f"service {self.name!r} has no endpoint {endpoint!r}{hint}; endpoints: "
                f"{sorted(self.endpoints)}"
            )
        return predictor.predict_one({**(row or {}), **fields})

    def __getattr__(self, name: str) -> Callable[..., Any]:
        endpoints = self.__dict__.get("endpoints") or {}
        if name.startswith("_") or name not in endpoints:
            raise AttributeError(
                f"{type(self).__name__} {self.__dict__.get('name')!r} has no attribute or "
                f"endpoint {name!r}; endpoints: {sorted(endpoints)}"
            )

        def endpoint(row: Mapping[str, Any] | None = None, **fields: Any) -> Any:
            return self.call(name, row, **fields)

        endpoint.__name__ = name
        endpoint.__doc__ = f"Call endpoint {name!r} of service {self.name!r}."
        return endpoint
