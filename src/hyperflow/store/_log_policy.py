"""Personal data in the prediction log: a per-field policy applied before anything is written.

Configured in the project::

    [tool.hyperflow.predictions]
    fields = {email = "hash", name = "drop", note = "truncate:20"}
    max_age = "30d"                      # retention: `hyperflow predictions prune`
    hash_key_env = "HYPERFLOW_LOG_KEY"   # where the HMAC key is (the default)

``keep`` stores a field as it came, ``drop`` never stores it, ``truncate:N``
keeps its first N characters, ``hash`` stores ``hmac:<hex>``, a keyed
HMAC-SHA256 of the value: the same value always gives the same text (joins and
erasure requests still find it) but, without the key, it cannot be reversed or
confirmed by guessing. The key comes from an environment variable, never from
the project file. :class:`PolicyPredictionLog` wraps any log and applies the
policy to the inputs of each record in ``write``, so a dropped field never
reaches the database.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hyperflow._errors import ConfigError
from hyperflow.store._predictions import FeedbackRecord, PredictionLog, PredictionRecord

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_KEY_ENV",
    "LOG_ACTIONS",
    "FieldRule",
    "LogPolicy",
    "PolicyPredictionLog",
    "parse_duration",
    "project_log_policy",
]

LOG_ACTIONS = ("keep", "hash", "drop", "truncate")
DEFAULT_KEY_ENV = "HYPERFLOW_LOG_KEY"
_SECTION = "[tool.hyperflow.predictions]"
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_duration(text: str | float, what: str = "max_age") -> float:
    """Seconds in ``"30d"``, ``"12h"``, ``"90m"``, ``"45s"``, ``"2w"`` or a number of seconds.

    Example:
        >>> parse_duration("30d"), parse_duration(60)
        (2592000.0, 60.0)
    """
    if isinstance(text, int | float) and not isinstance(text, bool) and text > 0:
        return float(text)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", str(text))
    if m is None or float(m.group(1)) <= 0:
        raise ConfigError(
            f"{what} takes a positive duration like '30d', '12h', '90m' or seconds, "
            f"but got {text!r}"
        )
    return float(m.group(1)) * _UNITS[m.group(2)]


@dataclass(frozen=True)
class FieldRule:
    """What happens to one input field: ``keep``, ``hash``, ``drop`` or ``truncate`` to N."""

    action: str
    length: int | None = None

    @classmethod
    def parse(cls, name: str, text: Any) -> FieldRule:
        spec = str(text).strip()
        action, _, arg = spec.partition(":")
        if action not in LOG_ACTIONS:
            close = difflib.get_close_matches(action, LOG_ACTIONS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"{_SECTION} fields.{name} = {text!r} is not a policy{hint} (expected one of "
                "keep, hash, drop, truncate:N)"
            )
        if action == "truncate":
            if not arg.isdigit() or int(arg) <= 0:
                raise ConfigError(
                    f"{_SECTION} fields.{name} = {text!r}: truncate takes a length, "
                    "e.g. 'truncate:20'"
                )
            return cls("truncate", int(arg))
        if arg:
            raise ConfigError(f"{_SECTION} fields.{name} = {text!r}: {action} takes no ':' part")
        return cls(action)


@dataclass(frozen=True)
class LogPolicy:
    """The per-field policy and retention of the prediction log (see the module doc)."""

    fields: dict[str, FieldRule] = field(default_factory=dict)
    max_age_s: float | None = None
    key: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_config(
        cls, section: Mapping[str, Any], env: Mapping[str, str] | None = None
    ) -> LogPolicy:
        """Read ``[tool.hyperflow.predictions]``; the HMAC key from ``hash_key_env``."""
        known = {"fields", "max_age", "hash_key_env"}
        for key in section:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ConfigError(f"unknown key {key!r} in {_SECTION}{hint}")
        raw = section.get("fields") or {}
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{_SECTION} fields must be a table, e.g. {{email = 'hash'}}")
        rules = {str(k): FieldRule.parse(str(k), v) for k, v in raw.items()}
        age = section.get("max_age")
        env_name = str(section.get("hash_key_env", DEFAULT_KEY_ENV))
        secret = (os.environ if env is None else env).get(env_name)
        hashed = sorted(k for k, r in rules.items() if r.action == "hash")
        if hashed and not secret:
            raise ConfigError(
                f"{_SECTION} hashes field(s) {hashed} but ${env_name} is not set; set it to a "
                "secret key (e.g. `openssl rand -hex 32`)"
            )
        return cls(
            fields=rules,
            max_age_s=None if age is None else parse_duration(age),
            key=secret.encode() if secret else None,
        )

    def check_fields(self, known: Iterable[str]) -> None:
        """Raise ``ConfigError`` for a policy field the model's inputs do not have."""
        names = list(known)
        for name in self.fields:
            if name not in names:
                close = difflib.get_close_matches(name, names, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ConfigError(
                    f"{_SECTION} fields names {name!r}, which is not an input of the served "
                    f"model{hint} (inputs: {', '.join(names) or 'none'})"
                )

    def hash_value(self, value: Any) -> str:
        """``hmac:<hex>`` of a value (its JSON text), with the configured key."""
        if self.key is None:
            raise ConfigError(f"no HMAC key: set ${DEFAULT_KEY_ENV} (see {_SECTION})")
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
        return "hmac:" + hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()[:32]

    def apply(self, inputs: Any) -> Any:
        """``inputs`` with the policy applied (dict rows; lists of them row by row)."""
        if isinstance(inputs, list):
            return [self.apply(x) for x in inputs]
        if not isinstance(inputs, Mapping) or not self.fields:
            return inputs
        out: dict[str, Any] = {}
        for k, v in inputs.items():
            rule = self.fields.get(k)
            if rule is None or rule.action == "keep" or v is None:
                out[k] = v
            elif rule.action == "hash":
                out[k] = self.hash_value(v)
            elif rule.action == "truncate":
                out[k] = str(v)[: rule.length]
            # drop: not copied
        return out

    def apply_json(self, text: str) -> str:
        if not self.fields:
            return text
        return json.dumps(self.apply(json.loads(text)), allow_nan=True)


def project_log_policy(start: str | os.PathLike[str] | None = None) -> LogPolicy | None:
    """The project's ``[tool.hyperflow.predictions]`` policy, or ``None`` when there is none."""
    from hyperflow.store._project import project_config

    section = project_config(start).get("predictions")
    if not section:
        return None
    if not isinstance(section, Mapping):
        raise ConfigError(f"{_SECTION} must be a table")
    return LogPolicy.from_config(section)


class PolicyPredictionLog(PredictionLog):
    """Any prediction log, with a :class:`LogPolicy` applied to inputs before ``write``."""

    def __init__(self, inner: PredictionLog, policy: LogPolicy) -> None:
        self.inner = inner
        self.policy = policy
        self.shared = inner.shared

    def __repr__(self) -> str:
        return f"PolicyPredictionLog({self.inner!r})"

    def write(self, records: Sequence[PredictionRecord]) -> None:
        self.inner.write([replace(r, inputs=self.policy.apply_json(r.inputs)) for r in records])

    def write_feedback(self, records: Sequence[FeedbackRecord]) -> None:
        self.inner.write_feedback(records)

    def search(
        self,
        name: str,
        *,
        version: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        return self.inner.search(name, version=version, since=since, until=until, limit=limit)

    def logged_at(self, request_id: str) -> datetime | None:
        return self.inner.logged_at(request_id)

    def close(self) -> None:
        self.inner.close()
