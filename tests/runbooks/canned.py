"""Canned tools for runbook tests: a real ToolRegistry whose tools answer from a function of their params."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict

from holmes.toolsets.base import Tool, ToolContext, ToolError, ToolOutput, ToolRegistry


class AnyParams(BaseModel):
    model_config = ConfigDict(extra="allow")


class CannedTools:
    """Tools that answer from a function of their params, and count how often each call was made."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.registry = ToolRegistry()

    def add(self, name: str, answer: Callable[[dict[str, Any]], Any], status: str = "ok",
            timeout_s: float = 5.0) -> None:
        def fn(ctx: ToolContext, params: BaseModel) -> ToolOutput:
            values = params.model_dump()
            self.calls.append((name, values))
            data = answer(values)
            if isinstance(data, Exception):
                raise data
            return ToolOutput(text=str(data)[:200], data=data, status=status)  # type: ignore[arg-type]

        self.registry.add(Tool(name=name, description=name, params=AnyParams, fn=fn, timeout_s=timeout_s))

    def failing(self, name: str, message: str) -> None:
        self.add(name, lambda _params: ToolError(message))


def pod(name: str = "vllm-0", namespace: str = "llm", phase: str = "Pending", **status: Any) -> dict[str, Any]:
    """A pod dict in the API's shape."""
    body: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "uid": "u-1"},
        "spec": {"containers": [{"name": "server", "image": "vllm/vllm-openai:v0.8.0"}]},
        "status": {"phase": phase, **status},
    }
    return body


def unschedulable(message: str) -> dict[str, Any]:
    return {"conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                            "message": message}]}


def events(*items: tuple[str, str, str]) -> dict[str, Any]:
    """kubernetes_events data from (type, reason, message) triples."""
    return {"events": [{"type": t, "reason": r, "message": m, "count": 1, "component": "default-scheduler",
                        "object": {"kind": "Pod", "name": "vllm-0", "namespace": "llm"}} for t, r, m in items]}
