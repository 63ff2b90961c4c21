"""Write the recorded incidents whose cause shows in metrics: cluster objects, logs and OpenMetrics.

Deterministic (uids are uuid5 of the object's name), so re-running rewrites the same bundles:
    .venv/bin/python scripts/metric_incidents.py [evals/incidents]
Each incident names the public-cases row and source it was shaped on; the metric series follow
dcgm-exporter's, vLLM's and cAdvisor's label sets (public-cases.md, Reference (b) and (c)).
"""

from __future__ import annotations

import math
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from holmes.replay.openmetrics import render_family, render_openmetrics

Samples = list[tuple[str, dict[str, str], list[tuple[float, float]]]]
Value = Callable[[datetime], float | None]  # None: no sample at that time


def uid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"holmes-incident/{name}"))


def ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Incident:
    id: str
    now: datetime
    objects: list[dict[str, Any]] = field(default_factory=list)
    logs: dict[str, str] = field(default_factory=dict)
    families: list[list[str]] = field(default_factory=list)
    _rv: int = 81_000_000

    def ago(self, minutes: float) -> datetime:
        return self.now - timedelta(minutes=minutes)

    def meta(self, name: str, namespace: str | None, created: datetime, **extra: Any) -> dict[str, Any]:
        self._rv += 137
        meta: dict[str, Any] = {"name": name}
        if namespace:
            meta["namespace"] = namespace
        meta.update({"uid": uid(f"{self.id}/{namespace}/{name}"), "resourceVersion": str(self._rv),
                     "creationTimestamp": ts(created)})
        meta.update(extra)
        return meta


# --- Kubernetes objects ----------------------------------------------------------------------------
def gpu_node(inc: Incident, name: str, product: str, memory_mib: int, count: int, compute: tuple[int, int],
             driver: str = "550.90.07", allocatable: int | None = None, extra_labels: dict[str, str] | None = None,
             ) -> dict[str, Any]:
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
              "node-role.kubernetes.io/gpu": "", "nvidia.com/gpu.present": "true",
              "nvidia.com/gpu.product": product, "nvidia.com/gpu.memory": str(memory_mib),
              "nvidia.com/gpu.count": str(count), "nvidia.com/gpu.compute.major": str(compute[0]),
              "nvidia.com/gpu.compute.minor": str(compute[1]), "nvidia.com/cuda.driver.major": driver.split(".")[0],
              "nvidia.com/cuda.driver-version.full": driver, "nvidia.com/cuda.runtime-version.full": "12.4",
              "nvidia.com/gpu.deploy.dcgm-exporter": "true", "nvidia.com/gpu.deploy.device-plugin": "true",
              "nvidia.com/mig.strategy": "single", **(extra_labels or {})}
    base = {"cpu": "96", "ephemeral-storage": "1844862064Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
            "memory": "1056617584Ki", "pods": "110"}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": inc.meta(name, None, inc.ago(60 * 24 * 40), labels=labels,
                                 annotations={"nvidia.com/gpu-driver-upgrade-enabled": "true"}),
            "spec": {"providerID": f"gce://prod-ml/us-central1-a/{name}"},
            "status": {
                "capacity": {**base, "nvidia.com/gpu": str(count)},
                "allocatable": {**base, "cpu": "95690m", "memory": "1045119600Ki",
                                "nvidia.com/gpu": str(count if allocatable is None else allocatable)},
                "conditions": [
                    {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory",
                     "message": "kubelet has sufficient memory available", "lastHeartbeatTime": ts(inc.ago(1)),
                     "lastTransitionTime": ts(inc.ago(60 * 24 * 40))},
                    {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure",
                     "message": "kubelet has no disk pressure", "lastHeartbeatTime": ts(inc.ago(1)),
                     "lastTransitionTime": ts(inc.ago(60 * 24 * 40))},
                    {"type": "Ready", "status": "True", "reason": "KubeletReady",
                     "message": "kubelet is posting ready status", "lastHeartbeatTime": ts(inc.ago(1)),
                     "lastTransitionTime": ts(inc.ago(60 * 24 * 40))}],
                "nodeInfo": {"kubeletVersion": "v1.30.5", "containerRuntimeVersion": "containerd://1.7.22",
                             "kernelVersion": "5.15.0-1067-gcp", "osImage": "Ubuntu 22.04.4 LTS",
                             "architecture": "amd64", "operatingSystem": "linux"},
                "addresses": [{"type": "InternalIP", "address": "10.0.0.12"}, {"type": "Hostname", "address": name}]}}


