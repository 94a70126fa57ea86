"""Deployment bundles: ``build`` a registered model into a folder that runs anywhere.

A bundle (``hyperflow build NAME@ALIAS --out DIR``) holds the model's artifacts
with a sha256 manifest and lineage, the predict pipeline's modules, a pinned
``requirements.txt``, a ``Dockerfile``, Kubernetes manifests with a
``kustomization.yaml``, a Grafana dashboard, Prometheus alert rules and a README.
``bundle_app(DIR)`` is the ASGI app it serves (``uvicorn`` from the bundle);
``python app/hyperflow_bundle.py --workers N`` (``build(..., workers=N)``) serves it
with N worker processes.
"""

from hyperflow.deploy._build import Bundle, build
from hyperflow.deploy._runtime import (
    BundleSource,
    bundle_app,
    bundle_predictor,
    read_bundle,
    serve_bundle,
)

__all__ = [
    "Bundle",
    "BundleSource",
    "build",
    "bundle_app",
    "bundle_predictor",
    "read_bundle",
    "serve_bundle",
]
