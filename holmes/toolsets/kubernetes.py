"""Generic Kubernetes reads (get, list) and the small inventory views an inference failure needs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from holmes.sources.kube import KINDS, KubeReader, normalize_kind
from holmes.toolsets import events as events_mod
from holmes.toolsets.access import kube, list_all, meta, not_found, reads_kube, ref
from holmes.toolsets.base import Tool, ToolContext, ToolOutput
from holmes.toolsets.pods import pod_status, ready_count, restart_count
from holmes.toolsets.redact import redact
from holmes.toolsets.render import age, fit_text, plural, quantity, slim, table, yaml_excerpt

DEFAULT_LIMIT = 100


class GetParams(BaseModel):
    kind: str = Field(description="Kind, e.g. pod, node, deployment, inferenceservice, resourceclaim.")
    name: str = Field(description="Object name.")
    namespace: str | None = Field(None, description="Namespace (omit for cluster-scoped kinds).")


class ListParams(BaseModel):
    kind: str = Field(description="Kind, e.g. pod, deployment, pvc, nodeclaim.")
    namespace: str | None = Field(None, description="Namespace; omit for all namespaces.")
    label_selector: str | None = Field(None, description="e.g. app=vllm or serving.kserve.io/inferenceservice=llama")
    field_selector: str | None = Field(None, description="e.g. status.phase=Pending or spec.nodeName=gpu-node-1")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=500, description="At most this many objects.")


class NamespaceParams(BaseModel):
    namespace: str = Field(description="The namespace.")


class NoParams(BaseModel):
    pass


class DaemonSetsParams(BaseModel):
    namespace: str | None = Field(None, description="Namespace; omit for all namespaces.")
    label_selector: str | None = Field(None, description="e.g. app=nvidia-device-plugin-daemonset")


# --- get / list ----------------------------------------------------------------------------------
@reads_kube
def kubernetes_get(ctx: ToolContext, params: GetParams) -> ToolOutput:
    obj = kube(ctx).get(params.kind, params.name, params.namespace)
    where = f"{params.namespace}/{params.name}" if params.namespace else params.name
    if obj is None:
        return not_found(f"{normalize_kind(params.kind)} {where}")
    obj = slim(redact(obj))
    text, cut = fit_text(yaml_excerpt(obj), ctx.token_budget,
                         "use a specific tool (kubernetes_describe_pod, kubernetes_events) for a summary")
    return ToolOutput(text=text, data=obj, cut=cut)


def _row(kind: str, obj: dict[str, Any], now: datetime, with_namespace: bool) -> tuple[list[str], list[Any]]:
    """Headers and cells of one object in kubectl's style for its kind."""
    m = meta(obj)
    headers, cells = _kind_columns(kind, obj, age(m.get("creationTimestamp"), now))
    if with_namespace:
        return ["namespace", "name", *headers], [m.get("namespace", ""), m.get("name", ""), *cells]
    return ["name", *headers], [m.get("name", ""), *cells]


def _kind_columns(kind: str, obj: dict[str, Any], created: str) -> tuple[list[str], list[Any]]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if kind == "pod":
        return (["ready", "status", "restarts", "age", "node"],
                [ready_count(obj), pod_status(obj), restart_count(obj), created, spec.get("nodeName", "")])
    if kind in ("deployment", "statefulset", "replicaset"):
        return (["ready", "up-to-date", "available", "age"],
                [f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}", status.get("updatedReplicas", 0),
                 status.get("availableReplicas", 0), created])
    if kind == "node":
        ready = next((c.get("status") for c in status.get("conditions") or [] if c.get("type") == "Ready"), "?")
        state = "Ready" if ready == "True" else "NotReady"
        if spec.get("unschedulable"):
            state += ",SchedulingDisabled"
        return ["status", "gpu", "age"], [state, (status.get("allocatable") or {}).get("nvidia.com/gpu", ""), created]
    if kind == "persistentvolumeclaim":
        return (["status", "volume", "capacity", "storageclass", "age"],
                [status.get("phase", ""), spec.get("volumeName", ""), (status.get("capacity") or {}).get("storage", ""),
                 spec.get("storageClassName", ""), created])
    return ["status", "age"], [_generic_status(status), created]