@dataclass
class Workload:
    namespace: str
    deployment: str
    rs_hash: str
    pod_suffix: str
    node: str
    container: dict[str, Any]
    created: datetime
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def replicaset(self) -> str:
        return f"{self.deployment}-{self.rs_hash}"

    @property
    def pod(self) -> str:
        return f"{self.replicaset}-{self.pod_suffix}"


def deployment_objects(inc: Incident, w: Workload, pod_status: dict[str, Any], available: bool
                       ) -> list[dict[str, Any]]:
    labels = {"app.kubernetes.io/name": w.deployment, **w.labels}
    template = {"metadata": {"labels": labels}, "spec": _pod_spec(w, with_node=False)}
    dep_meta = inc.meta(w.deployment, w.namespace, w.created, generation=1, labels=labels,
                        annotations={"deployment.kubernetes.io/revision": "1"})
    rs_meta = inc.meta(w.replicaset, w.namespace, w.created, generation=1,
                       labels={**labels, "pod-template-hash": w.rs_hash},
                       ownerReferences=[{"apiVersion": "apps/v1", "kind": "Deployment", "name": w.deployment,
                                         "uid": dep_meta["uid"], "controller": True, "blockOwnerDeletion": True}])
    pod_meta = inc.meta(w.pod, w.namespace, pod_status.pop("_created"),
                        labels={**labels, "pod-template-hash": w.rs_hash},
                        ownerReferences=[{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": w.replicaset,
                                          "uid": rs_meta["uid"], "controller": True, "blockOwnerDeletion": True}])
    ready = 1 if available else 0
    condition = ({"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                  "message": "Deployment has minimum availability."} if available else
                 {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
                  "message": "Deployment does not have minimum availability."})
    condition.update({"lastTransitionTime": ts(w.created), "lastUpdateTime": ts(w.created)})
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": dep_meta,
         "spec": {"replicas": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": w.deployment}},
                  "strategy": {"type": "Recreate"}, "template": template, "progressDeadlineSeconds": 600,
                  "revisionHistoryLimit": 10},
         "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": ready,
                    "availableReplicas": ready, **({} if available else {"unavailableReplicas": 1}),
                    "conditions": [condition]}},
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": rs_meta,
         "spec": {"replicas": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": w.deployment,
                                                              "pod-template-hash": w.rs_hash}},
                  "template": {"metadata": {"labels": {**labels, "pod-template-hash": w.rs_hash}},
                               "spec": _pod_spec(w, with_node=False)}},
         "status": {"replicas": 1, "fullyLabeledReplicas": 1, "readyReplicas": ready, "availableReplicas": ready,
                    "observedGeneration": 1}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": _pod_spec(w, with_node=True),
         "status": pod_status},
    ]


def _pod_spec(w: Workload, with_node: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [w.container], "dnsPolicy": "ClusterFirst", "enableServiceLinks": True,
        "restartPolicy": "Always", "schedulerName": "default-scheduler", "securityContext": {},
        "serviceAccountName": "default", "terminationGracePeriodSeconds": 30,
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
                        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                         "tolerationSeconds": 300}],
        "volumes": [{"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "8Gi"}},
                    {"name": "hf-cache", "persistentVolumeClaim": {"claimName": "hf-cache"}}]}
    if with_node:
        spec["nodeName"] = w.node
    return spec


