"""Deployment bundles: ``build`` a registered model into a folder that runs anywhere.

A bundle (``hyperflow build NAME@ALIAS --out DIR``) holds the model's artifacts
with a sha256 manifest and lineage, the predict pipeline's modules, a pinned
``requirements.txt``, a ``Dockerfile``, Kubernetes manifests with a
``kustomization.yaml``, a Grafana dashboard, Prometheus alert rules and a README.
``bundle_app(DIR)`` is the ASGI app it serves (``uvicorn`` from the bundle);
``python app/hyperflow_bundle.py --workers N`` (``build(..., workers=N)``) serves it
with N worker processes.

``build_agent`` (``hyperflow build NAME --agent --out DIR``) writes the agent's own
bundle: the project's config and code, pinned requirements, hyperflow as a wheel, a
``Dockerfile``, a Kubernetes Deployment (and a CronJob alternative) running
``hyperflow agent --model NAME``.
"""

from hyperflow.deploy._agent_bundle import AgentBundle, build_agent
from hyperflow.deploy._build import Bundle, build
from hyperflow.deploy._runtime import (
    BundleSource,
    bundle_app,
    bundle_predictor,
    read_bundle,
    serve_bundle,
)

__all__ = [
    "AgentBundle",
    "Bundle",
    "BundleSource",
    "build",
    "build_agent",
    "bundle_app",
    "bundle_predictor",
    "read_bundle",
    "serve_bundle",
]
