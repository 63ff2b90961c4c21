"""What is known about the subject before any runbook runs: read once, used to select runbooks and fill steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from holmes.domain import Subject, ToolCall, ToolResult, Trigger
from holmes.runbooks.discovery import subject_from_question
from holmes.toolsets.base import ToolContext, ToolRegistry, new_call_id

# Alert labels that name the object an alert is about, most specific first. kube-state-metrics alerts also
# carry `pod`/`container` labels of the exporter itself, so an alert's name prefix picks the label first.
_ALERT_SUBJECT_LABELS = (
    ("pod", "pod"), ("persistentvolumeclaim", "persistentvolumeclaim"), ("daemonset", "daemonset"),
    ("deployment", "deployment"), ("statefulset", "statefulset"), ("job_name", "job"),
    ("inferenceservice", "inferenceservice"), ("resourcequota", "resourcequota"), ("node", "node"),
)
_ALERT_PREFIXES = (("KubeDeployment", "deployment"), ("KubeStatefulSet", "statefulset"),
                   ("KubeDaemonSet", "daemonset"), ("KubeJob", "job_name"),
                   ("KubePersistentVolume", "persistentvolumeclaim"), ("KubeQuota", "resourcequota"),
                   ("KubeNode", "node"))


def subject_of(trigger: Trigger) -> Subject | None:
    """The trigger's subject, or the object an alert's labels name."""
    if trigger.subject is not None:
        return trigger.subject
    if trigger.alert is None:
        return None
    labels = trigger.alert.labels
    preferred = [label for prefix, label in _ALERT_PREFIXES if trigger.alert.name.startswith(prefix)]
    order = [pair for label in preferred for pair in _ALERT_SUBJECT_LABELS if pair[0] == label]
    for label, kind in order + list(_ALERT_SUBJECT_LABELS):
        if labels.get(label):
            namespace = None if kind == "node" else labels.get("namespace") or None
            return Subject(kind=kind, namespace=namespace, name=labels[label])
    return None


@dataclass
class Facts:
    """The subject's state as read by the first tool calls (pod phase, reasons, node, failing container)."""

    subject: Subject | None = None
    found: bool = False
    object: dict[str, Any] | None = None
    phase: str | None = None
    pod_reasons: set[str] = field(default_factory=set)
    waiting_reasons: set[str] = field(default_factory=set)
    terminated_reasons: set[str] = field(default_factory=set)
    event_reasons: set[str] = field(default_factory=set)
    values: dict[str, str] = field(default_factory=dict)
    results: list[ToolResult] = field(default_factory=list)
    pod: str | None = None  # the pod diagnosed: the subject, or a workload's most troubled pod
    ready: bool | None = None  # every container of that pod ready
    rounds: int = 0

    def healthy(self) -> bool:
        """A pod that runs with every container ready and no container waiting: nothing is failing now."""
        return self.phase == "Running" and bool(self.ready) and not self.waiting_reasons - {"PodInitializing"}

    def describe(self) -> str:
        """One line for humans: 'pod llm/x: phase Pending, reasons Unschedulable'."""
        if self.subject is None:
            return "no subject"
        if not self.found:
            return f"{self.subject.ref()}: not found"
        parts = [f"pod {self.pod}"] if self.pod and self.subject.kind != "pod" else []
        parts += [f"phase {self.phase}"] if self.phase else []
        for label, reasons in (("reasons", self.pod_reasons), ("waiting", self.waiting_reasons),
                               ("terminated", self.terminated_reasons)):
            if reasons:
                parts.append(f"{label} {', '.join(sorted(reasons))}")
        return f"{self.subject.ref()}: {'; '.join(parts) or 'no status'}"


# Kinds whose trouble shows in their pods: the engine diagnoses their most troubled pod.
WORKLOAD_KINDS = {"deployment", "statefulset", "replicaset", "daemonset", "job", "inferenceservice"}


def fact_calls(subject: Subject | None) -> list[ToolCall]:
    """The first calls: the subject object and its events."""
    if subject is None:
        return []
    get_params: dict[str, Any] = {"kind": subject.kind, "name": subject.name}
    event_params: dict[str, Any] = {"kind": _event_kind(subject.kind), "name": subject.name}
    if subject.namespace:
        get_params["namespace"] = subject.namespace
        event_params["namespace"] = subject.namespace
    return [ToolCall(id=new_call_id(), tool="kubernetes_get", params=get_params),
            ToolCall(id=new_call_id(), tool="kubernetes_events", params=event_params)]