def _generic_status(status: dict[str, Any]) -> str:
    """Ready condition or phase: enough for CRs (InferenceService, NodeClaim, RayCluster...)."""
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Ready":
            return f"Ready={cond.get('status')}" + (f" {cond['reason']}" if cond.get("reason") else "")
    return str(status.get("phase") or status.get("state") or "")


@reads_kube
def kubernetes_list(ctx: ToolContext, params: ListParams) -> ToolOutput:
    kind = normalize_kind(params.kind)
    page = kube(ctx).list(kind, params.namespace, params.label_selector, params.field_selector, limit=params.limit)
    items = [slim(redact(i)) for i in page.items]
    total = len(items) + (page.remaining or 0)
    items = items[: params.limit]
    more = bool(page.continue_token) and not page.remaining
    if not items:
        return ToolOutput(text=f"no {kind} objects match", data={"items": [], "total": 0, "shown": 0},
                          status="no_data")
    namespaced = KINDS[kind][2]
    rows = [_row(kind, i, ctx.now, namespaced and params.namespace is None) for i in items]
    text, cut = fit_text(table(rows[0][0], [r[1] for r in rows]), ctx.token_budget,
                         "narrow with namespace=, label_selector= or field_selector=")
    if total > len(items) or more:
        total_text = f"more than {len(items):,}" if more else f"{total:,}"
        cut = f"showing {len(items)} of {total_text} {kind} objects; narrow with label_selector= or field_selector="
    return ToolOutput(text=text, data={"items": items, "total": max(total, len(items)), "shown": len(items)},
                      cut=cut)


# --- inventory views ------------------------------------------------------------------------------
def _quota_lines(quota: dict[str, Any]) -> list[str]:
    spec, status = quota.get("spec") or {}, quota.get("status") or {}
    lines = [f"ResourceQuota {ref(quota)}"]
    if spec.get("scopes"):
        lines.append(f"  scopes: {', '.join(spec['scopes'])}")
    for expr in (spec.get("scopeSelector") or {}).get("matchExpressions") or []:
        lines.append(f"  scopeSelector: {expr.get('scopeName')} {expr.get('operator')} "
                     f"[{' '.join(expr.get('values') or [])}]")
    hard, used = status.get("hard") or spec.get("hard") or {}, status.get("used") or {}
    rows = []
    for resource in sorted(hard):
        h, u = quantity(hard[resource]), quantity(used.get(resource, "0"))
        full = " (full)" if h is not None and u is not None and u >= h else ""
        rows.append([resource, used.get(resource, "0"), f"{hard[resource]}{full}"])
    lines += ["  " + line for line in table(["resource", "used", "hard"], rows).splitlines()]
    return lines


@reads_kube
def kubernetes_quotas(ctx: ToolContext, params: NamespaceParams) -> ToolOutput:
    quotas = list_all(kube(ctx), "resourcequota", params.namespace)
    if not quotas:
        return ToolOutput(text=f"no ResourceQuota in namespace {params.namespace}", data={"quotas": []})
    lines = [line for q in quotas for line in _quota_lines(q)]
    text, cut = fit_text("\n".join(lines), ctx.token_budget)
    return ToolOutput(text=text, data={"quotas": [slim(q) for q in quotas]}, cut=cut)


@reads_kube
def kubernetes_runtimeclasses(ctx: ToolContext, params: NoParams) -> ToolOutput:
    classes = list_all(kube(ctx), "runtimeclass")
    if not classes:
        return ToolOutput(text="no RuntimeClass objects: every pod uses the node's default runtime",
                          data={"runtimeclasses": []})
    rows = []
    for rc in classes:
        scheduling = rc.get("scheduling") or {}
        selector = ",".join(f"{k}={v}" for k, v in (scheduling.get("nodeSelector") or {}).items())
        rows.append([meta(rc).get("name"), rc.get("handler", ""), selector or "<none>",
                     len(scheduling.get("tolerations") or [])])
    text, cut = fit_text(table(["name", "handler", "node-selector", "tolerations"], rows), ctx.token_budget)
    return ToolOutput(text=text, data={"runtimeclasses": [slim(rc) for rc in classes]}, cut=cut)


