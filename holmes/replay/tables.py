"""Server-side Table output (what `kubectl get` asks for), with ages counted from the incident's capture time.

kubectl falls back to NAME/AGE columns (aged from the wall clock) when a server answers plain lists; a Table
gives it the familiar STATUS, READY and RESTARTS columns and ages as they were when the incident was recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

TABLE_MEDIA = "as=Table"

Column = tuple[str, str, int]  # name, type, priority (1: only with -o wide)
Row = Callable[[dict[str, Any], datetime], list[Any]]


def wants_table(accept: str) -> bool:
    return TABLE_MEDIA in accept.replace(" ", "")


def human_age(since: str | None, now: datetime) -> str:
    """kubectl's short duration (`5m`, `3h12m`, `12d`) from an RFC3339 time to `now`; `<unknown>` without one."""
    if not since:
        return "<unknown>"
    try:
        moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        return "<unknown>"
    if moment.tzinfo is None:
        return "<unknown>"
    return _short_duration(int((now - moment).total_seconds()))


def _short_duration(seconds: int) -> str:
    if seconds < -1:
        return "<invalid>"
    seconds = max(seconds, 0)
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 120:
        return f"{seconds}s"
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    years = days // 365
    if years < 8:
        return f"{years}y{days % 365}d" if days % 365 else f"{years}y"
    return f"{years}y"


