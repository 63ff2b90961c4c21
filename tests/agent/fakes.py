"""Small in-memory tools and an engine report for loop-mechanics tests (fakes, not a cluster)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from holmes.config import Settings
from holmes.domain import Diagnosis, Evidence, Finding, ToolResult, Usage
from holmes.toolsets.base import Tool, ToolContext, ToolOutput, ToolRegistry, new_call_id

POD_EVENTS = [
    "Warning FailedScheduling default-scheduler 0/3 nodes are available: 1 node(s) had untolerated taint "
    "{nvidia.com/gpu: present}, 2 Insufficient nvidia.com/gpu.",
    "Normal Scheduled default-scheduler (older) Successfully assigned llm/other to gpu-node-2",
]


class EventsParams(BaseModel):
    namespace: str
    name: str | None = None


class LogsParams(BaseModel):
    namespace: str
    pod: str
    container: str | None = None
    tail_lines: int = 100
    grep: str | None = None


class NodesParams(BaseModel):
    name: str | None = None


class ProbeParams(BaseModel):
    label: str


@dataclass
class FakeCluster:
    """What the fake tools read; `calls` counts how often each tool really ran."""

    events: list[str] = field(default_factory=lambda: list(POD_EVENTS))
    log_lines: list[str] = field(default_factory=lambda: [f"INFO step {i}" for i in range(20)])
    nodes_text: str = "gpu-node-1 taints=[nvidia.com/gpu=present:NoSchedule] allocatable nvidia.com/gpu=8 " \
                      "uuid=GPU-8f2c3b4a-1d2e-4f50-9a6b-7c8d9e0f1a2b"
    calls: Counter[str] = field(default_factory=Counter)
    barrier: threading.Barrier | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, tool: str) -> None:
        with self.lock:
            self.calls[tool] += 1


def fake_tools(cluster: FakeCluster) -> list[Tool[Any]]:
    def events(ctx: ToolContext, p: EventsParams) -> ToolOutput:
        cluster.count("kubernetes_events")
        return ToolOutput(text="\n".join(cluster.events), data={"events": [{"message": e} for e in cluster.events]})

    def logs(ctx: ToolContext, p: LogsParams) -> ToolOutput:
        cluster.count("kubernetes_logs")
        lines = cluster.log_lines[-p.tail_lines:]
        if p.grep:
            lines = [line for line in lines if p.grep in line]
        return ToolOutput(text="\n".join(lines), data={"lines": lines})

    def nodes(ctx: ToolContext, p: NodesParams) -> ToolOutput:
        cluster.count("kubernetes_nodes_gpu")
        return ToolOutput(text=cluster.nodes_text, data={"nodes": []})

    def probe(ctx: ToolContext, p: ProbeParams) -> ToolOutput:
        cluster.count("probe")
        if cluster.barrier is not None:
            cluster.barrier.wait()  # only passes when the other call of the turn runs at the same time
        return ToolOutput(text=f"probe {p.label} ok")

    return [
        Tool("kubernetes_events", "Events of an object, newest first.", EventsParams, events, "kubernetes"),
        Tool("kubernetes_logs", "Container logs. Use grep to narrow.", LogsParams, logs, "kubernetes"),
        Tool("kubernetes_nodes_gpu", "GPU nodes: capacity, taints, labels.", NodesParams, nodes, "kubernetes"),
        Tool("probe", "A probe that waits for its sibling call.", ProbeParams, probe, "test", timeout_s=5),
    ]


def registry_for(cluster: FakeCluster) -> ToolRegistry:
    return ToolRegistry(fake_tools(cluster))


@dataclass
class FakeRunbook:
    name: str
    instructions: str


@dataclass
class FakeMatch:
    runbook: FakeRunbook
    reason: str


@dataclass
class FakeEngineReport:
    """Shaped like the runbook engine's report: diagnosis, results, matched runbooks, findings."""

    diagnosis: Diagnosis
    results: list[ToolResult]
    matched: list[FakeMatch]
    findings: list[Finding]


def engine_report(ctx: ToolContext, registry: ToolRegistry) -> FakeEngineReport:
    """The engine has read the pod's events and concluded an untolerated taint."""
    from holmes.domain import ToolCall

    result = registry.run(ctx, ToolCall(id=new_call_id(), tool="kubernetes_events",
                                        params={"namespace": "llm", "name": "kvcache-helper"}))
    evidence = [Evidence(tool="kubernetes_events", call_id=result.call_id,
                         excerpt="untolerated taint {nvidia.com/gpu: present}")]
    finding = Finding(root_cause="scheduling.gpu_taint_untolerated", title="Untolerated GPU taint", confidence=0.9,
                      summary="The pod does not tolerate the GPU node taint.", evidence=evidence,
                      remediation=["add a toleration for nvidia.com/gpu"])
    diagnosis = Diagnosis(root_cause=finding.root_cause, title=finding.title, summary=finding.summary,
                          confidence=0.9, evidence=evidence, remediation=finding.remediation,
                          runbooks_used=["pending-gpu-pod"], gaps=["node pool autoscaling not checked"],
                          usage=Usage(tool_calls=1, wall_s=0.01))
    runbook = FakeRunbook("pending-gpu-pod", "Read the pod's scheduling events, then the GPU nodes' taints and "
                                             "allocatable GPUs. Compare tolerations with taints.")
    return FakeEngineReport(diagnosis, [result], [FakeMatch(runbook, "pod is Pending and requests a GPU")], [finding])


def settings(**agent: Any) -> Settings:
    base = {"max_steps": 6, "max_total_tokens": 60000, "max_wall_s": 30.0, "max_cost": 1.0}
    base.update(agent)
    return Settings(agent=base, llm={"provider": "openai", "model": "test", "context_window": 8192,
                                     "max_output_tokens": 256})
