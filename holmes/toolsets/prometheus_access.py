"""How Prometheus-backed tools reach the server: the configured reader, and its failures as tool errors."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, TypeVar

from holmes.sources.prometheus import PrometheusError, PrometheusReader
from holmes.toolsets.base import ToolContext, ToolError, ToolOutput

F = TypeVar("F", bound=Callable[..., ToolOutput])

MAX_POINTS = 250  # per series in a range query


def prometheus(ctx: ToolContext) -> PrometheusReader:
    """The context's reader; without one the tool says so (a gap), it does not fail obscurely."""
    if ctx.prometheus is None:
        raise ToolError("no Prometheus configured (prometheus.url); metrics cannot be read")
    reader: PrometheusReader = ctx.prometheus
    return reader


def reads_prometheus(fn: F) -> F:
    """Turn PrometheusError (unreachable, timeout, bad PromQL) into a one-line tool error."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> ToolOutput:
        try:
            return fn(*args, **kwargs)
        except PrometheusError as exc:
            raise ToolError(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def range_step(seconds: float, requested: float | None = None, max_points: int = MAX_POINTS) -> int:
    """A step (s) no finer than requested that keeps a series at or below max_points."""
    minimum = math.ceil(seconds / max_points) if seconds > 0 else 1
    return max(1, minimum, math.ceil(requested or 0))


def label_matchers(pairs: dict[str, str], extra: tuple[str, ...] = ()) -> str:
    """{a="x",b=~"y|z"} from exact values (a value starting with '~' is a regex), or '' when empty."""
    parts = list(extra)
    for key, value in pairs.items():
        operator = "=~" if value.startswith("~") else "="
        raw = value[1:] if value.startswith("~") else value
        escaped = raw.replace("\\", "\\\\").replace('"', '\\"')
        parts.append(f'{key}{operator}"{escaped}"')
    return "{" + ",".join(parts) + "}" if parts else ""
