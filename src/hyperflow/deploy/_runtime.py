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

__all__ = [
    "BUNDLE_FILE",
    "BundleSource",
    "bundle_app",
    "bundle_predictor",
    "read_bundle",
    "serve_bundle",
]

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


class BundleSource:
    """The bundle at ``root`` as a ``ModelSource`` (one fixed version; picklable, so each
    worker of ``serve(..., workers=N)`` loads the bundle itself)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def current(self) -> str:
        info = read_bundle(self.root)
        return f"bundle:{info['name']}:{info['version']}"

    def load(self) -> Predictor:
        return bundle_predictor(self.root)


def _log_default() -> str:
    return (
        os.environ.get("HYPERFLOW_PREDICTION_LOG")
        or os.environ.get("HYPERFLOW_STORE")
        or "memory://"
    )


def serve_bundle(root: str | Path, argv: list[str] | None = None) -> None:
    """Serve the bundle at ``root`` with ``hyperflow.serve.serve`` (``--host``, ``--port``,
    ``--workers``, ``--log-format``): the entry of ``python app/hyperflow_bundle.py``."""
    import argparse

    from hyperflow.deploy._kube import PORT
    from hyperflow.serve import serve

    parser = argparse.ArgumentParser(prog="hyperflow_bundle", description=serve_bundle.__doc__)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    source = BundleSource(root)
    model = source if args.workers > 1 else source.load()
    serve(
        model, args.host, args.port, workers=args.workers, log_format=args.log_format,
        prediction_log=_log_default(), poll_interval_s=None,
    )


def bundle_app(root: str | Path, **options: Any) -> FastAPI:
    """The FastAPI app serving the bundle at ``root`` (``options`` go to ``create_app``).

    The prediction log defaults to ``$HYPERFLOW_PREDICTION_LOG``, else
    ``$HYPERFLOW_STORE``, else ``memory://``; tokens come from
    ``$HYPERFLOW_API_TOKEN`` and ``$HYPERFLOW_ADMIN_TOKEN`` as for ``hyperflow serve``.
    """
    from hyperflow.serve import create_app

    options.setdefault("prediction_log", _log_default())
    options.setdefault("poll_interval_s", None)  # a bundle serves one fixed version
    return create_app(bundle_predictor(root), **options)
