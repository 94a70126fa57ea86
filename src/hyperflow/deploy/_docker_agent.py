"""The agent bundle's ``Dockerfile``, ``.dockerignore`` and README."""

from __future__ import annotations

import json
import sys
from typing import Any

from hyperflow.deploy._docker import FINAL_STAGE_USER
from hyperflow.deploy._kube_agent import SECRET_KEYS

__all__ = ["agent_dockerfile", "agent_dockerignore", "agent_readme"]


def agent_dockerfile(info: dict[str, Any]) -> str:
    """Two stages: requirements and the hyperflow wheel installed in a builder venv; a slim
    non-root final stage holding that venv and the project code."""
    base = f"python:{sys.version_info.major}.{sys.version_info.minor}-slim-bookworm"
    labels = {
        "org.opencontainers.image.title": f"{info['name']}-agent",
        "org.opencontainers.image.version": info["hyperflow_version"],
        "org.opencontainers.image.description": f"hyperflow agent of model {info['name']}",
        "dev.hyperflow.model": info["name"],
        "dev.hyperflow.component": "agent",
    }
    label_lines = " \\\n      ".join(f"{k}={json.dumps(v)}" for k, v in labels.items())
    copies = "\n".join(
        f"COPY --chown=10001:10001 {path} /srv/agent/{path}" for path in info["copied"]
    )
    return f"""# syntax=docker/dockerfile:1
# Built by `hyperflow build {info["name"]} --agent`: docker build -t {info["image"]} .
FROM {base} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
COPY wheels /tmp/wheels
RUN /opt/venv/bin/pip install --only-binary=:all: -r /tmp/requirements.txt \\
 && /opt/venv/bin/pip install --no-deps --no-index /tmp/wheels/*.whl

FROM {base}
LABEL {label_lines}
{FINAL_STAGE_USER}{copies}
ENV PATH=/opt/venv/bin:$PATH \\
    PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    HOME=/tmp \\
    HYPERFLOW_CACHE=/tmp/hyperflow/cache \\
    XDG_CONFIG_HOME=/tmp/hyperflow/config
WORKDIR /srv/agent
USER 10001:10001
CMD {json.dumps(info["command"])}
"""


def agent_dockerignore() -> str:
    return "k8s/\nREADME.md\n**/__pycache__\n"


def agent_readme(info: dict[str, Any], requirements: list[str]) -> str:
    """What is inside the agent bundle and how to run it, with the choices explained."""
    name, kname = info["name"], info["kube"]
    keys = "\n".join(f"| `{k}` | `{v}` |" for v, k in SECRET_KEYS.items())
    modules = ", ".join(f"`{m}`" for m in info["modules"]) or "(none)"
    pinned = (
        f"the {len(requirements)} pinned distributions: hyperflow's core, extras "
        f"`{','.join(info['extras'])}`, and what the project's modules import"
    )
    return f"""# {name} — hyperflow agent bundle

Built by `hyperflow build {name} --agent`: the closed loop of model `{name}` (monitoring
checks, retrain triggers, retrain through the gate, canary rollout steps, retention)
as a container, against the store that holds the model.

| path | what |
|---|---|
| `{info["config"]}` | the project's config (`[tool.hyperflow]`): triggers, gate, rollout, agent |
| project modules | {modules} |
| `requirements.txt` | {pinned} |
| `wheels/` | hyperflow itself, as a wheel (`pip install --no-deps wheels/*.whl`) |
| `Dockerfile` | two stages; slim, non-root; `CMD {" ".join(info["command"])}` |
| `k8s/` | `deployment.yaml` (in `kustomization.yaml`), `cronjob.yaml` (the alternative) |

Data files, stores, caches and virtual environments are not copied: point the
project's inputs at something the pod can read (S3, a database, a mounted volume).

## Run without Docker

    python -m venv .venv && .venv/bin/pip install -r requirements.txt
    .venv/bin/pip install --no-deps wheels/*.whl
    HYPERFLOW_STORE=postgresql+psycopg://... .venv/bin/hyperflow agent --once --model {name} --json

## Run with Docker

    docker build -t {info["image"]} .
    docker run -e HYPERFLOW_STORE=postgresql+psycopg://... {info["image"]}

## Run on Kubernetes

    kubectl create secret generic {kname}-agent-secrets \\
      --from-literal=store-url=postgresql+psycopg://... \\
      --from-literal=artifacts-url=s3://bucket/prefix \\
      --from-literal=aws-access-key-id=... --from-literal=aws-secret-access-key=...
    kubectl apply -k k8s/

| Secret key (all optional) | environment variable |
|---|---|
{keys}

**Replicas.** The Deployment runs {info["replicas"]} replica(s). Two are safe: each pass
takes the model's lease in the store, so exactly one agent acts and the other reports
who holds it; when the acting one dies, its lease runs out (`lease_ttl`, default
`max(30 s, 3 × interval)`) and the other resumes its work (a half-done rollout or
retrain included). `hyperflow build {name} --agent --replicas 2` writes that. The
strategy is `Recreate`, since nothing is served and there is no traffic to keep.

**No probes, no Service.** The agent serves no HTTP, so there is nothing for a readiness
probe or a Service. A crashed process exits and the kubelet restarts it; a probe that
only checks that the process exists adds nothing to that. A pass that hangs is not
detected (its lease keeps being renewed by the agent's heartbeat thread): if that worries
you, use the CronJob, whose `activeDeadlineSeconds` ({info["deadline"]} s) ends every pass.

**The CronJob alternative.** `k8s/cronjob.yaml` runs `hyperflow agent --once --model
{name}` on `{info["schedule"]}` (from `--interval {info["interval"]}`, rounded up to
cron's minutes) with `concurrencyPolicy: Forbid`, so passes never overlap. Use it
instead of the Deployment by replacing `deployment.yaml` with `cronjob.yaml` in
`k8s/kustomization.yaml`. It suits models that rarely act; a canary rollout advances at
most once per scheduled pass, whereas the Deployment's agent passes sooner while a
canary needs its analysis.

SIGTERM ends the running agent after its current pass (`terminationGracePeriodSeconds`
is 120 s); a rollout in flight stays in the store for the next agent to resume.
"""
