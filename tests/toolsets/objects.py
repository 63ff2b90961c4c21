"""Kubernetes objects in the shapes the API serves (uid, creationTimestamp, resourceVersion, spec, status)."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

CAPTURED_AT = "2025-03-14T10:20:00Z"
NOW = datetime(2025, 3, 14, 10, 20, tzinfo=UTC)
_versions = itertools.count(1000)


def ts(minutes_ago: float) -> str:
    """An RFC3339 timestamp `minutes_ago` before the capture time."""
    return (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro(minutes_ago: float) -> str:
    """A MicroTime, as eventTime and series.lastObservedTime are served."""
    return (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def metadata(name: str, namespace: str | None = None, age_minutes: float = 60, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "uid": str(uuid.uuid4()), "resourceVersion": str(next(_versions)),
                            "creationTimestamp": ts(age_minutes)}
    if namespace:
        meta["namespace"] = namespace
    meta.update(extra)
    return meta


def pod(name: str, namespace: str = "llm", containers: list[dict[str, Any]] | None = None,
        statuses: list[dict[str, Any]] | None = None, phase: str = "Running", node: str | None = "gpu-node-1",
        spec: dict[str, Any] | None = None, status: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
    containers = containers or [{"name": "vllm", "image": "vllm/vllm-openai:v0.8.5"}]
    pod_spec: dict[str, Any] = {"containers": containers, "restartPolicy": "Always",
                                "schedulerName": "default-scheduler"}
    if node:
        pod_spec["nodeName"] = node
    pod_spec.update(spec or {})
    pod_status: dict[str, Any] = {"phase": phase}
    if statuses is not None:
        pod_status["containerStatuses"] = statuses
    pod_status.update(status or {})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata(name, namespace, **meta), "spec": pod_spec,
            "status": pod_status}


def classic_event(namespace: str, kind: str, name: str, reason: str, message: str, count: int, first: float,
                  last: float, type: str = "Warning", component: str = "default-scheduler") -> dict[str, Any]:
    """An event as kubelet and most controllers still write it: count, first/lastTimestamp, source."""
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": metadata(f"{name}.{uuid.uuid4().hex[:16]}", namespace, age_minutes=first),
            "involvedObject": {"kind": kind, "name": name, "namespace": namespace, "apiVersion": "v1"},
            "reason": reason, "message": message, "type": type, "count": count,
            "firstTimestamp": ts(first), "lastTimestamp": ts(last), "source": {"component": component}}


def series_event(namespace: str, kind: str, name: str, reason: str, message: str, count: int, first: float,
                 last: float, type: str = "Warning", component: str = "default-scheduler") -> dict[str, Any]:
    """A core event written through events.k8s.io: eventTime, series, reportingComponent, no lastTimestamp."""
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": metadata(f"{name}.{uuid.uuid4().hex[:16]}", namespace, age_minutes=first),
            "involvedObject": {"kind": kind, "name": name, "namespace": namespace, "apiVersion": "v1"},
            "reason": reason, "message": message, "type": type, "eventTime": micro(first),
            "series": {"count": count, "lastObservedTime": micro(last)}, "reportingComponent": component,
            "reportingInstance": f"{component}-1", "action": "Scheduling", "firstTimestamp": None,
            "lastTimestamp": None, "source": {}}


def node(name: str, capacity: dict[str, str] | None = None, allocatable: dict[str, str] | None = None,
         labels: dict[str, str] | None = None, taints: list[dict[str, str]] | None = None,
         ready: str = "True", unschedulable: bool = False) -> dict[str, Any]:
    base = {"cpu": "96", "memory": "1056000000Ki", "pods": "110"}
    spec: dict[str, Any] = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": metadata(name, None, age_minutes=3000,
                                 labels={"kubernetes.io/hostname": name, **(labels or {})}),
            "spec": spec,
            "status": {"capacity": {**base, **(capacity or {})}, "allocatable": {**base, **(allocatable or {})},
                       "conditions": [{"type": "MemoryPressure", "status": "False",
                                       "reason": "KubeletHasSufficientMemory"},
                                      {"type": "Ready", "status": ready, "reason": "KubeletReady",
                                       "lastTransitionTime": ts(2000)}]}}


def device_class(name: str, driver: str, extra_cel: str = "") -> dict[str, Any]:
    expression = f"device.driver == '{driver}'" + (f" && {extra_cel}" if extra_cel else "")
    return {"apiVersion": "resource.k8s.io/v1", "kind": "DeviceClass", "metadata": metadata(name),
            "spec": {"selectors": [{"cel": {"expression": expression}}]}}


def gpu_device(name: str, product: str = "NVIDIA A100 80GB PCIe", memory: str = "80Gi",
               **attributes: Any) -> dict[str, Any]:
    attrs = {"type": {"string": "gpu"}, "productName": {"string": product}, "uuid": {"string": f"GPU-{uuid.uuid4()}"},
             "architecture": {"string": "Ampere"}, "driverVersion": {"version": "580.95.5"}}
    attrs.update({k: v for k, v in attributes.items()})
    return {"name": name, "attributes": attrs, "capacity": {"memory": {"value": memory}}}


def resource_slice(node_name: str, driver: str, devices: list[dict[str, Any]] | None,
                   age_minutes: float = 600) -> dict[str, Any]:
    spec: dict[str, Any] = {"driver": driver, "nodeName": node_name,
                            "pool": {"name": node_name, "generation": 1, "resourceSliceCount": 1}}
    if devices is not None:
        spec["devices"] = devices
    return {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceSlice",
            "metadata": metadata(f"{node_name}-{driver}-{uuid.uuid4().hex[:5]}", None, age_minutes=age_minutes,
                                 ownerReferences=[{"apiVersion": "v1", "kind": "Node", "name": node_name,
                                                   "uid": str(uuid.uuid4()), "controller": True}]),
            "spec": spec}


def claim(name: str, namespace: str, device_class_name: str, selectors: list[str] | None = None, count: int = 1,
          allocation: list[dict[str, str]] | None = None, node_name: str | None = None,
          reserved_for: str | None = None) -> dict[str, Any]:
    """A v1 ResourceClaim (`exactly` request), optionally allocated."""
    exactly: dict[str, Any] = {"deviceClassName": device_class_name, "allocationMode": "ExactCount", "count": count}
    if selectors:
        exactly["selectors"] = [{"cel": {"expression": e}} for e in selectors]
    obj: dict[str, Any] = {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaim",
                           "metadata": metadata(name, namespace),
                           "spec": {"devices": {"requests": [{"name": "gpu", "exactly": exactly}]}}, "status": {}}
    if allocation:
        obj["status"]["allocation"] = {"devices": {"results": allocation}}
        if node_name:
            obj["status"]["allocation"]["nodeSelector"] = {"nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}]}
    if reserved_for:
        obj["status"]["reservedFor"] = [{"resource": "pods", "name": reserved_for, "uid": str(uuid.uuid4())}]
    return obj


def claim_pod(name: str, namespace: str, claim_name: str, template: str | None = None,
              scheduled_minutes_ago: float = 30) -> dict[str, Any]:
    """A Pending pod whose claim was generated from a template (status.resourceClaimStatuses names it)."""
    entry = {"name": "gpu", "resourceClaimTemplateName": template} if template else \
        {"name": "gpu", "resourceClaimName": claim_name}
    return pod(name, namespace, node=None, phase="Pending",
               containers=[{"name": "vllm", "image": "vllm/vllm-openai:v0.10.0",
                            "resources": {"claims": [{"name": "gpu"}]}}],
               spec={"resourceClaims": [entry]},
               status={"resourceClaimStatuses": [{"name": "gpu", "resourceClaimName": claim_name}],
                       "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                       "message": "0/2 nodes are available: 2 cannot allocate all claims.",
                                       "lastTransitionTime": ts(scheduled_minutes_ago)}]})
