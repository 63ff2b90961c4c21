"""GPU nodes as the scheduler sees them: accelerator capacity vs allocatable, taints, GPU labels, health."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from holmes.toolsets.access import kube, list_all, meta, not_found, reads_kube
from holmes.toolsets.base import Tool, ToolContext, ToolOutput
from holmes.toolsets.render import age, fit_text, plural, quantity

ACCELERATOR_PREFIXES = ("nvidia.com/", "amd.com/", "gpu.intel.com/", "habana.ai/", "aws.amazon.com/neuron")
GPU_LABEL_PREFIXES = ("nvidia.com/", "amd.com/", "gpu.intel.com/", "cloud.google.com/gke-accelerator",
                      "cloud.google.com/gke-gpu", "k8s.amazonaws.com/accelerator", "karpenter.k8s.aws/instance-gpu",
                      "node.kubernetes.io/instance-type", "feature.node.kubernetes.io/pci-10de",
                      "topology.kubernetes.io/zone", "karpenter.sh/nodepool", "eks.amazonaws.com/nodegroup",
                      "cloud.google.com/gke-nodepool")


class NodesGpuParams(BaseModel):
    name: str | None = Field(None, description="One node by name.")
    label_selector: str | None = Field(None, description="Narrow with a label selector, e.g. "
                                       "nvidia.com/gpu.present=true or node.kubernetes.io/instance-type=g5.xlarge.")


def accelerators(resources: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in (resources or {}).items() if k.startswith(ACCELERATOR_PREFIXES)}


# the labels a person reads first (GPU feature discovery, MIG manager, cloud accelerator/instance labels)
SHOWN_LABEL_SUFFIXES = ("gpu.product", "gpu.memory", "gpu.count", "gpu.replicas", "gpu.sharing-strategy",
                        "gpu.present", "mig.config", "mig.config.state", "mig.strategy", "mig.capable",
                        "cuda.driver.major", "cuda.driver.minor", "cuda.runtime.major", "cuda.runtime.minor",
                        "cuda.driver-version.full", "cuda.runtime-version.full",
                        "gke-accelerator", "instance-type", "accelerator", "instance-gpu-name", "nodepool",
                        "nodegroup", "zone")


def shown_label(key: str) -> bool:
    """Whether a GPU label belongs in the text view (all of them stay in the data)."""
    name = key.split("/", 1)[-1]
    return name in SHOWN_LABEL_SUFFIXES or (name.startswith("mig-") and name.endswith(".count"))


def gpu_labels(labels: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in (labels or {}).items() if k.startswith(GPU_LABEL_PREFIXES)}


def summarize(node: dict[str, Any]) -> dict[str, Any]:
    """The GPU-relevant facts of one node, with flags for what a person would notice."""
    status, spec = node.get("status") or {}, node.get("spec") or {}
    capacity, allocatable = status.get("capacity") or {}, status.get("allocatable") or {}
    summary = {
        "name": meta(node).get("name", ""),
        "capacity": dict(capacity),
        "allocatable": dict(allocatable),
        "taints": spec.get("taints") or [],
        "labels": gpu_labels(meta(node).get("labels") or {}),
        "conditions": [{k: c.get(k) for k in ("type", "status", "reason", "message", "lastTransitionTime")
                        if c.get(k) is not None} for c in status.get("conditions") or []],
        "unschedulable": bool(spec.get("unschedulable")),
        "created": meta(node).get("creationTimestamp"),
    }
    summary["flags"] = flags(summary)
    return summary


def flags(summary: dict[str, Any]) -> list[str]:
    out = []
    for resource, cap in accelerators(summary["capacity"]).items():
        alloc = summary["allocatable"].get(resource)
        cap_n, alloc_n = quantity(cap), quantity(alloc) if alloc is not None else 0.0
        if cap_n and alloc_n is not None and alloc_n < cap_n:
            out.append(f"{resource}: capacity {cap} but allocatable {alloc if alloc is not None else 0}")
    labels = summary["labels"]
    count, replicas = quantity(labels.get("nvidia.com/gpu.count")), quantity(labels.get("nvidia.com/gpu.replicas"))
    advertised = summary["allocatable"].get("nvidia.com/gpu")
    if count and replicas and replicas > 1 and (quantity(advertised) or 0) > count:
        out.append(f"time-slicing: {labels['nvidia.com/gpu.count']} physical GPUs advertised as "
                   f"nvidia.com/gpu={advertised} (gpu.replicas={labels['nvidia.com/gpu.replicas']}); "
                   "slots share memory and faults")
    stale = [r for r, v in accelerators(summary["capacity"]).items() if r.startswith("nvidia.com/mig-") and
             quantity(v) == 0]
    if stale:
        out.append(f"zero-capacity MIG resources still listed (stale after a MIG change?): {', '.join(stale)}")
    if summary["unschedulable"]:
        out.append("cordoned (spec.unschedulable)")
    for cond in summary["conditions"]:
        bad = cond.get("status") == "True" if cond.get("type") != "Ready" else cond.get("status") != "True"
        if bad:
            out.append(f"condition {cond.get('type')}={cond.get('status')} {cond.get('reason', '')}".rstrip())
    return out


def is_gpu_node(summary: dict[str, Any]) -> bool:
    return bool(accelerators(summary["capacity"]) or any(k.startswith(("nvidia.com/", "amd.com/", "gpu.intel.com/"))
                                                         or "accelerator" in k for k in summary["labels"]))


def describe(summary: dict[str, Any], now: datetime) -> list[str]:
    ready: dict[str, Any] = next((c for c in summary["conditions"] if c.get("type") == "Ready"), {})
    lines = [f"Node {summary['name']}: Ready={ready.get('status', '?')}"
             + (" SchedulingDisabled" if summary["unschedulable"] else "") + f", age {age(summary['created'], now)}"]
    cap, alloc = accelerators(summary["capacity"]), accelerators(summary["allocatable"])
    for resource in sorted(set(cap) | set(alloc)):
        lines.append(f"  {resource}: capacity {cap.get(resource, '-')}, allocatable {alloc.get(resource, '-')}")
    if not cap and not alloc:
        lines.append("  no accelerator resources advertised (no device plugin registered?)")
    taints = [f"{t.get('key')}" + (f"={t['value']}" if t.get("value") else "") + f":{t.get('effect')}"
              for t in summary["taints"]]
    lines.append("  taints: " + (", ".join(taints) if taints else "<none>"))
    shown = {k: v for k, v in summary["labels"].items() if shown_label(k)}
    if shown:
        lines.append("  labels: " + ", ".join(f"{k}={v}" for k, v in sorted(shown.items())))
    for flag in summary["flags"]:
        lines.append(f"  ! {flag}")
    return lines


@reads_kube
def kubernetes_nodes_gpu(ctx: ToolContext, params: NodesGpuParams) -> ToolOutput:
    reader = kube(ctx)
    if params.name:
        node = reader.get("node", params.name)
        if node is None:
            return not_found(f"node {params.name}")
        nodes = [node]
    else:
        nodes = list_all(reader, "node", label_selector=params.label_selector)
    summaries = [summarize(n) for n in nodes]
    gpu = summaries if params.name else [s for s in summaries if is_gpu_node(s)]
    if not gpu:
        where = f" matching {params.label_selector!r}" if params.label_selector else ""
        return ToolOutput(text=f"no GPU nodes among {plural(len(summaries), 'node')}{where}",
                          data={"nodes": []}, status="no_data")
    lines = [f"{plural(len(gpu), 'GPU node')}" + (f" (of {len(summaries)} nodes)" if len(gpu) < len(summaries)
                                                   else "")]
    for summary in sorted(gpu, key=lambda s: (not s["flags"], s["name"])):
        lines += describe(summary, ctx.now)
    text, cut = fit_text("\n".join(lines), ctx.token_budget, "narrow with name= or label_selector=")
    for summary in gpu:
        summary.pop("created", None)
    return ToolOutput(text=text, data={"nodes": gpu}, cut=cut)


TOOLS: list[Tool[Any]] = [
    Tool(name="kubernetes_nodes_gpu", description="", params=NodesGpuParams, fn=kubernetes_nodes_gpu),
]
