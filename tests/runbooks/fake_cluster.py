"""A tiny in-memory cluster answering the built-in tools with their real data shapes, for library tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .canned import CannedTools


@dataclass
class FakeCluster:
    """Objects, events and logs; `tools()` exposes them through canned tools named like the real ones."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    logs: dict[tuple[str, bool], list[str]] = field(default_factory=dict)  # (container, previous) -> lines
    nodes: list[dict[str, Any]] = field(default_factory=list)  # kubernetes_nodes_gpu summaries

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o.get("kind", "").lower() == kind.lower()]

    def get(self, params: dict[str, Any]) -> Any:
        return next((o for o in self.of_kind(params["kind"]) if o["metadata"]["name"] == params["name"]), None)

    def event_list(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = [e for e in self.events
                  if (not params.get("name") or e["object"]["name"] == params["name"])
                  and (not params.get("reason") or e["reason"] == params["reason"])]
        return {"events": wanted}

    def tools(self) -> CannedTools:
        tools = CannedTools()
        tools.add("kubernetes_get", self.get)
        tools.add("kubernetes_events", self.event_list)
        tools.add("kubernetes_list", lambda p: {"items": self.of_kind(p["kind"])})
        tools.add("kubernetes_logs", lambda p: {"lines": self.logs.get((p.get("container"), bool(p.get("previous"))),
                                                                       [])})
        tools.add("kubernetes_nodes_gpu", lambda p: {"nodes": [n for n in self.nodes
                                                               if not p.get("name") or n["name"] == p["name"]]})
        tools.add("kubernetes_pvcs", lambda p: {"pvcs": self.of_kind("PersistentVolumeClaim")})
        tools.add("kubernetes_quotas", lambda p: {"quotas": self.of_kind("ResourceQuota")})
        tools.add("kubernetes_runtimeclasses", lambda p: {"runtimeclasses": self.of_kind("RuntimeClass")})
        tools.add("kubernetes_daemonsets", lambda p: {"daemonsets": self.of_kind("DaemonSet")})
        tools.add("dra_claim_templates", lambda p: {"templates": self.of_kind("ResourceClaimTemplate")})
        return tools


def event(name: str, reason: str, message: str, kind: str = "Pod", type_: str = "Warning") -> dict[str, Any]:
    return {"type": type_, "reason": reason, "message": message, "count": 3, "object": {"kind": kind, "name": name}}


def gpu_node(name: str, gpus: str = "8", allocatable: str | None = None, **labels: str) -> dict[str, Any]:
    return {"name": name, "capacity": {"nvidia.com/gpu": gpus, "cpu": "96"},
            "allocatable": {"nvidia.com/gpu": allocatable or gpus, "cpu": "95"}, "taints": [],
            "labels": {"nvidia.com/gpu.present": "true", **labels}, "conditions": [{"type": "Ready", "status": "True"}],
            "unschedulable": False, "flags": []}
