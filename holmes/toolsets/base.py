"""The toolset framework: a tool is a typed function; its parameters' JSON schema is what a model sees."""

from __future__ import annotations

import concurrent.futures as futures
import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from holmes.domain import ToolCall, ToolResult, ToolStatus

if TYPE_CHECKING:
    from holmes.sources.kube import KubeReader

P = TypeVar("P", bound=BaseModel)


@dataclass
class ToolContext:
    """What a tool may read. `now` is the capture time when replaying a recorded incident."""

    kube: KubeReader | None = None
    prometheus: Any = None  # holmes.sources.prometheus.PrometheusReader once configured
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    token_budget: int = 4000  # a tool's text should stay within about this many tokens
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class ToolOutput:
    """What a tool function returns; the runner adds the call id, timing and error handling."""

    text: str
    data: Any = None
    status: ToolStatus = "ok"
    cut: str | None = None


class ToolError(Exception):
    """A failure a tool reports to the model and the user as an error result (e.g. 'pod not found')."""


@dataclass
class Tool(Generic[P]):
    name: str
    description: str
    params: type[P]
    fn: Callable[[ToolContext, P], ToolOutput]
    toolset: str = ""
    timeout_s: float = 20.0

    def json_schema(self) -> dict[str, Any]:
        return self.params.model_json_schema()


_call_ids = itertools.count(1)


def new_call_id() -> str:
    return f"t{next(_call_ids)}"


def run_tool(tool: Tool[Any], ctx: ToolContext, params: dict[str, Any], call_id: str | None = None) -> ToolResult:
    """Run one tool under its timeout. Never raises: every failure becomes an error result."""
    call_id = call_id or new_call_id()
    started = time.perf_counter()

    def result(status: ToolStatus, text: str = "", data: Any = None, cut: str | None = None,
               error: str | None = None) -> ToolResult:
        return ToolResult(call_id=call_id, tool=tool.name, params=params, status=status, text=text, data=data,
                          cut=cut, error=error, duration_s=round(time.perf_counter() - started, 4))

    try:
        parsed = tool.params.model_validate(params)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}" for e in exc.errors())
        return result("error", error=f"bad arguments for {tool.name}: {problems}")
    pool = futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"tool-{tool.name}")
    try:
        output = pool.submit(tool.fn, ctx, parsed).result(timeout=tool.timeout_s)
    except futures.TimeoutError:
        return result("error", error=f"{tool.name} timed out after {tool.timeout_s:g}s")
    except ToolError as exc:
        return result("error", error=str(exc))
    except Exception as exc:  # a tool bug must not end the investigation
        return result("error", error=f"{tool.name} failed: {type(exc).__name__}: {exc}")
    finally:
        pool.shutdown(wait=False)
    return result(output.status, output.text, output.data, output.cut)


class ToolRegistry:
    """The enabled tools of an investigation, by name."""

    def __init__(self, tools: Iterable[Tool[Any]] = ()) -> None:
        self._tools: dict[str, Tool[Any]] = {}
        for tool in tools:
            self.add(tool)

    def add(self, tool: Tool[Any]) -> None:
        if tool.name in self._tools:
            raise ValueError(f"tool {tool.name!r} is defined twice")
        self._tools[tool.name] = tool

    def get(self, name: str) -> Tool[Any] | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return sorted(self._tools)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def run(self, ctx: ToolContext, call: ToolCall) -> ToolResult:
        tool = self.get(call.tool)
        if tool is None:
            known = ", ".join(self.names())
            return ToolResult(call_id=call.id, tool=call.tool, params=call.params, status="error",
                              error=f"unknown tool {call.tool!r}; known tools: {known}")
        return run_tool(tool, ctx, call.params, call.id)

    def run_many(self, ctx: ToolContext, calls: list[ToolCall], max_workers: int = 8) -> list[ToolResult]:
        """Run calls concurrently, keeping their order."""
        if len(calls) <= 1:
            return [self.run(ctx, c) for c in calls]
        with futures.ThreadPoolExecutor(max_workers=min(max_workers, len(calls))) as pool:
            return list(pool.map(lambda c: self.run(ctx, c), calls))
