"""Write a recorded-incident bundle from a live cluster: the objects involved, events, logs and metrics.

Reads only (GET), never a Secret; every text written passes the redactor. The `expected` block is left
for a human to fill in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from holmes.bundle.loader import load_bundle
from holmes.domain import Alert, Subject, Trigger
from holmes.errors import UserError
from holmes.sources.kube import KubeError, KubeReader

OWNER_KINDS = {"ReplicaSet": "replicaset", "Deployment": "deployment", "StatefulSet": "statefulset",
               "DaemonSet": "daemonset", "Job": "job", "CronJob": "cronjob"}
CLUSTER_LISTS = ("node", "runtimeclass", "deviceclass", "resourceslice", "priorityclass")
NAMESPACE_LISTS = ("resourceclaim", "resourceclaimtemplate", "resourcequota", "limitrange", "persistentvolumeclaim",
                   "inferenceservice", "event")
METRICS = ("DCGM_FI_DEV_XID_ERRORS", "DCGM_EXP_XID_ERRORS_COUNT", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE",
           "DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_PROF_GR_ENGINE_ACTIVE", "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL",
           "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", "DCGM_FI_DEV_ROW_REMAP_FAILURE", "DCGM_FI_DEV_GPU_TEMP",
           "vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc",
           "vllm:gpu_cache_usage_perc", "vllm:num_preemptions_total",
           "container_cpu_cfs_throttled_periods_total", "container_cpu_cfs_periods_total",
           "container_memory_working_set_bytes")


@dataclass
class CaptureLimits:
    max_pods: int = 50
    max_list: int = 500
    log_tail_lines: int = 2000
    log_limit_bytes: int = 2_000_000
    metrics_window: timedelta = timedelta(hours=1)
    max_series_per_metric: int = 50


@dataclass
class Capture:
    objects: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    logs: dict[str, str] = field(default_factory=dict)  # relative path -> text
    metrics: dict[str, dict[str, list[tuple[float, float]]]] = field(default_factory=dict)  # name -> series -> points
    notes: list[str] = field(default_factory=list)

    def add(self, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        meta.pop("managedFields", None)
        self.objects[(obj.get("kind", ""), meta.get("namespace", ""), meta.get("name", ""))] = obj


def capture(kube: KubeReader, out: Path, trigger: Trigger, *, prometheus: Any = None,
            now: datetime | None = None, limits: CaptureLimits | None = None,
            redact: Callable[[str], str] | None = None, incident_id: str | None = None,
            scope: Subject | None = None) -> Path:
    """Capture the scope (given, or the trigger's pod, namespace or alert labels) into bundle directory `out`.

    The trigger is recorded as it is; `scope` only says what to read, e.g. the pod a question turned out to be about.
    """
    limits = limits or CaptureLimits()
    now = now or datetime.now(UTC)
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: is a file; --out takes a new or empty directory")
    if out.exists() and any(out.iterdir()):
        raise UserError(f"{out}: directory exists and is not empty")
    namespace, pods = _scope(kube, Trigger(subject=scope) if scope else trigger, limits)
    found = Capture()
    for pod in pods:
        found.add(pod)
        _owners(kube, pod, found)
        _logs(kube, pod, found, limits)
    if namespace:
        for kind in NAMESPACE_LISTS:
            _list_into(kube, kind, found, limits, namespace=namespace)
    for kind in CLUSTER_LISTS:
        _list_into(kube, kind, found, limits)
    _list_into(kube, "daemonset", found, limits)
    _list_into(kube, "event", found, limits, namespace="default", field_selector="involvedObject.kind=Node")
    if prometheus is not None:
        _metrics(prometheus, found, now, limits, namespace)
    written = _write(out, found, trigger, now, redact or _default_redactor(), incident_id or out.name)
    load_bundle(written)  # what capture writes must replay; fail here, not at the first investigation
    return written


def _scope(kube: KubeReader, trigger: Trigger, limits: CaptureLimits) -> tuple[str | None, list[dict[str, Any]]]:
    subject = trigger.subject or _alert_subject(trigger.alert)
    if subject is None:
        raise UserError("capture needs a pod (KIND NAMESPACE/NAME), a namespace, or an alert with namespace/pod labels")
    if subject.kind == "namespace":
        page = kube.list("pod", namespace=subject.name, limit=limits.max_pods)
        if not page.items and kube.get("namespace", subject.name) is None:
            raise UserError(f"namespace {subject.name} not found (no Namespace object and no pods in it)")
        return subject.name, page.items
    if subject.kind != "pod":
        obj = kube.get(subject.kind, subject.name, subject.namespace)
        if obj is None:
            raise UserError(f"{subject.ref()} not found")
        selector = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        label_selector = ",".join(f"{k}={v}" for k, v in selector.items()) or None
        pods = kube.list("pod", namespace=subject.namespace, label_selector=label_selector,
                         limit=limits.max_pods).items if label_selector else []
        return subject.namespace, [obj, *pods]
    pod = kube.get("pod", subject.name, subject.namespace)
    if pod is None:
        raise UserError(f"{subject.ref()} not found")
    return subject.namespace, [pod]


def _alert_subject(alert: Alert | None) -> Subject | None:
    if alert is None:
        return None
    labels = alert.labels
    if labels.get("pod") and labels.get("namespace"):
        return Subject(kind="pod", namespace=labels["namespace"], name=labels["pod"])
    if labels.get("namespace"):
        return Subject(kind="namespace", name=labels["namespace"])
    return None


def _owners(kube: KubeReader, obj: dict[str, Any], found: Capture, depth: int = 0) -> None:
    namespace = (obj.get("metadata") or {}).get("namespace")
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        kind = OWNER_KINDS.get(ref.get("kind", ""))
        if kind is None or depth > 3:
            continue
        owner = _safe(partial(kube.get, kind, ref["name"], namespace), found)
        if owner:
            found.add(owner)
            _owners(kube, owner, found, depth + 1)


def _logs(kube: KubeReader, pod: dict[str, Any], found: Capture, limits: CaptureLimits) -> None:
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    statuses = {s["name"]: s for s in (pod.get("status") or {}).get("containerStatuses") or []}
    statuses |= {s["name"]: s for s in (pod.get("status") or {}).get("initContainerStatuses") or []}
    for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        name = container["name"]
        for previous in (False, True):
            if previous and not statuses.get(name, {}).get("restartCount"):
                continue
            read = partial(kube.log, meta["namespace"], meta["name"], name, previous=previous,
                           tail_lines=limits.log_tail_lines, limit_bytes=limits.log_limit_bytes, timestamps=True)
            text = _safe(read, found)
            if text:
                suffix = ".previous.log" if previous else ".log"
                found.logs[f"{meta['namespace']}/{meta['name']}/{name}{suffix}"] = text


def _list_into(kube: KubeReader, kind: str, found: Capture, limits: CaptureLimits, namespace: str | None = None,
               field_selector: str | None = None) -> None:
    try:
        if not kube.serves(kind):
            return
        page = kube.list(kind, namespace=namespace, field_selector=field_selector, limit=limits.max_list)
    except KubeError as exc:
        found.notes.append(f"{kind}: {exc}")
        return
    if page.continue_token:
        found.notes.append(f"{kind}: kept the first {len(page.items)} (limit {limits.max_list})")
    version = page.api_version or "v1"
    kind_name = _kind_name(kind)
    for item in page.items:
        item.setdefault("apiVersion", version)
        item.setdefault("kind", kind_name)
        found.add(item)


def _kind_name(kind: str) -> str:
    names = {"resourceclaim": "ResourceClaim", "resourceclaimtemplate": "ResourceClaimTemplate",
             "resourcequota": "ResourceQuota", "limitrange": "LimitRange", "persistentvolumeclaim":
             "PersistentVolumeClaim", "inferenceservice": "InferenceService", "runtimeclass": "RuntimeClass",
             "deviceclass": "DeviceClass", "resourceslice": "ResourceSlice", "priorityclass": "PriorityClass",
             "daemonset": "DaemonSet"}
    return names.get(kind, kind.capitalize())


def _metrics(prometheus: Any, found: Capture, now: datetime, limits: CaptureLimits, namespace: str | None) -> None:
    start = now - limits.metrics_window
    for metric in METRICS:
        try:
            series = prometheus.range_series(f'{{__name__="{metric}"}}', start, now, limits.max_series_per_metric)
        except Exception as exc:  # one missing metric or a timeout must not end the capture
            found.notes.append(f"metrics {metric}: {type(exc).__name__}: {exc}")
            continue
        for labels, points in series:
            rendered = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()) if k != "__name__")
            family = found.metrics.setdefault(labels.get("__name__", metric), {})
            family.setdefault(rendered, []).extend(points)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _safe(read: Callable[[], Any], found: Capture) -> Any:
    try:
        return read()
    except KubeError as exc:
        found.notes.append(str(exc))
        return None


def _write(out: Path, found: Capture, trigger: Trigger, now: datetime, redact: Callable[[str], str],
           incident_id: str) -> Path:
    (out / "cluster").mkdir(parents=True, exist_ok=True)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for (kind, _, _), obj in sorted(found.objects.items()):
        by_kind.setdefault(kind, []).append(obj)
    for kind, objects in by_kind.items():
        items = [redact_strings(obj, redact) for obj in objects]
        text = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}, sort_keys=False)
        (out / "cluster" / f"{re.sub(r'[^a-z0-9]+', '-', kind.lower())}.yaml").write_text(text, "utf-8")
    for relative, text in found.logs.items():
        path = out / "logs" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(redact(text), encoding="utf-8")
    if found.metrics:
        (out / "metrics").mkdir(exist_ok=True)
        (out / "metrics" / "captured.om").write_text(_openmetrics(found.metrics), encoding="utf-8")
    if found.notes:
        (out / "capture-notes.txt").write_text("\n".join(found.notes) + "\n", encoding="utf-8")
    trigger_doc = trigger.model_dump(mode="json", exclude_none=True)
    if trigger.subject:
        trigger_doc["subject"] = trigger.subject.ref()
    spec: dict[str, Any] = {"id": incident_id, "title": f"captured: {trigger.describe()}", "sources": [],
            "captured_at": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "tags": ["captured"],
            "trigger": trigger_doc,
            "expected": {"root_cause": "unknown", "evidence": [], "remediation": [], "forbidden": []}}
    header = "# expected: fill in root_cause (a taxonomy id), evidence strings and remediation keywords\n"
    spec = redact_strings(spec, redact)
    (out / "incident.yaml").write_text(header + yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return out


def redact_strings(value: Any, redact: Callable[[str], str], key: str = "") -> Any:
    """Redact each string of an object with its key as context, so a mask never spills across YAML lines."""
    from holmes.toolsets.redact import redact as redact_env

    return _redact_tree(redact_env(value), redact, key)


def _redact_tree(value: Any, redact: Callable[[str], str], key: str) -> Any:
    if isinstance(value, dict):
        return {k: _redact_tree(v, redact, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_tree(item, redact, key) for item in value]
    if not isinstance(value, str) or not value:
        return value
    if not key:
        return redact(value)
    lead = f"{key}: "
    masked = redact(lead + value)  # `password: hunter2` is a secret only with its key beside it
    return masked[len(lead):] if masked.startswith(lead) else "[REDACTED]"


def _openmetrics(families: dict[str, dict[str, list[tuple[float, float]]]]) -> str:
    """Each family contiguous, each series in time order, as promtool's OpenMetrics backfill requires."""
    lines = []
    for name in sorted(families):
        lines.append(f"# TYPE {name} unknown")
        for labels, points in sorted(families[name].items()):
            lines += [f"{name}{{{labels}}} {value} {stamp:.3f}" for stamp, value in sorted(set(points))]
    return "\n".join([*lines, "# EOF", ""])


def _default_redactor() -> Callable[[str], str]:
    from holmes.agent.redact import redact

    return redact
