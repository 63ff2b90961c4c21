"""DRA (resource.k8s.io) tools: claims, templates, slices, device classes, and a pod's claims explained."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from holmes.sources.kube import KubeError, KubeReader
from holmes.toolsets import dra_shapes as shapes
from holmes.toolsets import events as events_mod
from holmes.toolsets.access import kube, list_all, meta, not_found, reads_kube, ref
from holmes.toolsets.base import Tool, ToolContext, ToolOutput
from holmes.toolsets.dra_explain import explain_pod, pod_claim_refs
from holmes.toolsets.render import age, count_tokens, fit_text, plural, slim, table


class ClaimsParams(BaseModel):
    namespace: str = Field(description="The namespace.")
    pod: str | None = Field(None, description="Only the claims this pod uses.")


class NamespaceParams(BaseModel):
    namespace: str = Field(description="The namespace.")


class SlicesParams(BaseModel):
    node: str | None = Field(None, description="Only slices of this node.")
    driver: str | None = Field(None, description="Only slices of this driver, e.g. gpu.nvidia.com.")


class NoParams(BaseModel):
    pass


class ExplainParams(BaseModel):
    namespace: str = Field(description="The pod's namespace.")
    name: str = Field(description="The pod's name.")


def _requests_text(requests: list[dict[str, Any]]) -> str:
    parts = []
    for r in requests:
        amount = "all" if r["allocation_mode"] == "All" else f"x{r['count']}"
        text = f"{r['name']}:{r['device_class']} {amount}"
        if r["selectors"]:
            text += f" [{len(r['selectors'])} selector(s)]"
        parts.append(text)
    return "; ".join(parts) or "<no requests>"


@reads_kube
def dra_claims(ctx: ToolContext, params: ClaimsParams) -> ToolOutput:
    reader = kube(ctx)
    if params.pod:
        pod = reader.get("pod", params.pod, params.namespace)
        if pod is None:
            return not_found(f"pod {params.namespace}/{params.pod}")
        names = {r["claim"] for r in pod_claim_refs(pod) if r["claim"]}
        claims = [c for c in (reader.get("resourceclaim", n, params.namespace) for n in sorted(names)) if c]
    else:
        claims = list_all(reader, "resourceclaim", params.namespace)
    if not claims:
        scope = f"pod {params.pod}" if params.pod else f"namespace {params.namespace}"
        return ToolOutput(text=f"no ResourceClaims for {scope}", data={"claims": []}, status="no_data")
    rows = []
    for c in claims:
        devices = ", ".join(f"{r.get('pool')}/{r.get('device')}" for r in shapes.allocation_results(c)) or "-"
        reserved = ", ".join(r.get("name", "") for r in (c.get("status") or {}).get("reservedFor") or []) or "-"
        rows.append([meta(c).get("name"), shapes.claim_state(c), _requests_text(shapes.claim_requests(c.get("spec")
                     or {})), devices, shapes.allocated_node(c) or "-", reserved,
                     age(meta(c).get("creationTimestamp"), ctx.now)])
    text = table(["name", "state", "requests", "devices", "node", "reserved-for", "age"], rows)
    text, cut = fit_text(text, ctx.token_budget, "name a pod")
    return ToolOutput(text=text, data={"claims": [slim(c) for c in claims]}, cut=cut)


@reads_kube
def dra_claim_templates(ctx: ToolContext, params: NamespaceParams) -> ToolOutput:
    templates = list_all(kube(ctx), "resourceclaimtemplate", params.namespace)
    if not templates:
        return ToolOutput(text=f"no ResourceClaimTemplates in namespace {params.namespace}", data={"templates": []},
                          status="no_data")
    lines = []
    for t in templates:
        requests = shapes.claim_requests((t.get("spec") or {}).get("spec") or {})
        lines.append(f"ResourceClaimTemplate {meta(t).get('name')}: {_requests_text(requests)}")
        for r in requests:
            lines += [f"  {r['name']} selector: {expr}" for expr in r["selectors"]]
    text, cut = fit_text("\n".join(lines), ctx.token_budget)
    return ToolOutput(text=text, data={"templates": [slim(t) for t in templates]}, cut=cut)


def _slice_lines(resource_slice: dict[str, Any], max_devices: int) -> list[str]:
    spec = resource_slice.get("spec") or {}
    pool = spec.get("pool") or {}
    devices = shapes.slice_devices(resource_slice)
    lines = [f"ResourceSlice {meta(resource_slice).get('name')}: driver {shapes.slice_driver(resource_slice)}, "
             f"node {shapes.slice_node(resource_slice)}, pool {pool.get('name')} (generation {pool.get('generation')}, "
             f"{pool.get('resourceSliceCount')} slice(s)), {plural(len(devices), 'device')}"]
    if not devices:
        lines.append("  ! this slice publishes no devices: claims cannot be allocated from it")
    partitions = sum(1 for d in devices if shapes.is_partition(d))
    if 0 < partitions < len(devices):
        lines.append(f"  ! mixes {len(devices) - partitions} whole GPUs and {partitions} MIG partitions in one pool")
    lines += [f"  {d['name']}: {shapes.short_attributes(d)}" for d in devices[:max_devices]]
    if len(devices) > max_devices:
        lines.append(f"  ... {len(devices) - max_devices} more devices")
    return lines


def _list_slices(reader: KubeReader, selector: str) -> list[dict[str, Any]]:
    """Narrow on the server when it supports the slice field selectors (1.30+), else filter here."""
    if selector:
        try:
            return list_all(reader, "resourceslice", field_selector=selector)
        except KubeError as exc:
            if "HTTP 400" not in str(exc):
                raise
    return list_all(reader, "resourceslice")


@reads_kube
def dra_slices(ctx: ToolContext, params: SlicesParams) -> ToolOutput:
    selector = ",".join(s for s in (f"spec.nodeName={params.node}" if params.node else "",
                                    f"spec.driver={params.driver}" if params.driver else "") if s)
    slices = _list_slices(kube(ctx), selector)
    slices = [s for s in slices if (not params.node or (s.get("spec") or {}).get("nodeName") == params.node)
              and (not params.driver or shapes.slice_driver(s) == params.driver)]
    if not slices:
        narrowed = f" for {selector}" if selector else ""
        return ToolOutput(text=f"no ResourceSlices{narrowed}: no DRA driver has published devices here",
                          data={"slices": []}, status="no_data")
    per_slice = 8 if len(slices) > 4 else 32
    lines = [line for s in slices for line in _slice_lines(s, per_slice)]
    text, cut = fit_text("\n".join(lines), ctx.token_budget, "narrow with node= or driver=")
    return ToolOutput(text=text, data={"slices": [slim(s) for s in slices]}, cut=cut)


@reads_kube
def dra_device_classes(ctx: ToolContext, params: NoParams) -> ToolOutput:
    classes = list_all(kube(ctx), "deviceclass")
    if not classes:
        return ToolOutput(text="no DeviceClasses: no DRA driver is installed, or it was installed without classes",
                          data={"device_classes": []}, status="no_data")
    rows = [[meta(c).get("name"), shapes.class_driver(c) or "?",
             " && ".join(shapes.cel_expressions((c.get("spec") or {}).get("selectors"))) or "<none>"] for c in classes]
    text, cut = fit_text(table(["name", "driver", "selectors (CEL)"], rows), ctx.token_budget)
    return ToolOutput(text=text, data={"device_classes": [slim(c) for c in classes]}, cut=cut)


def _explain_lines(data: dict[str, Any]) -> list[str]:
    pod = data["pod"]
    phase, node = (pod.get("status") or {}).get("phase"), (pod.get("spec") or {}).get("nodeName")
    lines = [f"Pod {ref(pod)}: phase {phase}, node {node or '<none>'}"]
    if not data["claims"]:
        lines.append("  the pod has no spec.resourceClaims: it does not use DRA")
    for claim in data["claims"]:
        target = claim["claim"] or f"<not created> (template {claim['template']})"
        lines.append(f"Claim {claim['name']} -> ResourceClaim {target}: "
                     + ("allocated" if claim["allocated"] else "NOT allocated"))
        for r in claim["requests"]:
            exists = "exists" if r["class_exists"] else "MISSING"
            lines.append(f"  request {r['name']}: device class {r['device_class']} ({exists}), "
                         f"{r['allocation_mode']} {r['count']}")
            lines += [f"    selector: {expr}" for expr in r["selectors"]]
        lines += [f"  - {reason}" for reason in claim["reasons"]]
        candidates = claim["candidate_devices"]
        for d in candidates[:8]:
            lines.append(f"  candidate {d['node']}/{d['driver']}/{d['device']} (slice {d['slice']})")
        if len(candidates) > 8:
            lines.append(f"  ... {len(candidates) - 8} more candidate devices")
    lines.append("Device classes: " + (", ".join(f"{c['name']} (driver {c['driver'] or '?'})"
                                                 for c in data["device_classes"]) or "<none>"))
    lines.append("Slices:" + ("" if data["slices_summary"] else " <none>"))
    lines += [f"  {s['name']}: node {s['node']}, driver {s['driver']}, {plural(s['devices'], 'device')}"
              + (f" ! {s['note']}" if s["note"] else "") for s in data["slices_summary"]]
    return lines


@reads_kube
def dra_explain_pod(ctx: ToolContext, params: ExplainParams) -> ToolOutput:
    reader = kube(ctx)
    pod = reader.get("pod", params.name, params.namespace)
    if pod is None:
        return not_found(f"pod {params.namespace}/{params.name}")
    data = explain_pod(reader, pod)
    for s in data["slices_summary"]:
        s.pop("created", None)
    text, cut = fit_text("\n".join(_explain_lines(data)), ctx.token_budget * 3 // 4,
                         "use dra_slices(node=, driver=) or dra_claims(pod=) for one part")
    events = [e for e in events_mod.read_events(reader, params.namespace, "pod", params.name, type="Warning")
              if e["reason"] in ("FailedScheduling", "FailedPrepareDynamicResources", "FailedCreate")
              or "claim" in e["message"].lower() or "device" in e["message"].lower()]
    data["events"] = events
    if events:
        table_text, _ = events_mod.render(events, ctx.now, max(80, ctx.token_budget - count_tokens(text)),
                                          show_object=False, max_rows=5)
        text += "\nScheduler/kubelet events:\n" + table_text
    return ToolOutput(text=text, data=data, cut=cut)


TOOLS: list[Tool[Any]] = [
    Tool(name="dra_claims", description="", params=ClaimsParams, fn=dra_claims),
    Tool(name="dra_claim_templates", description="", params=NamespaceParams, fn=dra_claim_templates),
    Tool(name="dra_slices", description="", params=SlicesParams, fn=dra_slices),
    Tool(name="dra_device_classes", description="", params=NoParams, fn=dra_device_classes),
    Tool(name="dra_explain_pod", description="", params=ExplainParams, fn=dra_explain_pod),
]