def vllm_container(image: str, args: list[str], cpu: str, memory: str, gpus: int) -> dict[str, Any]:
    return {"name": "vllm", "image": image, "imagePullPolicy": "IfNotPresent", "args": args,
            "env": [{"name": "HF_HOME", "value": "/models/hf"},
                    {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "token"}}}],
            "ports": [{"name": "http", "containerPort": 8000, "protocol": "TCP"}],
            "resources": {"limits": {"cpu": cpu, "memory": memory, "nvidia.com/gpu": str(gpus)},
                          "requests": {"cpu": cpu, "memory": memory, "nvidia.com/gpu": str(gpus)}},
            "readinessProbe": {"httpGet": {"path": "/health", "port": 8000, "scheme": "HTTP"},
                               "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3, "successThreshold": 1},
            "startupProbe": {"httpGet": {"path": "/health", "port": 8000, "scheme": "HTTP"},
                             "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 60, "successThreshold": 1},
            "volumeMounts": [{"name": "dshm", "mountPath": "/dev/shm"}, {"name": "hf-cache", "mountPath": "/models"}],
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}


def crashloop_status(inc: Incident, w: Workload, restarts: int, started: datetime, finished: datetime,
                     pod_created: datetime, image: str, ip: str) -> dict[str, Any]:
    pod_uid = uid(f"{inc.id}/{w.namespace}/{w.pod}")
    return {"_created": pod_created, "phase": "Running", "qosClass": "Guaranteed", "hostIP": "10.0.0.12",
            "podIP": ip, "podIPs": [{"ip": ip}], "startTime": ts(pod_created),
            "conditions": [
                {"type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": ts(pod_created)},
                {"type": "Initialized", "status": "True", "lastTransitionTime": ts(pod_created)},
                {"type": "Ready", "status": "False", "reason": "ContainersNotReady",
                 "message": "containers with unready status: [vllm]", "lastTransitionTime": ts(finished)},
                {"type": "ContainersReady", "status": "False", "reason": "ContainersNotReady",
                 "message": "containers with unready status: [vllm]", "lastTransitionTime": ts(finished)},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": ts(pod_created)}],
            "containerStatuses": [{
                "name": "vllm", "image": image, "imageID": f"docker.io/{image.split(':')[0]}@sha256:"
                + uuid.uuid5(uuid.NAMESPACE_URL, image).hex * 2,
                "containerID": "containerd://" + uuid.uuid5(uuid.NAMESPACE_URL, f"{w.pod}/{restarts}").hex * 2,
                "ready": False, "started": False, "restartCount": restarts,
                "state": {"waiting": {"reason": "CrashLoopBackOff",
                                      "message": f"back-off 5m0s restarting failed container=vllm "
                                                 f"pod={w.pod}_{w.namespace}({pod_uid})"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": ts(started),
                                             "finishedAt": ts(finished),
                                             "containerID": "containerd://" + uuid.uuid5(
                                                 uuid.NAMESPACE_URL, f"{w.pod}/{restarts - 1}").hex * 2}}}]}


def running_status(inc: Incident, w: Workload, pod_created: datetime, image: str, ip: str) -> dict[str, Any]:
    return {"_created": pod_created, "phase": "Running", "qosClass": "Guaranteed", "hostIP": "10.0.0.12",
            "podIP": ip, "podIPs": [{"ip": ip}], "startTime": ts(pod_created),
            "conditions": [{"type": t, "status": "True", "lastTransitionTime": ts(pod_created + timedelta(minutes=4))}
                           for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                                     "PodScheduled")],
            "containerStatuses": [{
                "name": "vllm", "image": image, "imageID": f"docker.io/{image.split(':')[0]}@sha256:"
                + uuid.uuid5(uuid.NAMESPACE_URL, image).hex * 2,
                "containerID": "containerd://" + uuid.uuid5(uuid.NAMESPACE_URL, w.pod).hex * 2,
                "ready": True, "started": True, "restartCount": 0,
                "state": {"running": {"startedAt": ts(pod_created + timedelta(seconds=20))}}, "lastState": {}}]}


def event(inc: Incident, w: Workload, reason: str, message: str, count: int, first: datetime, last: datetime,
          kind: str = "Warning", component: str = "kubelet") -> dict[str, Any]:
    name = f"{w.pod}.{uuid.uuid5(uuid.NAMESPACE_URL, inc.id + reason + message).hex[:16]}"
    return {"apiVersion": "v1", "kind": "Event", "metadata": inc.meta(name, w.namespace, first),
            "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": w.pod, "namespace": w.namespace,
                               "uid": uid(f"{inc.id}/{w.namespace}/{w.pod}"), "fieldPath": "spec.containers{vllm}"},
            "reason": reason, "message": message, "type": kind, "count": count, "eventTime": None,
            "firstTimestamp": ts(first), "lastTimestamp": ts(last), "reportingComponent": component,
            "reportingInstance": w.node, "source": {"component": component, "host": w.node}}