def _pod_status(pod: dict[str, Any]) -> tuple[str, int, int, str | None]:
    """(status text, ready containers, restarts, last restart time) the way `kubectl get pods` shows them."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Unknown"
    init_reason = _init_status(spec, status)
    ready, restarts, last_restart = 0, 0, None
    for entry in status.get("containerStatuses") or []:
        restarts += int(entry.get("restartCount") or 0)
        finished = ((entry.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        last_restart = max(filter(None, [last_restart, finished]), default=None)
        ready += bool(entry.get("ready"))
        if init_reason:
            continue
        state = entry.get("state") or {}
        if (state.get("waiting") or {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif "terminated" in state:
            terminated = state["terminated"] or {}
            reason = terminated.get("reason") or f"ExitCode:{terminated.get('exitCode', 0)}"
    if init_reason:
        reason = init_reason
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Terminating"
    return reason, ready, restarts, last_restart


def _init_status(spec: dict[str, Any], status: dict[str, Any]) -> str:
    total = len(spec.get("initContainers") or [])
    for index, entry in enumerate(status.get("initContainerStatuses") or []):
        state = entry.get("state") or {}
        terminated = state.get("terminated")
        if terminated and terminated.get("exitCode") == 0:
            continue
        if terminated:
            return "Init:" + (terminated.get("reason") or f"ExitCode:{terminated.get('exitCode')}")
        waiting = (state.get("waiting") or {}).get("reason")
        if waiting and waiting != "PodInitializing":
            return f"Init:{waiting}"
        return f"Init:{index}/{total}"
    return ""


def _pod_row(pod: dict[str, Any], now: datetime) -> list[Any]:
    reason, ready, restarts, last_restart = _pod_status(pod)
    containers = len((pod.get("spec") or {}).get("containers") or [])
    restart_text = f"{restarts} ({human_age(last_restart, now)} ago)" if restarts and last_restart else str(restarts)
    status = pod.get("status") or {}
    return [pod["metadata"]["name"], f"{ready}/{containers}", reason, restart_text,
            human_age(pod["metadata"].get("creationTimestamp"), now), status.get("podIP") or "<none>",
            (pod.get("spec") or {}).get("nodeName") or "<none>", status.get("nominatedNodeName") or "<none>"]


def _node_row(node: dict[str, Any], now: datetime) -> list[Any]:
    conditions = {c.get("type"): c.get("status") for c in (node.get("status") or {}).get("conditions") or []}
    status = {"True": "Ready", "False": "NotReady"}.get(conditions.get("Ready", ""), "Unknown")
    if (node.get("spec") or {}).get("unschedulable"):
        status += ",SchedulingDisabled"
    labels = node["metadata"].get("labels") or {}
    roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/") and "/" in k)
    info = (node.get("status") or {}).get("nodeInfo") or {}
    addresses = {a.get("type"): a.get("address") for a in (node.get("status") or {}).get("addresses") or []}
    return [node["metadata"]["name"], status, ",".join(r for r in roles if r) or "<none>",
            human_age(node["metadata"].get("creationTimestamp"), now), info.get("kubeletVersion", ""),
            addresses.get("InternalIP") or "<none>", addresses.get("ExternalIP") or "<none>",
            info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>"]


def _event_row(event: dict[str, Any], now: datetime) -> list[Any]:
    series = event.get("series") or {}
    last = event.get("lastTimestamp") or series.get("lastObservedTime") or event.get("eventTime")
    involved = event.get("involvedObject") or {}
    count = series.get("count") or event.get("count") or 1
    return [human_age(last, now), event.get("type", ""), event.get("reason", ""),
            f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}", event.get("message", ""),
            involved.get("fieldPath", ""), (event.get("source") or {}).get("component") or
            event.get("reportingComponent", ""), human_age(event.get("firstTimestamp") or event.get("eventTime"), now),
            str(count), event["metadata"]["name"]]


def _claim_row(claim: dict[str, Any], now: datetime) -> list[Any]:
    status = claim.get("status") or {}
    states = ["allocated"] if status.get("allocation") else ["pending"]
    if status.get("reservedFor"):
        states.append("reserved")
    if claim["metadata"].get("deletionTimestamp"):
        states.append("deleted")
    return [claim["metadata"]["name"], ",".join(states), human_age(claim["metadata"].get("creationTimestamp"), now)]


def _default_row(obj: dict[str, Any], now: datetime) -> list[Any]:
    return [obj["metadata"]["name"], human_age(obj["metadata"].get("creationTimestamp"), now)]


_NAME: Column = ("Name", "string", 0)
_AGE: Column = ("Age", "string", 0)
TABLES: dict[tuple[str, str], tuple[list[Column], Row]] = {
    ("", "pods"): ([_NAME, ("Ready", "string", 0), ("Status", "string", 0), ("Restarts", "string", 0), _AGE,
                    ("IP", "string", 1), ("Node", "string", 1), ("Nominated Node", "string", 1)], _pod_row),
    ("", "nodes"): ([_NAME, ("Status", "string", 0), ("Roles", "string", 0), _AGE, ("Version", "string", 0),
                     ("Internal-IP", "string", 1), ("External-IP", "string", 1), ("OS-Image", "string", 1),
                     ("Kernel-Version", "string", 1), ("Container-Runtime", "string", 1)], _node_row),
    ("", "events"): ([("Last Seen", "string", 0), ("Type", "string", 0), ("Reason", "string", 0),
                      ("Object", "string", 0), ("Message", "string", 0), ("Subobject", "string", 1),
                      ("Source", "string", 1), ("First Seen", "string", 1), ("Count", "string", 1),
                      ("Name", "string", 1)], _event_row),
    ("resource.k8s.io", "resourceclaims"): ([_NAME, ("State", "string", 0), _AGE], _claim_row),
}


def table(group: str, plural: str, objects: list[dict[str, Any]], now: datetime,
          list_metadata: dict[str, Any]) -> dict[str, Any]:
    """A meta.k8s.io/v1 Table of `objects`; each row carries the object's metadata for -A, -L and --show-labels."""
    columns, row = TABLES.get((group, plural), ([_NAME, _AGE], _default_row))
    return {
        "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_metadata,
        "columnDefinitions": [{"name": name, "type": kind, "format": "name" if name == "Name" else "",
                               "description": "", "priority": priority} for name, kind, priority in columns],
        "rows": [{"cells": row(obj, now), "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                                     "metadata": obj.get("metadata") or {}}} for obj in objects],
    }
