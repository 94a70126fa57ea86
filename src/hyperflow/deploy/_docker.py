"""The bundle's ``Dockerfile``, ``.dockerignore``, entry module and README."""

from __future__ import annotations

import json
import sys
from typing import Any

from hyperflow.deploy._kube import PORT

__all__ = [
    "ENTRY_MODULE",
    "FINAL_STAGE_USER",
    "dockerfile",
    "dockerignore",
    "entry_command",
    "entry_module",
    "readme",
]

ENTRY_MODULE = "hyperflow_bundle"


FINAL_STAGE_USER = """RUN groupadd --system --gid 10001 hyperflow \\
 && useradd --system --uid 10001 --gid hyperflow --no-create-home \\
      --shell /usr/sbin/nologin hyperflow
COPY --from=build /opt/venv /opt/venv
"""
"""The final stage's non-root user (uid 10001, as the manifests run it) and the venv."""


def entry_command(host: str = "0.0.0.0", port: int = PORT, workers: int = 1) -> list[str]:
    """The command serving the bundle from its root folder: uvicorn for one worker, else
    the entry module itself, which runs ``hyperflow.serve.serve(..., workers=N)`` (the
    supervisor of ``hyperflow serve --workers N``: a private ``PROMETHEUS_MULTIPROC_DIR``
    under ``$TMPDIR``, ``/metrics`` summed over the workers, reloads relayed to all)."""
    if workers > 1:
        return [
            "python", f"app/{ENTRY_MODULE}.py", "--host", host, "--port", str(port),
            "--workers", str(workers),
        ]
    return [
        "uvicorn",
        "--app-dir",
        "app",
        f"{ENTRY_MODULE}:app",
        "--host",
        host,
        "--port",
        str(port),
        "--no-server-header",
    ]


def entry_module() -> str:
    """``app/hyperflow_bundle.py``: the ASGI app of the bundle the file lies in (``app``,
    loaded on first use), and ``python app/hyperflow_bundle.py --workers N`` to serve it."""
    return (
        '"""The ASGI app of this bundle (written by `hyperflow build`): `uvicorn\n'
        "hyperflow_bundle:app`, or `python app/hyperflow_bundle.py --workers N`.\"\"\"\n\n"
        "import sys\n"
        "from pathlib import Path\n"
        "from typing import Any\n\n"
        "ROOT = Path(__file__).resolve().parent.parent\n\n\n"
        "def __getattr__(name: str) -> Any:  # `app`: built when a server asks for it\n"
        "    if name != \"app\":\n"
        "        raise AttributeError(name)\n"
        "    from hyperflow.deploy import bundle_app\n\n"
        "    globals()[\"app\"] = app = bundle_app(ROOT)\n"
        "    return app\n\n\n"
        "if __name__ == \"__main__\":\n"
        "    from hyperflow.deploy import serve_bundle\n\n"
        "    serve_bundle(ROOT, sys.argv[1:])\n"
    )


def _python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def dockerfile(info: dict[str, Any]) -> str:
    """A two-stage Dockerfile: wheels installed in a builder, a slim non-root final stage."""
    base = f"python:{_python()}-slim-bookworm"
    labels = {
        "org.opencontainers.image.title": info["name"],
        "org.opencontainers.image.version": info["version"],
        "org.opencontainers.image.revision": info.get("run_id") or "",
        "org.opencontainers.image.description": f"hyperflow model {info['name']}",
        "dev.hyperflow.run-id": info.get("run_id") or "",
        "dev.hyperflow.code-version": info.get("code_version") or "",
    }
    label_lines = " \\\n      ".join(f"{k}={json.dumps(v)}" for k, v in labels.items())
    health = (
        "import sys, urllib.request; sys.exit(urllib.request.urlopen("
        f"'http://127.0.0.1:{PORT}/ready', timeout=2).status != 200)"
    )
    cmd = entry_command(workers=info.get("workers", 1))  # run from WORKDIR /srv/bundle
    return f"""# syntax=docker/dockerfile:1
# Built by `hyperflow build`: docker build -t {info["name"]}:{info["version"]} .
FROM {base} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install --only-binary=:all: -r /tmp/requirements.txt

FROM {base}
LABEL {label_lines}
{FINAL_STAGE_USER}COPY --chown=10001:10001 bundle.json requirements.txt /srv/bundle/
COPY --chown=10001:10001 artifacts /srv/bundle/artifacts
COPY --chown=10001:10001 app /srv/bundle/app
ENV PATH=/opt/venv/bin:$PATH \\
    PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1
WORKDIR /srv/bundle
USER 10001:10001
EXPOSE {PORT}
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \\
  CMD {json.dumps(["python", "-c", health])}
CMD {json.dumps(cmd)}
"""


def dockerignore() -> str:
    return "k8s/\nmonitoring/\nREADME.md\n**/__pycache__\n"


def readme(info: dict[str, Any], requirements: list[str]) -> str:
    """The bundle's README: what is inside and how to run it three ways."""
    name, version = info["name"], info["version"]
    image = f"{name}:{version}"
    command = " ".join(entry_command("127.0.0.1", workers=info.get("workers", 1)))
    return f"""# {name} {version} — hyperflow bundle

Built by `hyperflow build` from `{info["ref"]}` (run `{info.get("run_id")}`,
predict pipeline `{info["predict_ref"]}`, code version `{info.get("code_version")}`).

| path | what |
|---|---|
| `bundle.json` | identity, artifact manifest (sha256), lineage |
| `artifacts/` | the fitted artifacts; `artifacts/SHA256SUMS` checks them (`sha256sum -c`) |
| `app/` | the predict pipeline's modules, hyperflow and the entry module `{ENTRY_MODULE}.py` |
| `requirements.txt` | the {len(requirements)} pinned distributions the predict pipeline needs |
| `Dockerfile` | two stages; slim, non-root, `HEALTHCHECK` on `/ready` |
| `k8s/` | Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget, kustomization |
| `monitoring/` | Grafana dashboard and Prometheus alert rules |

## Run without Docker

    python -m venv .venv && .venv/bin/pip install -r requirements.txt
    .venv/bin/{command}

## Run with Docker

    docker build -t {image} .
    docker run -p {PORT}:{PORT} {image}

## Run on Kubernetes

    kubectl create secret generic {info["kube_name"]}-secrets \\
      --from-literal=store-url=postgresql+psycopg://... \\
      --from-literal=api-token=... --from-literal=admin-token=...
    kubectl apply -k k8s/

Predictions are logged to `HYPERFLOW_PREDICTION_LOG`, else the store in `HYPERFLOW_STORE`
(the Secret's `store-url`), else kept in memory. `/metrics` is scraped through the pod's
`prometheus.io/*` annotations; load `monitoring/prometheus-rules.yaml` into Prometheus and
import `monitoring/grafana-dashboard.json` into Grafana. The drift alert reads
`hyperflow_drift_share`, which the monitoring service exports; without it the alert stays silent.
"""
