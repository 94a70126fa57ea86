"""Kubernetes manifests of an agent bundle: a Deployment, and a CronJob alternative.

The Deployment runs ``hyperflow agent --model NAME --interval ...`` for good (one
replica by default; two are safe, since every pass holds the model's lease in the
store, so exactly one acts and the other takes over within ``lease_ttl`` when the
first dies). ``cronjob.yaml`` runs ``hyperflow agent --once`` on a schedule instead;
it is not in the kustomization's resources (swap it for ``deployment.yaml`` there).

Store, artifact store and S3 credentials come from the Secret ``<name>-agent-secrets``
(all keys optional). There is no HTTP endpoint, hence no Service and no probes.
"""

from __future__ import annotations

import math
from typing import Any

from hyperflow.deploy._kube import kube_name, kustomization, locked_down
from hyperflow.deploy._yaml import to_yaml

__all__ = ["SECRET_KEYS", "agent_command", "agent_manifests", "agent_schedule"]

#: Environment variable -> key of the ``<name>-agent-secrets`` Secret.
SECRET_KEYS = {
    "HYPERFLOW_STORE": "store-url",
    "HYPERFLOW_ARTIFACTS": "artifacts-url",
    "AWS_ACCESS_KEY_ID": "aws-access-key-id",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-access-key",
    "AWS_ENDPOINT_URL": "aws-endpoint-url",
    "AWS_DEFAULT_REGION": "aws-region",
}
# Writable places under /tmp: the root filesystem is read-only.
_PLAIN_ENV = {
    "HOME": "/tmp",
    "HYPERFLOW_CACHE": "/tmp/hyperflow/cache",
    "XDG_CONFIG_HOME": "/tmp/hyperflow/config",
}


def agent_command(name: str, interval: str, *, once: bool = False) -> list[str]:
    """The agent's command, run from the bundle folder (the project root)."""
    if once:
        return ["hyperflow", "agent", "--once", "--model", name]
    return ["hyperflow", "agent", "--model", name, "--interval", interval]


def agent_schedule(interval: float) -> str:
    """A cron schedule for passes every ``interval`` seconds, rounded up to what cron can
    say (a step of whole minutes dividing an hour, or of hours dividing a day)."""
    minutes = max(1, math.ceil(interval / 60))
    if minutes < 60:
        step = next(d for d in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60) if d >= minutes)
        return f"*/{step} * * * *" if step < 60 else "0 * * * *"
    hours = math.ceil(minutes / 60)
    step = next((d for d in (1, 2, 3, 4, 6, 8, 12) if d >= hours), 24)
    return "0 * * * *" if step == 1 else "0 0 * * *" if step == 24 else f"0 */{step} * * *"


def _labels(info: dict[str, Any]) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": f"{kube_name(info['name'])}-agent"[:63].rstrip("-"),
        "app.kubernetes.io/component": "agent",
        "app.kubernetes.io/part-of": "hyperflow",
    }


def _env(info: dict[str, Any]) -> list[dict[str, Any]]:
    secret = info["secret"]
    env: list[dict[str, Any]] = [
        {"name": var, "valueFrom": {"secretKeyRef": {"name": secret, "key": key, "optional": True}}}
        for var, key in SECRET_KEYS.items()
    ]
    env += [{"name": k, "value": v} for k, v in _PLAIN_ENV.items()]
    return env


def _pod(info: dict[str, Any], image: str, command: list[str], grace: int) -> dict[str, Any]:
    container = {
        "name": "agent",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": command,
        "env": _env(info),
        "resources": {  # a retrain fits the model in this container
            "requests": {"cpu": "250m", "memory": "512Mi"},
            "limits": {"cpu": "2", "memory": "2Gi"},
        },
        **locked_down(),
    }
    return {
        "terminationGracePeriodSeconds": grace,
        "securityContext": {"runAsNonRoot": True, "fsGroup": 10001},
        "containers": [container],
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    }


def _deployment(info: dict[str, Any], image: str) -> dict[str, Any]:
    labels = _labels(info)
    name = labels["app.kubernetes.io/name"]
    pod = _pod(info, image, info["command"], 120)  # SIGTERM: the agent ends its pass, then exits
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": info["replicas"],
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "strategy": {"type": "Recreate"},
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
    }


def _cronjob(info: dict[str, Any], image: str) -> dict[str, Any]:
    labels = _labels(info)
    name = labels["app.kubernetes.io/name"]
    command = agent_command(info["name"], info["interval"], once=True)
    pod = {**_pod(info, image, command, 60), "restartPolicy": "Never"}
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "schedule": info["schedule"],
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 120,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {
                "metadata": {"labels": labels},
                "spec": {
                    "backoffLimit": 0,  # the next scheduled pass is the retry
                    "activeDeadlineSeconds": info["deadline"],
                    "template": {"metadata": {"labels": labels}, "spec": pod},
                },
            },
        },
    }


def agent_manifests(info: dict[str, Any], image: str) -> dict[str, str]:
    """File name -> YAML of ``deployment.yaml``, ``cronjob.yaml`` and ``kustomization.yaml``
    (whose resources hold the Deployment only)."""
    return {
        "deployment.yaml": to_yaml(_deployment(info, image)),
        "cronjob.yaml": to_yaml(_cronjob(info, image)),
        "kustomization.yaml": kustomization(info, image, ["deployment.yaml"]),
    }
