"""Kubernetes manifests of a bundle: Deployment, Service, HPA, PDB and a kustomization.

Plain ``apps/v1``, ``v1``, ``autoscaling/v2`` and ``policy/v1`` objects (no
service mesh, no CRDs). The store URL and tokens come from a Secret the
operator creates (``<name>-secrets``; keys ``store-url``, ``api-token``,
``admin-token``), all optional so the pod also runs without one.
"""

from __future__ import annotations

import re
from typing import Any

from hyperflow.deploy._yaml import dump_all, to_yaml

__all__ = ["PORT", "kube_name", "kustomization", "locked_down", "manifests"]

PORT = 8000


def kube_name(name: str) -> str:
    """``name`` as a DNS-1123 label (lowercase alphanumerics and '-', at most 63)."""
    label = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:63].strip("-")
    return label or "model"


def _labels(info: dict[str, Any]) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": kube_name(info["name"]),
        "app.kubernetes.io/version": info["version"],
        "app.kubernetes.io/component": "model-server",
        "app.kubernetes.io/part-of": "hyperflow",
    }


def _secret_env(secret: str) -> list[dict[str, Any]]:
    keys = {
        "HYPERFLOW_STORE": "store-url",
        "HYPERFLOW_API_TOKEN": "api-token",
        "HYPERFLOW_ADMIN_TOKEN": "admin-token",
    }
    return [
        {
            "name": var,
            "valueFrom": {"secretKeyRef": {"name": secret, "key": key, "optional": True}},
        }
        for var, key in keys.items()
    ]


def locked_down() -> dict[str, Any]:
    """A container's security context (non-root 10001, read-only root filesystem, no
    capabilities) and its one writable folder, ``/tmp`` (an ``emptyDir`` named ``tmp``)."""
    return {
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }


def _probe(path: str, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": period,
        "timeoutSeconds": 2,
        "failureThreshold": failures,
    }


def _container(info: dict[str, Any], image: str) -> dict[str, Any]:
    from hyperflow.deploy._docker import entry_command  # _docker imports PORT from here

    workers = int(info.get("workers", 1))  # one CPU and 1 GiB per worker process
    return {
        "command": entry_command(workers=workers),
        "name": "model",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "env": _secret_env(f"{kube_name(info['name'])}-secrets"),
        "readinessProbe": _probe("/ready", 5, 3),
        "livenessProbe": _probe("/health", 10, 3),
        "startupProbe": _probe("/health", 2, 60),
        "resources": {
            "requests": {"cpu": "250m", "memory": "256Mi"},
            "limits": {"cpu": str(workers), "memory": f"{workers}Gi"},
        },
        **locked_down(),
    }


def _deployment(info: dict[str, Any], image: str) -> dict[str, Any]:
    name, labels = kube_name(info["name"]), _labels(info)
    selector = {"app.kubernetes.io/name": name}
    annotations = {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(PORT),
        "prometheus.io/path": "/metrics",
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": selector},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": labels, "annotations": annotations},
                "spec": {
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": {"runAsNonRoot": True, "fsGroup": 10001},
                    "containers": [_container(info, image)],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                },
            },
        },
    }


def _service(info: dict[str, Any]) -> dict[str, Any]:
    name = kube_name(info["name"])
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": _labels(info)},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app.kubernetes.io/name": name},
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def _hpa(info: dict[str, Any]) -> dict[str, Any]:
    name = kube_name(info["name"])
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "labels": _labels(info)},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": 2,
            "maxReplicas": 10,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 70},
                    },
                }
            ],
        },
    }


def _pdb(info: dict[str, Any]) -> dict[str, Any]:
    name = kube_name(info["name"])
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "labels": _labels(info)},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": name}}},
    }


def manifests(info: dict[str, Any], image: str) -> dict[str, str]:
    """File name -> YAML text of each manifest."""
    return {
        "deployment.yaml": to_yaml(_deployment(info, image)),
        "service.yaml": to_yaml(_service(info)),
        "hpa.yaml": to_yaml(_hpa(info)),
        "pdb.yaml": to_yaml(_pdb(info)),
    }


def kustomization(info: dict[str, Any], image: str, files: list[str]) -> str:
    """``kustomization.yaml`` over ``files``, with the image and common labels."""
    repo, _, tag = image.rpartition(":")
    return dump_all(
        [
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": files,
                "labels": [
                    {"pairs": {"hyperflow.dev/model": kube_name(info["name"])}}
                ],
                "images": [{"name": image, "newName": repo, "newTag": tag}],
            }
        ]
    )