@reads_kube
def kubernetes_pvcs(ctx: ToolContext, params: NamespaceParams) -> ToolOutput:
    pvcs = list_all(kube(ctx), "persistentvolumeclaim", params.namespace)
    if not pvcs:
        return ToolOutput(text=f"no PersistentVolumeClaims in namespace {params.namespace}", data={"pvcs": []},
                          status="no_data")
    rows = []
    for pvc in pvcs:
        spec, status = pvc.get("spec") or {}, pvc.get("status") or {}
        requested = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "")
        rows.append([meta(pvc).get("name"), status.get("phase", ""), requested,
                     (status.get("capacity") or {}).get("storage", ""), spec.get("storageClassName", "<default>"),
                     ",".join(spec.get("accessModes") or []), spec.get("volumeName", ""),
                     age(meta(pvc).get("creationTimestamp"), ctx.now)])
    text = table(["name", "status", "requested", "capacity", "storageclass", "access", "volume", "age"], rows)
    text, cut = fit_text(text, ctx.token_budget)
    return ToolOutput(text=text, data={"pvcs": [slim(p) for p in pvcs]}, cut=cut)


def _daemonset_row(ds: dict[str, Any]) -> list[Any]:
    spec, status = ds.get("spec") or {}, ds.get("status") or {}
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    selector = ",".join(f"{k}={v}" for k, v in (pod_spec.get("nodeSelector") or {}).items())
    return [meta(ds).get("namespace"), meta(ds).get("name"), status.get("desiredNumberScheduled", 0),
            status.get("currentNumberScheduled", 0), status.get("numberReady", 0),
            status.get("numberAvailable", 0), selector or "<none>", pod_spec.get("priorityClassName", "")]


def _unhealthy(ds: dict[str, Any]) -> bool:
    status = ds.get("status") or {}
    desired = status.get("desiredNumberScheduled", 0)
    return bool(status.get("currentNumberScheduled", 0) < desired or status.get("numberReady", 0) < desired
                or status.get("numberMisscheduled", 0))


def _warnings(reader: KubeReader, ds: dict[str, Any], ctx: ToolContext) -> list[str]:
    """Why an unhealthy DaemonSet has too few pods: its Warning events (FailedCreate, quota...)."""
    events = events_mod.read_events(reader, meta(ds).get("namespace"), "daemonset", meta(ds).get("name"),
                                    type="Warning")
    return [f"  {e['reason']} (x{e['count']}, {age(e['last_seen'], ctx.now)} ago, {e['component']}): {e['message']}"
            for e in events[:3]]


@reads_kube
def kubernetes_daemonsets(ctx: ToolContext, params: DaemonSetsParams) -> ToolOutput:
    reader = kube(ctx)
    sets = list_all(reader, "daemonset", params.namespace, label_selector=params.label_selector)
    if not sets:
        return ToolOutput(text="no DaemonSets match", data={"daemonsets": []}, status="no_data")
    text = table(["namespace", "name", "desired", "current", "ready", "available", "node-selector", "priority"],
                 [_daemonset_row(ds) for ds in sets])
    unhealthy = [ds for ds in sets if _unhealthy(ds)]
    for ds in unhealthy[:5]:
        text += f"\n{ref(ds)}: fewer pods than desired\n" + "\n".join(_warnings(reader, ds, ctx) or ["  no events"])
    text, cut = fit_text(text, ctx.token_budget, "narrow with namespace= or label_selector=")
    if len(unhealthy) > 5:
        cut = (cut + "; " if cut else "") + f"events shown for 5 of {plural(len(unhealthy), 'unhealthy DaemonSet')}"
    return ToolOutput(text=text, data={"daemonsets": [slim(ds) for ds in sets]}, cut=cut)


TOOLS: list[Tool[Any]] = [
    Tool(name="kubernetes_get", description="", params=GetParams, fn=kubernetes_get),
    Tool(name="kubernetes_list", description="", params=ListParams, fn=kubernetes_list),
    Tool(name="kubernetes_quotas", description="", params=NamespaceParams, fn=kubernetes_quotas),
    Tool(name="kubernetes_runtimeclasses", description="", params=NoParams, fn=kubernetes_runtimeclasses),
    Tool(name="kubernetes_pvcs", description="", params=NamespaceParams, fn=kubernetes_pvcs),
    Tool(name="kubernetes_daemonsets", description="", params=DaemonSetsParams, fn=kubernetes_daemonsets),
]