def restart_events(inc: Incident, w: Workload, image: str, restarts: int, first: datetime, last: datetime
                   ) -> list[dict[str, Any]]:
    return [
        event(inc, w, "Pulled", f'Container image "{image}" already present on machine', restarts + 1, first, last,
              kind="Normal"),
        event(inc, w, "Created", "Created container vllm", restarts + 1, first, last, kind="Normal"),
        event(inc, w, "Started", "Started container vllm", restarts + 1, first, last, kind="Normal"),
        event(inc, w, "BackOff", f"Back-off restarting failed container vllm in pod {w.pod}_{w.namespace}"
              f"({uid(f'{inc.id}/{w.namespace}/{w.pod}')})", restarts * 4, first + timedelta(minutes=2), last),
    ]


def daemonset(inc: Incident, namespace: str, name: str, image: str, env: list[dict[str, str]] | None = None
              ) -> dict[str, Any]:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": inc.meta(name, namespace, inc.ago(60 * 24 * 40), generation=3, labels=labels),
            "spec": {"selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"nodeSelector": {"nvidia.com/gpu.present": "true"},
                                           "priorityClassName": "system-node-critical",
                                           "containers": [{"name": name.replace("nvidia-", ""), "image": image,
                                                           "env": env or []}]}},
                     "updateStrategy": {"type": "RollingUpdate"}},
            "status": {"currentNumberScheduled": 3, "desiredNumberScheduled": 3, "numberAvailable": 3,
                       "numberMisscheduled": 0, "numberReady": 3, "observedGeneration": 3, "updatedNumberScheduled": 3}}


