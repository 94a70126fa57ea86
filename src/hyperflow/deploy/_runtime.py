"""``bundle_app``: the ASGI app a bundle serves, from its own files alone.

A bundle is a folder written by :func:`hyperflow.deploy.build`: ``bundle.json``
(identity, predict reference, artifact manifest), ``artifacts/`` and ``app/``
(the predict pipeline's modules). No metadata store or artifact store is
needed to serve it: the artifacts are verified against their sha256 and bound
to the predict pipeline. Predictions are logged to ``$HYPERFLOW_PREDICTION_LOG``,
else ``$HYPERFLOW_STORE``, else kept in memory.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperflow._errors import DeployError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from hyperflow.registry import Predictor

__all__ = ["BUNDLE_FILE", "bundle_app", "bundle_predictor", "read_bundle"]

BUNDLE_FILE = "bundle.json"


def read_bundle(root: str | Path) -> dict[str, Any]:
    """The parsed ``bundle.json`` of the bundle at ``root``."""
    path = Path(root) / BUNDLE_FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeployError(
            f"{path} not found: {root} is not a hyperflow bundle; write one with "
            "`hyperflow build NAME@ALIAS --out DIR`"
        ) from None
    return data


def _artifact(root: Path, name: str, meta: dict[str, Any]) -> Any:
    from hyperflow.store import deserialize

    data = (root / meta["path"]).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != meta["sha256"]:
        raise DeployError(
            f"artifact {name!r} of the bundle at {root} does not match its manifest "
            f"(sha256 {digest}, expected {meta['sha256']}); rebuild the bundle"
        )
    return deserialize(data, meta["format"])


def _pipeline(ref: str) -> Any:
    from hyperflow.core import Pipeline

    module_name, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, Pipeline):
        raise DeployError(f"{ref!r} is a {type(obj).__name__}, not an hf.Pipeline")
    return obj


def bundle_predictor(root: str | Path) -> Predictor:
    """The bundle's ``Predictor``: its predict pipeline with its verified artifacts bound."""
    from hyperflow.registry import Predictor

    base = Path(root)
    info = read_bundle(base)
    bound = {n: _artifact(base, n, m) for n, m in info["artifacts"].items()}
    return Predictor(
        _pipeline(info["predict_ref"]),
        bound,
        name=info["name"],
        version=info["version"],
        alias=info.get("alias"),
        code_version=info.get("code_version"),
    )


def bundle_app(root: str | Path, **options: Any) -> FastAPI:
    """The FastAPI app serving the bundle at ``root`` (``options`` go to ``create_app``).

    The prediction log defaults to ``$HYPERFLOW_PREDICTION_LOG``, else
    ``$HYPERFLOW_STORE``, else ``memory://``; tokens come from
    ``$HYPERFLOW_API_TOKEN`` and ``$HYPERFLOW_ADMIN_TOKEN`` as for ``hyperflow serve``.
    """
    from hyperflow.serve import create_app

    log = (
        os.environ.get("HYPERFLOW_PREDICTION_LOG")
        or os.environ.get("HYPERFLOW_STORE")
        or "memory://"
    )
    options.setdefault("prediction_log", log)
    options.setdefault("poll_interval_s", None)  # a bundle serves one fixed version
    return create_app(bundle_predictor(root), **options)
