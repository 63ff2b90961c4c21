"""What the Kubernetes API knows about each kind: its group, plural, scope and short names.

Bundles record objects, not discovery; this table (plus any CustomResourceDefinition in the bundle, plus a
guess for the rest) lets the replay API serve them under the paths and names a real cluster uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ApiResource:
    """One resource type as discovery describes it."""

    group: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    versions: tuple[str, ...] = field(default=("v1",), compare=False)  # served even with no object recorded

    @property
    def singular(self) -> str:
        return self.kind.lower()


def _r(group: str, kind: str, plural: str, namespaced: bool, *short: str) -> ApiResource:
    return ApiResource(group, kind, plural, namespaced, short)


BUILTIN: tuple[ApiResource, ...] = (
    _r("", "Pod", "pods", True, "po"),
    _r("", "Event", "events", True, "ev"),
    _r("", "Node", "nodes", False, "no"),
    _r("", "Namespace", "namespaces", False, "ns"),
    _r("", "Service", "services", True, "svc"),
    _r("", "Endpoints", "endpoints", True, "ep"),
    _r("", "ConfigMap", "configmaps", True, "cm"),
    _r("", "Secret", "secrets", True),
    _r("", "PersistentVolumeClaim", "persistentvolumeclaims", True, "pvc"),
    _r("", "PersistentVolume", "persistentvolumes", False, "pv"),
    _r("", "ResourceQuota", "resourcequotas", True, "quota"),
    _r("", "LimitRange", "limitranges", True, "limits"),
    _r("", "ServiceAccount", "serviceaccounts", True, "sa"),
    _r("", "ReplicationController", "replicationcontrollers", True, "rc"),
    _r("apps", "Deployment", "deployments", True, "deploy"),
    _r("apps", "StatefulSet", "statefulsets", True, "sts"),
    _r("apps", "DaemonSet", "daemonsets", True, "ds"),
    _r("apps", "ReplicaSet", "replicasets", True, "rs"),
    _r("apps", "ControllerRevision", "controllerrevisions", True),
    _r("batch", "Job", "jobs", True),
    _r("batch", "CronJob", "cronjobs", True, "cj"),
    _r("node.k8s.io", "RuntimeClass", "runtimeclasses", False),
    _r("scheduling.k8s.io", "PriorityClass", "priorityclasses", False, "pc"),
    _r("storage.k8s.io", "StorageClass", "storageclasses", False, "sc"),
    _r("storage.k8s.io", "CSIDriver", "csidrivers", False),
    _r("storage.k8s.io", "CSINode", "csinodes", False),
    _r("policy", "PodDisruptionBudget", "poddisruptionbudgets", True, "pdb"),
    _r("events.k8s.io", "Event", "events", True, "ev"),
    _r("apiextensions.k8s.io", "CustomResourceDefinition", "customresourcedefinitions", False, "crd", "crds"),
    _r("resource.k8s.io", "ResourceClaim", "resourceclaims", True),
    _r("resource.k8s.io", "ResourceClaimTemplate", "resourceclaimtemplates", True),
    _r("resource.k8s.io", "ResourceSlice", "resourceslices", False),
    _r("resource.k8s.io", "DeviceClass", "deviceclasses", False),
    _r("resource.k8s.io", "DeviceTaintRule", "devicetaintrules", False),
    _r("serving.kserve.io", "InferenceService", "inferenceservices", True, "isvc"),
    _r("serving.kserve.io", "ServingRuntime", "servingruntimes", True),
    _r("serving.kserve.io", "ClusterServingRuntime", "clusterservingruntimes", False),
    _r("serving.kserve.io", "InferenceGraph", "inferencegraphs", True, "ig"),
    _r("serving.kserve.io", "LocalModelCache", "localmodelcaches", False),
    _r("ray.io", "RayCluster", "rayclusters", True),
    _r("ray.io", "RayService", "rayservices", True),
    _r("ray.io", "RayJob", "rayjobs", True),
    _r("karpenter.sh", "NodeClaim", "nodeclaims", False),
    _r("karpenter.sh", "NodePool", "nodepools", False),
    _r("nvidia.com", "ClusterPolicy", "clusterpolicies", False),
    _r("kueue.x-k8s.io", "Workload", "workloads", True, "wl"),
    _r("kueue.x-k8s.io", "ClusterQueue", "clusterqueues", False, "cq"),
    _r("kueue.x-k8s.io", "LocalQueue", "localqueues", True, "queue", "queues", "lq"),
    _r("inference.networking.x-k8s.io", "InferencePool", "inferencepools", True),
    _r("inference.networking.x-k8s.io", "InferenceModel", "inferencemodels", True),
)

# Groups every replay serves even when the bundle holds none of their objects, so empty lists work.
ALWAYS_SERVED: dict[str, tuple[str, ...]] = {
    "": ("v1",),
    "apps": ("v1",),
    "batch": ("v1",),
    "node.k8s.io": ("v1",),
    "resource.k8s.io": ("v1",),
}

_BY_KIND: dict[tuple[str, str], ApiResource] = {(r.group, r.kind): r for r in BUILTIN}


def split_api_version(api_version: str) -> tuple[str, str]:
    """`apps/v1` -> ("apps", "v1"); `v1` -> ("", "v1")."""
    group, _, version = api_version.rpartition("/")
    return group, version


def guess_plural(kind: str) -> str:
    """The plural the API would most likely use for a kind nobody described (lower case, English rules)."""
    lower = kind.lower()
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return lower + "es"
    if lower.endswith("y") and lower[-2:-1] not in "aeiou":
        return lower[:-1] + "ies"
    return lower + "s"


def builtin(group: str, kind: str) -> ApiResource | None:
    return _BY_KIND.get((group, kind))


def from_crd(crd: dict[str, Any]) -> ApiResource | None:
    """The resource a recorded CustomResourceDefinition declares, or None when it is incomplete."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    if not (spec.get("group") and names.get("kind") and names.get("plural")):
        return None
    return ApiResource(spec["group"], names["kind"], names["plural"], spec.get("scope", "Namespaced") == "Namespaced",
                       tuple(names.get("shortNames") or ()))


def version_rank(version: str) -> tuple[int, int, int]:
    """Sort key putting the version the API prefers first: GA over beta over alpha, higher numbers first."""
    match = _VERSION_RE.match(version)
    if not match:
        return (3, 0, 0)
    stability = {"": 0, "beta": 1, "alpha": 2}[match.group(2) or ""]
    return (stability, -int(match.group(1)), -int(match.group(3) or 0))


_VERSION_RE = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")