# --- metrics ---------------------------------------------------------------------------------------
def times(inc: Incident, minutes: int = 120, step_s: int = 60) -> list[datetime]:
    return [inc.ago(minutes) + timedelta(seconds=step_s * i) for i in range(minutes * 60 // step_s + 1)]


def series(points: list[datetime], value: Value) -> list[tuple[float, float]]:
    out = []
    for moment in points:
        v = value(moment)
        if v is not None:
            out.append((moment.timestamp(), float(v)))
    return out


@dataclass
class Gpu:
    index: int
    uuid: str
    node: str
    model: str
    driver: str = "550.90.07"

    def labels(self, pod: tuple[str, str, str] | None = None) -> dict[str, str]:
        bus = f"00000000:{0x17 + 0x20 * self.index:02X}:00.0"
        labels = {"gpu": str(self.index), "UUID": self.uuid, "pci_bus_id": bus,
                  "device": f"nvidia{self.index}", "modelName": self.model, "Hostname": self.node,
                  "DCGM_FI_DRIVER_VERSION": self.driver}
        if pod:
            labels.update({"container": pod[2], "namespace": pod[0], "pod": pod[1]})
        labels.update({"instance": f"10.244.{3 + self.index // 8}.9:9400", "job": "nvidia-dcgm-exporter"})
        return labels


Owner = Callable[[datetime], tuple[str, str, str] | None]  # which pod holds a GPU at a time


def dcgm(name: str, points: list[datetime], gpus: list[Gpu], owners: dict[int, Owner],
         values: dict[int, Value], help_text: str, kind: str = "gauge") -> list[str]:
    """One DCGM family: a series per (GPU, attributed pod), split where the attribution changes."""
    samples: Samples = []
    for gpu in gpus:
        owner = owners.get(gpu.index, lambda _t: None)
        value = values[gpu.index]
        runs: dict[tuple[str, str, str] | None, list[tuple[float, float]]] = {}
        order: list[tuple[str, str, str] | None] = []
        for moment in points:
            v = value(moment)
            if v is None:
                continue
            who = owner(moment)
            if who not in runs:
                runs[who] = []
                order.append(who)
            runs[who].append((moment.timestamp(), float(v)))
        samples += [(name, gpu.labels(who), runs[who]) for who in order]
    return render_family(name, kind, samples, help_text)


def scrape_labels(namespace: str, pod: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**(extra or {}), "namespace": namespace, "pod": pod, "container": "vllm", "endpoint": "http",
            "instance": "10.244.3.41:8000", "job": f"{namespace}/vllm", "service": "vllm"}


def gauge(name: str, labels: dict[str, str], points: list[datetime], value: Value, help_text: str) -> list[str]:
    return render_family(name, "gauge", [(name, labels, series(points, value))], help_text)


def counter(name: str, labels: dict[str, str], points: list[datetime], value: Value, help_text: str) -> list[str]:
    return render_family(name, "counter", [(name + "_total", labels, series(points, value))], help_text)


def histogram(name: str, labels: dict[str, str], points: list[datetime], buckets: list[float],
              rate_per_s: Callable[[datetime], float], share_below: Callable[[datetime, float], float],
              help_text: str) -> list[str]:
    """A cumulative histogram: `rate_per_s` observations, `share_below(t, le)` of them at or under `le`."""
    samples: Samples = []
    totals = [0.0] * (len(buckets) + 1)
    rows: list[list[tuple[float, float]]] = [[] for _ in range(len(buckets) + 1)]
    sums: list[tuple[float, float]] = []
    counts: list[tuple[float, float]] = []
    total_sum = 0.0
    previous: datetime | None = None
    for moment in points:
        if previous is not None:
            seen = rate_per_s(moment) * (moment - previous).total_seconds()
            for i, le in enumerate(buckets):
                totals[i] += round(seen * share_below(moment, le))
            totals[-1] += round(seen)
            total_sum += seen * _mean_of(buckets, lambda le, m=moment: share_below(m, le))
        for i in range(len(buckets) + 1):
            rows[i].append((moment.timestamp(), totals[i]))
        sums.append((moment.timestamp(), round(total_sum, 3)))
        counts.append((moment.timestamp(), totals[-1]))
        previous = moment
    for i, le in enumerate([*buckets, math.inf]):
        samples.append((name + "_bucket", {**labels, "le": "+Inf" if le == math.inf else f"{le:g}"}, rows[i]))
    samples += [(name + "_sum", labels, sums), (name + "_count", labels, counts)]
    return render_family(name, "histogram", samples, help_text)


def _mean_of(buckets: list[float], share_below: Callable[[float], float]) -> float:
    mean, previous_share, previous_le = 0.0, 0.0, 0.0
    for le in buckets:
        share = share_below(le)
        mean += (share - previous_share) * (le + previous_le) / 2
        previous_share, previous_le = share, le
    return mean + (1 - previous_share) * buckets[-1] * 1.5


# --- writing ---------------------------------------------------------------------------------------
def write(inc: Incident, root: Path, spec: dict[str, Any]) -> None:
    folder = root / inc.id
    (folder / "cluster").mkdir(parents=True, exist_ok=True)
    (folder / "metrics").mkdir(exist_ok=True)
    header = "# Generated by scripts/metric_incidents.py: edit the script, not this file.\n"
    (folder / "incident.yaml").write_text(header + yaml.safe_dump(spec, sort_keys=False, width=110), "utf-8")
    by_file: dict[str, list[dict[str, Any]]] = {}
    for obj in inc.objects:
        by_file.setdefault(_file_for(obj), []).append(obj)
    for name, items in by_file.items():
        text = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
                               "items": items}, sort_keys=False, width=140)
        (folder / "cluster" / name).write_text(text, encoding="utf-8")
    for relative, text in inc.logs.items():
        path = folder / "logs" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (folder / "metrics" / "prometheus.om").write_text(render_openmetrics(inc.families), encoding="utf-8")


def _file_for(obj: dict[str, Any]) -> str:
    kind = obj["kind"]
    if kind == "Node":
        return "nodes.yaml"
    if kind == "Event":
        return "events.yaml"
    return f"{obj['metadata'].get('namespace', 'cluster')}.yaml"


def log_lines(lines: list[tuple[datetime, str]]) -> str:
    """kubectl logs --timestamps: RFC3339Nano prefixes, strictly increasing."""
    out = []
    last: datetime | None = None
    for moment, text in lines:
        if last is not None and moment <= last:
            moment = last + timedelta(microseconds=1000)
        out.append(f"{moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%f')}000Z {text}")
        last = moment
    return "\n".join(out) + "\n"


def main() -> None:
    from metric_incident_specs import INCIDENTS

    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "evals" / "incidents"
    for build in INCIDENTS:
        inc, spec = build()
        write(inc, root, spec)
        print(f"wrote {root / inc.id}")


if __name__ == "__main__":
    main()
