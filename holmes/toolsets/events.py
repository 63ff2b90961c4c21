"""Kubernetes events in both real shapes, deduplicated and newest first, ages relative to the incident's now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from holmes.sources.kube import KubeReader, normalize_kind
from holmes.toolsets.access import kube, list_all, reads_kube
from holmes.toolsets.base import Tool, ToolContext, ToolOutput
from holmes.toolsets.render import age, count_tokens, parse_time, plural, table

MAX_ROWS = 50

# involvedObject.kind as the API spells it, for field selectors
CAMEL_KINDS = {
    "pod": "Pod", "node": "Node", "namespace": "Namespace", "service": "Service", "configmap": "ConfigMap",
    "persistentvolumeclaim": "PersistentVolumeClaim", "persistentvolume": "PersistentVolume",
    "resourcequota": "ResourceQuota", "deployment": "Deployment", "statefulset": "StatefulSet",
    "daemonset": "DaemonSet", "replicaset": "ReplicaSet", "job": "Job", "cronjob": "CronJob",
    "resourceclaim": "ResourceClaim", "resourceslice": "ResourceSlice", "deviceclass": "DeviceClass",
    "inferenceservice": "InferenceService", "nodeclaim": "NodeClaim", "nodepool": "NodePool",
    "raycluster": "RayCluster", "runtimeclass": "RuntimeClass", "priorityclass": "PriorityClass",
}


class EventsParams(BaseModel):
    namespace: str | None = Field(None, description="Namespace; omit for all namespaces (narrow with name/reason).")
    kind: str | None = Field(None, description="Kind of the involved object, e.g. Pod, Node, DaemonSet.")
    name: str | None = Field(None, description="Name of the involved object.")
    reason: str | None = Field(None, description="Only this reason, e.g. FailedScheduling, BackOff, Evicted.")
    type: str | None = Field(None, description="Normal or Warning.")


def camel_kind(kind: str) -> str:
    try:
        key = normalize_kind(kind)
    except Exception:  # an unknown kind is still a valid filter value
        return kind
    return CAMEL_KINDS.get(key, kind)


def normalize(event: dict[str, Any]) -> dict[str, Any]:
    """One event in a single shape, whichever of the classic or series shapes it came in."""
    meta = event.get("metadata") or {}
    series = event.get("series") or {}
    regarding = event.get("involvedObject") or event.get("regarding") or {}
    source = event.get("source") or {}
    count = series.get("count") or event.get("count") or event.get("deprecatedCount") or 1
    first = event.get("firstTimestamp") or event.get("deprecatedFirstTimestamp") or event.get("eventTime") \
        or meta.get("creationTimestamp")
    last = series.get("lastObservedTime") or event.get("lastTimestamp") or event.get("deprecatedLastTimestamp") \
        or event.get("eventTime") or first
    return {
        "type": event.get("type") or "",
        "reason": event.get("reason") or "",
        "message": " ".join(str(event.get("message") or event.get("note") or "").split()),
        "count": int(count),
        "first_seen": first,
        "last_seen": last,
        "component": source.get("component") or event.get("reportingComponent") or event.get("reportingController")
        or "",
        "object": {"kind": regarding.get("kind", ""), "name": regarding.get("name", ""),
                   "namespace": regarding.get("namespace") or meta.get("namespace") or ""},
    }


def merge(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dedupe by (object, reason, message), summing counts and widening the seen window; newest first."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for event in events:
        obj = event["object"]
        key = (obj["kind"], obj["namespace"], obj["name"], event["reason"], event["message"])
        if key not in merged:
            merged[key] = dict(event)
            continue
        kept = merged[key]
        kept["count"] += event["count"]
        kept["first_seen"] = _pick(kept["first_seen"], event["first_seen"], min)
        kept["last_seen"] = _pick(kept["last_seen"], event["last_seen"], max)
        kept["type"] = "Warning" if "Warning" in (kept["type"], event["type"]) else kept["type"]
    return sorted(merged.values(), key=_newest_first)


def _pick(a: Any, b: Any, choose: Any) -> Any:
    ta, tb = parse_time(a), parse_time(b)
    if ta is None or tb is None:
        return a if ta is not None else b
    return a if choose(ta, tb) == ta else b


def _newest_first(event: dict[str, Any]) -> tuple[int, float]:
    when = parse_time(event["last_seen"])
    return (0, -when.timestamp()) if when else (1, 0.0)


def read_events(reader: KubeReader, namespace: str | None = None, kind: str | None = None, name: str | None = None,
                reason: str | None = None, type: str | None = None) -> list[dict[str, Any]]:
    """Events narrowed on the server by field selectors (and again here), merged and newest first."""
    wanted_kind = camel_kind(kind) if kind else None
    selectors = [f"involvedObject.kind={wanted_kind}" if wanted_kind else "",
                 f"involvedObject.name={name}" if name else "",
                 f"reason={reason}" if reason else "", f"type={type}" if type else ""]
    raw = list_all(reader, "event", namespace=namespace, field_selector=",".join(s for s in selectors if s) or None)
    events = [normalize(e) for e in raw]
    events = [e for e in events
              if (not wanted_kind or e["object"]["kind"].lower() == wanted_kind.lower())
              and (not name or e["object"]["name"] == name)
              and (not reason or e["reason"].lower() == reason.lower())
              and (not type or e["type"].lower() == type.lower())
              and (not namespace or e["object"]["namespace"] in (namespace, ""))]
    return merge(events)


def render(events: list[dict[str, Any]], now: datetime, budget: int, show_object: bool = True,
           max_rows: int = MAX_ROWS) -> tuple[str, int]:
    """A kubectl-like events table within `budget` tokens; returns the text and how many rows it shows."""
    rows = []
    for event in events[:max_rows]:
        count = event["count"]
        seen = age(event["last_seen"], now)
        if count > 1:
            seen += f" (x{count} over {age(event['first_seen'], now)})"
        obj = event["object"]
        row = [seen, event["type"], event["reason"]]
        if show_object:
            row.append(f"{obj['kind'].lower()}/{obj['name']}")
        row += [event["component"], event["message"]]
        rows.append(row)
    headers = ["last seen", "type", "reason", *(["object"] if show_object else []), "from", "message"]
    while rows:
        text = table(headers, rows)
        if count_tokens(text) <= budget:
            return text, len(rows)
        rows = rows[: max(1, len(rows) * 3 // 4)] if len(rows) > 1 else []
    return "", 0


def cut_note(shown: int, total: int, narrowers: str = "reason=, type=Warning, kind= or name=") -> str | None:
    if shown >= total:
        return None
    return f"showing {shown} of {plural(total, 'event')}, newest first; narrow with {narrowers}"


@reads_kube
def kubernetes_events(ctx: ToolContext, params: EventsParams) -> ToolOutput:
    events = read_events(kube(ctx), params.namespace, params.kind, params.name, params.reason, params.type)
    where = f" in namespace {params.namespace}" if params.namespace else ""
    if not events:
        return ToolOutput(text=f"no events match{where}", data={"events": []}, status="no_data")
    text, shown = render(events, ctx.now, ctx.token_budget - 60, show_object=not params.name)
    header = (f"{plural(len(events), 'event')}{where}, newest first (deduplicated, ages relative to "
              f"{ctx.now:%Y-%m-%dT%H:%M:%SZ})")
    return ToolOutput(text=f"{header}\n{text}", data={"events": events}, cut=cut_note(shown, len(events)))


TOOLS: list[Tool[Any]] = [Tool(name="kubernetes_events", description="", params=EventsParams, fn=kubernetes_events)]
