"""Steps run in waves: a step that names a value read from another step waits for it; missing values skip it."""

from __future__ import annotations

from pathlib import Path

from holmes.domain import Subject, Trigger
from holmes.runbooks.engine import diagnose
from holmes.runbooks.library import load_library
from holmes.toolsets.base import ToolContext

from .canned import CannedTools, pod

PLUGIN_RUNBOOK = """\
id: t.plugin
title: plugin log on the sick node
area: gpu
match: {pod_phases: [Pending]}
steps:
  - {id: nodes, tool: kubernetes_nodes_gpu, params: {}}
  - {id: node_pods, tool: kubernetes_list, params: {kind: pod, field_selector: "spec.nodeName={sick_node}"}}
  - {id: plugin_log, tool: kubernetes_logs, params: {namespace: "{plugin_ns}", pod: "{plugin_pod}"}}
  - {id: on_node, tool: kubernetes_get, params: {kind: node, name: "{node}"}}
values:
  - name: sick_node
    step: nodes
    select: "nodes[?quantity(capacity.\\"nvidia.com/gpu\\") > quantity(allocatable.\\"nvidia.com/gpu\\")].name"
  - {name: plugin_pod, step: node_pods, select: "items[?contains(metadata.name, 'device-plugin')].metadata.name"}
  - {name: plugin_ns, step: node_pods, select: "items[?contains(metadata.name, 'device-plugin')].metadata.namespace"}
checks:
  - id: xid
    root_cause: gpu.xid_unhealthy
    confidence: 0.9
    summary: "Xid {xid} on {sick_node} ({plugin_ns}/{plugin_pod})"
    when: {regex: {step: plugin_log, pattern: 'Xid=(?P<xid>\\d+)'}}
"""


def cluster(tools: CannedTools, sick: bool = True) -> None:
    tools.add("kubernetes_get", lambda p: pod() if p["kind"] == "pod" else None)
    tools.add("kubernetes_events", lambda p: {"events": []})
    allocatable = "0" if sick else "8"
    tools.add("kubernetes_nodes_gpu", lambda p: {"nodes": [
        {"name": "gpu-a", "capacity": {"nvidia.com/gpu": "8"}, "allocatable": {"nvidia.com/gpu": "8"}},
        {"name": "gpu-b", "capacity": {"nvidia.com/gpu": "8"}, "allocatable": {"nvidia.com/gpu": allocatable}}]})
    tools.add("kubernetes_list", lambda p: {"items": [
        {"metadata": {"name": "web-1", "namespace": "shop"}},
        {"metadata": {"name": f"nvidia-device-plugin-{p['field_selector'][-1]}", "namespace": "gpu-ops"}}]})
    tools.add("kubernetes_logs", lambda p: {"lines": [f"XidCriticalError: Xid=79 on Device=GPU-1 ({p['pod']})"]})


def run(tools: CannedTools, tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "rb.yaml").write_text(PLUGIN_RUNBOOK, encoding="utf-8")
    return diagnose(Trigger(subject=Subject.parse("pod llm/vllm-0")), tools.registry, ToolContext(),
                    load_library([tmp_path], builtin=False))


def test_a_step_waits_for_the_value_read_from_an_earlier_step(tools: CannedTools, tmp_path: Path) -> None:
    cluster(tools)
    report = run(tools, tmp_path)
    assert report.diagnosis.summary == "Xid 79 on gpu-b (gpu-ops/nvidia-device-plugin-b)"
    assert ("kubernetes_list", {"kind": "pod", "field_selector": "spec.nodeName=gpu-b"}) in tools.calls
    assert ("kubernetes_logs", {"namespace": "gpu-ops", "pod": "nvidia-device-plugin-b"}) in tools.calls
    assert report.diagnosis.usage.steps >= 3  # facts, then three waves


def test_a_value_that_selects_nothing_skips_its_dependent_steps(tools: CannedTools, tmp_path: Path) -> None:
    cluster(tools, sick=False)
    report = run(tools, tmp_path)
    assert [name for name, _ in tools.calls if name in ("kubernetes_list", "kubernetes_logs")] == []
    assert report.diagnosis.root_cause == "unknown"


def test_a_subject_value_the_pod_lacks_skips_the_step(tools: CannedTools, tmp_path: Path) -> None:
    cluster(tools)
    run(tools, tmp_path)  # the pending pod has no node: the step naming {node} is never called
    assert not [p for name, p in tools.calls if name == "kubernetes_get" and p.get("kind") == "node"]
