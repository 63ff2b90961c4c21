"""KServe InferenceServices with their predictor pods: a CR can say Ready while its pods crash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from holmes.sources.kube import KubeReader
from holmes.toolsets.access import kube, list_all, meta, not_found, reads_kube
from holmes.toolsets.base import Tool, ToolContext, ToolOutput
from holmes.toolsets.pods import pod_status, ready_count, restart_count
from holmes.toolsets.redact import redact
from holmes.toolsets.render import age, fit_text, slim

ISVC_LABEL = "serving.kserve.io/inferenceservice"
COMPONENTS = ("predictor", "transformer", "explainer")


class InferenceServiceParams(BaseModel):
    namespace: str = Field(description="The namespace.")
    name: str | None = Field(None, description="One InferenceService; omit for all in the namespace.")


def pod_summary(pod: dict[str, Any]) -> dict[str, Any]:
    return {"name": meta(pod).get("name"), "phase": (pod.get("status") or {}).get("phase"),
            "status": pod_status(pod), "ready": ready_count(pod), "restarts": restart_count(pod),
            "component": (meta(pod).get("labels") or {}).get("component")
            or (meta(pod).get("labels") or {}).get("serving.kserve.io/component", "")}


def _component_lines(spec: dict[str, Any]) -> list[str]:
    lines = []
    for component in COMPONENTS:
        part = spec.get(component)
        if not part:
            continue
        model = part.get("model") or {}
        fmt = (model.get("modelFormat") or {}).get("name")
        text = f"  {component}:"
        if fmt:
            text += f" format {fmt}"
        if model.get("runtime"):
            text += f", runtime {model['runtime']}"
        if model.get("storageUri"):
            text += f", storageUri {model['storageUri']}"
        containers = part.get("containers") or ([model] if model else [])
        for c in containers:
            limits = (c.get("resources") or {}).get("limits") or {}
            gpus = {k: v for k, v in limits.items() if "/" in k}
            if c.get("image"):
                text += f", image {c['image']}"
            if gpus:
                text += ", limits " + ", ".join(f"{k}={v}" for k, v in gpus.items())
        if part.get("minReplicas") is not None or part.get("maxReplicas") is not None:
            text += f", replicas {part.get('minReplicas', '?')}..{part.get('maxReplicas', '?')}"
        lines.append(text)
    return lines


def describe(isvc: dict[str, Any], pods: list[dict[str, Any]], now: datetime) -> list[str]:
    status = isvc.get("status") or {}
    ready: dict[str, Any] = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
    lines = [f"InferenceService {meta(isvc).get('namespace')}/{meta(isvc).get('name')}: "
             f"Ready={ready.get('status', 'Unknown')}, age {age(meta(isvc).get('creationTimestamp'), now)}"]
    if status.get("url"):
        lines.append(f"  url: {status['url']}")
    lines += _component_lines(isvc.get("spec") or {})
    for cond in status.get("conditions") or []:
        line = f"  condition {cond.get('type')}={cond.get('status')}"
        if cond.get("reason"):
            line += f" {cond['reason']}"
        if cond.get("message"):
            line += f": {' '.join(str(cond['message']).split())[:300]}"
        lines.append(line)
    for name, comp in (status.get("components") or {}).items():
        revision = comp.get("latestReadyRevision") or "-"
        created = comp.get("latestCreatedRevision") or "-"
        lines.append(f"  {name}: latest ready revision {revision}, latest created {created}")
    if status.get("modelStatus"):
        ms = status["modelStatus"]
        lines.append(f"  model status: {(ms.get('states') or {}).get('activeModelState', '?')}"
                     + (f", last failure: {ms['lastFailureInfo'].get('message', '')}" if ms.get("lastFailureInfo")
                        else ""))
    lines.append(f"  pods ({ISVC_LABEL}={meta(isvc).get('name')}):" + ("" if pods else " <none>"))
    for pod in pods:
        lines.append(f"    {pod['name']}  {pod['ready']}  {pod['status']}  restarts {pod['restarts']}")
    if ready.get("status") == "True" and any(p["status"] not in ("Running", "Completed") or p["restarts"]
                                             for p in pods):
        lines.append("  ! the CR says Ready but a pod is not healthy: the CR status may be stale or optimistic")
    return lines


def _pods(reader: KubeReader, namespace: str, name: str) -> list[dict[str, Any]]:
    return [pod_summary(p) for p in list_all(reader, "pod", namespace, label_selector=f"{ISVC_LABEL}={name}")]


@reads_kube
def kserve_inferenceservice(ctx: ToolContext, params: InferenceServiceParams) -> ToolOutput:
    reader = kube(ctx)
    if params.name:
        found = reader.get("inferenceservice", params.name, params.namespace)
        if found is None:
            return not_found(f"InferenceService {params.namespace}/{params.name}")
        services = [found]
    else:
        services = list_all(reader, "inferenceservice", params.namespace)
    if not services:
        return ToolOutput(text=f"no InferenceServices in namespace {params.namespace}",
                          data={"inferenceservices": [], "pods": {}}, status="no_data")
    pods = {meta(s).get("name", ""): _pods(reader, params.namespace, meta(s).get("name", "")) for s in services}
    lines = [line for s in services for line in describe(s, pods[meta(s).get("name", "")], ctx.now)]
    text, cut = fit_text("\n".join(lines), ctx.token_budget, "name one InferenceService")
    return ToolOutput(text=text, data={"inferenceservices": [slim(redact(s)) for s in services], "pods": pods},
                      cut=cut)


TOOLS: list[Tool[Any]] = [
    Tool(name="kserve_inferenceservice", description="", params=InferenceServiceParams, fn=kserve_inferenceservice),
]