def _event_kind(kind: str) -> str:
    special = {"persistentvolumeclaim": "PersistentVolumeClaim", "daemonset": "DaemonSet",
               "statefulset": "StatefulSet", "inferenceservice": "InferenceService",
               "resourceclaim": "ResourceClaim", "replicaset": "ReplicaSet"}
    return special.get(kind, kind.capitalize())


def read_facts(trigger: Trigger, registry: ToolRegistry, ctx: ToolContext) -> Facts:
    """Read the subject and its events; for a workload, also its most troubled pod and that pod's events."""
    subject = subject_of(trigger)
    found: list[ToolResult] = []
    if subject is None and trigger.question:
        subject, found = subject_from_question(trigger.question, registry, ctx)
    results = found + _run(registry, ctx, fact_calls(subject))
    rounds = (2 if found else 0) + (1 if subject is not None else 0)
    workload = _found_object(results) if subject is not None and subject.kind in WORKLOAD_KINDS else None
    if workload is not None and subject is not None and subject.namespace:
        selector = pod_selector(subject.kind, workload)
        listing = _run(registry, ctx, [ToolCall(id=new_call_id(), tool="kubernetes_list", params={
            "kind": "pod", "namespace": subject.namespace, "label_selector": selector})]) if selector else []
        results += listing
        pods = _maps(listing[0].data, "items") if listing else []
        if pods:
            chosen = Subject(kind="pod", namespace=subject.namespace, name=most_troubled_pod(pods))
            results += _run(registry, ctx, fact_calls(chosen))
            rounds += 2
        else:  # no pod at all: why its controller cannot create one (the events sit on its ReplicaSet)
            results += _run(registry, ctx, [ToolCall(id=new_call_id(), tool="kubernetes_events", params={
                "namespace": subject.namespace, "reason": "FailedCreate"})])
            rounds += 1
    facts = facts_from(trigger, subject, results)
    facts.rounds = rounds
    return facts


def _run(registry: ToolRegistry, ctx: ToolContext, calls: list[ToolCall]) -> list[ToolResult]:
    usable = [call for call in calls if registry.get(call.tool) is not None]
    return registry.run_many(ctx, usable) if usable else []


def _found_object(results: list[ToolResult]) -> dict[str, Any] | None:
    for result in results:
        if result.tool == "kubernetes_get" and result.status == "ok" and isinstance(result.data, dict):
            return result.data
    return None


def pod_selector(kind: str, workload: dict[str, Any]) -> str | None:
    """The label selector of a workload's pods (matchLabels only; an InferenceService by its name label)."""
    if kind == "inferenceservice":
        return f"serving.kserve.io/inferenceservice={_text(_map(workload, 'metadata').get('name'))}"
    labels = _map(_map(_map(workload, "spec"), "selector"), "matchLabels")
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items(), key=str)
                     if isinstance(value, str | int)) or None


def most_troubled_pod(pods: list[dict[str, Any]]) -> str:
    """The pod to diagnose: not running or ready first, then most restarts, then newest; ties by name."""
    def trouble(pod: Any) -> tuple[int, int, str, str]:
        status = _map(pod, "status")
        statuses = _maps(status, "initContainerStatuses") + _maps(status, "containerStatuses")
        ready = all(s.get("ready") is True for s in _maps(status, "containerStatuses")) and bool(statuses)
        broken = int(status.get("phase") not in {"Running", "Succeeded"}) + int(not ready)
        restarts = sum(_count(s.get("restartCount")) for s in statuses)
        meta = _map(pod, "metadata")
        return broken, restarts, _text(meta.get("creationTimestamp")), _text(meta.get("name"))

    best = max(pods, key=trouble)
    return _text(_map(best, "metadata").get("name"))


def facts_from(trigger: Trigger, subject: Subject | None, results: list[ToolResult]) -> Facts:
    """Derive facts from the fact calls' results (pure: tests feed synthetic results)."""
    facts = Facts(subject=subject, results=results)
    facts.values = _base_values(trigger, subject)
    for result in results:
        if result.status != "ok" or not isinstance(result.data, dict):
            continue
        if result.tool == "kubernetes_get" and _map(result.data, "metadata"):
            facts.found = True
            facts.object = facts.object or result.data
            if result.data.get("kind", "Pod") == "Pod":
                facts.pod = _text(result.data["metadata"].get("name"))
                facts.values["pod"] = facts.pod
                _pod_facts(facts, result.data)
        elif result.tool == "kubernetes_events":
            facts.event_reasons |= {e["reason"] for e in _maps(result.data, "events")
                                    if isinstance(e.get("reason"), str) and e["reason"]
                                    and _about(e, subject, facts.pod)}
    return facts


