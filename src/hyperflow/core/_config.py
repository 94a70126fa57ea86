"""The search space of a pipeline and the resolution of a user config against it."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hyperflow._errors import ConfigError
from hyperflow.core._spaces import Space

__all__ = ["Param", "SearchSpace"]


@dataclass(frozen=True, slots=True)
class Param:
    """One config key of a pipeline.

    Attributes:
        key: dotted, stable name (``"features"``, ``"features.poly.degree"``, ``"model.C"``).
        domain: the space of valid values (variant selections are a ``Choice``).
        default: the value used when the config does not set the key.
        is_variant: ``True`` when the key selects one implementation of an output.
        conditions: ``(key, value)`` pairs that must all hold for the key to be active.
    """

    key: str
    domain: Space
    default: Any
    is_variant: bool = False
    conditions: tuple[tuple[str, Any], ...] = ()

    def active(self, config: Mapping[str, Any]) -> bool:
        return all(config.get(k) == v for k, v in self.conditions)


class SearchSpace(Mapping[str, Param]):
    """Every config key of a pipeline, in a stable order (variants before their parameters).

    Example:
        >>> from typing import Annotated
        >>> import hyperflow as hf
        >>> def model(x: float, C: Annotated[float, hf.Float(0.01, 10.0, log=True)] = 1.0) -> float:
        ...     return x * C
        >>> p = hf.Pipeline([model], name="demo")
        >>> p.space["model.C"].default
        1.0
    """

    __slots__ = ("_params",)

    def __init__(self, params: list[Param]) -> None:
        self._params = {p.key: p for p in params}

    def __getitem__(self, key: str) -> Param:
        try:
            return self._params[key]
        except KeyError:
            raise ConfigError(self._unknown_message(key)) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __repr__(self) -> str:
        lines = [f"  {p.key}: {p.domain.describe()} = {p.default!r}" for p in self._params.values()]
        return "SearchSpace(\n" + "\n".join(lines) + "\n)" if lines else "SearchSpace()"

    def _unknown_message(self, key: str) -> str:
        keys = list(self._params)
        if not keys:
            return f"unknown config key {key!r}: this pipeline has no config keys"
        close = difflib.get_close_matches(key, keys, n=1, cutoff=0.0)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown config key {key!r}{hint} (valid keys: {', '.join(keys)})"

    def defaults(self) -> dict[str, Any]:
        """The config of every key at its default (including inactive keys)."""
        return {k: p.default for k, p in self._params.items()}

    def resolve(self, config: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Validate ``config`` and return the full config of active keys, defaults filled in.

        Keys are processed in order, so a variant selection decides which of its
        parameters are active. Values for inactive keys are validated and ignored.
        """
        config = dict(config or {})
        for key, value in config.items():
            if not isinstance(key, str) or key not in self._params:
                raise ConfigError(self._unknown_message(str(key)))
            self._params[key].domain.check(value, key=key)
        resolved: dict[str, Any] = {}
        for key, param in self._params.items():
            if param.active(resolved):
                resolved[key] = config.get(key, param.default)
        return resolved

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """A JSON-able description of every key (domain, default, conditions)."""
        return {
            k: {
                "domain": p.domain.to_dict(),
                "default": p.default,
                "variant": p.is_variant,
                "when": dict(p.conditions),
            }
            for k, p in self._params.items()
        }
