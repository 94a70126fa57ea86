"""The search space of a pipeline and the resolution of a user config against it."""

from __future__ import annotations

import difflib
import os
import sys
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hyperflow._errors import ConfigError, ConfigWarning
from hyperflow.core._spaces import Space

__all__ = ["Param", "SearchSpace"]

_UNSET: Any = object()
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _warn(message: str) -> None:
    """Warn with the location of the first caller outside hyperflow (the user's line)."""
    level, frame = 1, sys._getframe(0)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    warnings.warn(ConfigWarning(message), stacklevel=level)


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

    __slots__ = ("_inputs", "_params")

    def __init__(
        self, params: list[Param], inputs: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        self._params = {p.key: p for p in params}
        self._inputs = dict(inputs or {})  # the pipeline's free inputs -> nodes reading them

    def __getitem__(self, key: str) -> Param:
        try:
            return self._params[key]
        except KeyError:
            raise self._unknown(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __repr__(self) -> str:
        lines = [f"  {p.key}: {p.domain.describe()} = {p.default!r}" for p in self._params.values()]
        return "SearchSpace(\n" + "\n".join(lines) + "\n)" if lines else "SearchSpace()"

    def _unknown(self, key: str, value: Any = _UNSET) -> ConfigError:
        name = key.rsplit(".", 1)[-1]
        if name in self._inputs:  # e.g. "dataset.seed" where `seed` is a free input
            shown = "..." if value is _UNSET else repr(value)
            cli = "..." if value is _UNSET else value if isinstance(value, str) else repr(value)
            users = self._inputs[name]
            readers = f"node{'s' if len(users) > 1 else ''} {', '.join(map(repr, users))}"
            return ConfigError(
                f"{key!r} is not a config key: {name!r} is an input of the pipeline (read by "
                f"{readers}), not a tunable parameter; pass it as an "
                f"input instead: inputs={{{name!r}: {shown}}} in Python, "
                f"--input {name}={cli} on the command line",
                key=key,
                input_name=name,
            )
        keys = list(self._params)
        if not keys:
            return ConfigError(
                f"unknown config key {key!r}: this pipeline has no config keys", key=key
            )
        close = difflib.get_close_matches(key, keys, n=1, cutoff=0.0)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return ConfigError(
            f"unknown config key {key!r}{hint} (valid keys: {', '.join(keys)})", key=key
        )

    def _inactive_message(self, key: str, resolved: Mapping[str, Any]) -> str:
        """Why a key given in the config has no effect: the variant it belongs to is off.

        A key's conditions list its ancestors' first, so the first unmet one names
        an active variant key set to another variant.
        """
        for cond, wanted in self._params[key].conditions:
            if resolved.get(cond) != wanted:
                return (
                    f"config key {key!r} has no effect: it applies only when "
                    f"{cond}={wanted!r}, but the active variant is {cond}={resolved.get(cond)!r}; "
                    f"select {cond}={wanted!r} to use it, or drop the key"
                )
        return f"config key {key!r} has no effect"  # pragma: no cover - conditions decide

    def defaults(self) -> dict[str, Any]:
        """The config of every key at its default (including inactive keys)."""
        return {k: p.default for k, p in self._params.items()}

    def resolve(self, config: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Validate ``config`` and return the full config of active keys, defaults filled in.

        Keys are processed in order, so a variant selection decides which of its
        parameters are active. Values for inactive keys are validated, then ignored
        with a ``ConfigWarning`` naming the key and the active variant.
        """
        config = dict(config or {})
        for key, value in config.items():
            if not isinstance(key, str) or key not in self._params:
                raise self._unknown(str(key), value)
            self._params[key].domain.check(value, key=key)
        resolved: dict[str, Any] = {}
        for key, param in self._params.items():
            if param.active(resolved):
                resolved[key] = config.get(key, param.default)
        for key in config:
            if key not in resolved:
                _warn(self._inactive_message(key, resolved))
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