def _about(event: dict[str, Any], subject: Subject | None, pod: str | None) -> bool:
    """An event of the subject, its pod, or an object it owns (a Deployment's ReplicaSet is named after it)."""
    name = _text(_map(event, "object").get("name"))
    if subject is None or not name:
        return True
    return name == pod or name == subject.name or name.startswith(f"{subject.name}-")


def _base_values(trigger: Trigger, subject: Subject | None) -> dict[str, str]:
    values: dict[str, str] = {}
    if trigger.alert is not None:
        values.update({k: v for k, v in trigger.alert.labels.items() if k.isidentifier() and v})
        values["alertname"] = trigger.alert.name
    if subject is not None:
        values["kind"] = subject.kind
        values["name"] = subject.name
        if subject.namespace:
            values["namespace"] = subject.namespace
        if subject.kind in {"pod", "node", "resourceclaim"}:
            values[{"pod": "pod", "node": "node", "resourceclaim": "claim"}[subject.kind]] = subject.name
    return values


def _pod_facts(facts: Facts, pod: dict[str, Any]) -> None:
    """Pod facts; a wrong-typed field (a live cluster oddity, a hand-written bundle) counts as absent."""
    spec, status = _map(pod, "spec"), _map(pod, "status")
    facts.phase = status["phase"] if isinstance(status.get("phase"), str) else None
    if isinstance(status.get("reason"), str) and status["reason"]:
        facts.pod_reasons.add(status["reason"])
    for condition in _maps(status, "conditions"):
        if condition.get("status") != "True" and isinstance(condition.get("reason"), str) and condition["reason"]:
            facts.pod_reasons.add(condition["reason"])
    if isinstance(spec.get("nodeName"), str) and spec["nodeName"]:
        facts.values["node"] = spec["nodeName"]
    statuses = _maps(status, "initContainerStatuses") + _maps(status, "containerStatuses")
    main = _maps(status, "containerStatuses")
    facts.ready = bool(main) and all(c.get("ready") is True for c in main)
    for container in statuses:
        for state_key in ("state", "lastState"):
            state = _map(container, state_key)
            for kind, reasons in (("waiting", facts.waiting_reasons), ("terminated", facts.terminated_reasons)):
                reason = _map(state, kind).get("reason")
                if isinstance(reason, str) and reason:
                    reasons.add(reason)
    _container_values(facts, spec, status)
    claims = _maps(status, "resourceClaimStatuses") + _maps(spec, "resourceClaims")
    names = [c["resourceClaimName"] for c in claims
             if isinstance(c.get("resourceClaimName"), str) and c["resourceClaimName"]]
    if names:
        facts.values["claim"] = names[0]


def _container_values(facts: Facts, spec: dict[str, Any], status: dict[str, Any]) -> None:
    """`{container}`: the main container most in trouble; `{init_container}`: the init container in trouble."""
    containers = [_text(c.get("name")) for c in _maps(spec, "containers")]
    if containers:
        facts.values["container"] = _most_troubled(containers, _maps(status, "containerStatuses"))
    init = [_text(c.get("name")) for c in _maps(spec, "initContainers")]
    if init:
        facts.values["init_container"] = _most_troubled(init, _maps(status, "initContainerStatuses"))


def _most_troubled(names: list[str], statuses: list[dict[str, Any]]) -> str:
    def trouble(name: str) -> tuple[int, int]:
        entry = next((s for s in statuses if s.get("name") == name), {})
        state = _map(entry, "state")
        failing = bool(state.get("waiting")) or _map(state, "terminated").get("exitCode", 0) not in (0, None)
        return (int(failing) + int(entry.get("ready") is not True), _count(entry.get("restartCount")))

    return max(names, key=trouble)  # max keeps the first of equals: the pod's first container by default


def _map(obj: Any, key: str) -> dict[str, Any]:
    """obj[key] when obj is a mapping and it is one; anything else reads as absent."""
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, dict) else {}


def _maps(obj: Any, key: str) -> list[dict[str, Any]]:
    """The mappings of the list obj[key]; a non-list, or items that are not mappings, read as absent."""
    value = obj.get(key) if isinstance(obj, dict) else None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
