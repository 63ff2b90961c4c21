"""Container logs, bounded on the server and cut here so the lines that explain a failure survive."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from holmes.sources.kube import KubeError
from holmes.toolsets.access import kube, meta, not_found, reads_kube
from holmes.toolsets.base import Tool, ToolContext, ToolError, ToolOutput
from holmes.toolsets.render import keep_within, plural

# lines worth keeping when a log must be cut: tracebacks, CUDA/NCCL/driver errors, OOMs, probe kills
ERROR_LINE = re.compile(
    r"traceback|error|exception|out of memory|outofmemory|\boom|\bxid\b|fatal|panic|killed|keyboardinterrupt|"
    r"refused|denied|unauthorized|forbidden|gated|no space left|unspecifiedplatform|no platform detected|failed|"
    r"nccl warn|watchdog|timed out|unhealthy",
    re.IGNORECASE)
MAX_LINE_CHARS = 600
LIMIT_BYTES = 512 * 1024
GREP_LIMIT_BYTES = 4 * 1024 * 1024


def is_error_line(line: str) -> bool:
    return ERROR_LINE.search(line) is not None


class LogsParams(BaseModel):
    namespace: str = Field(description="The pod's namespace.")
    pod: str = Field(description="The pod's name.")
    container: str | None = Field(None, description="Container (or init container); default: the failing one.")
    previous: bool = Field(False, description="The log of the previous (crashed) instance of the container.")
    tail_lines: int = Field(200, ge=1, le=5000, description="How many of the newest lines to return.")
    grep: str | None = Field(None, description="Only lines matching this regular expression (case-insensitive).")
    since_seconds: int | None = Field(None, ge=1, description="Only lines newer than this many seconds.")


def pick_container(pod: dict[str, Any], wanted: str | None) -> str:
    """The named container, else the default-container annotation, else a failing one, else the first."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    init_names = [c.get("name") for c in spec.get("initContainers") or []]
    names = [c.get("name") for c in spec.get("containers") or []]
    if wanted:
        if wanted not in names + init_names:
            raise ToolError(f"pod {meta(pod).get('name')} has no container {wanted!r}; "
                            f"containers: {', '.join(names + init_names)}")
        return wanted
    default = (meta(pod).get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
    if default in names:
        return str(default)
    for key in ("initContainerStatuses", "containerStatuses"):
        for cs in status.get(key) or []:
            if _failing(cs):
                return str(cs.get("name"))
    if not names:
        raise ToolError(f"pod {meta(pod).get('name')} has no containers")
    return str(names[0])


def _failing(cs: dict[str, Any]) -> bool:
    state = cs.get("state") or {}
    waiting = (state.get("waiting") or {}).get("reason") or ""
    terminated = state.get("terminated") or {}
    return (waiting not in ("", "PodInitializing", "ContainerCreating") or int(cs.get("restartCount") or 0) > 0
            or (bool(terminated) and terminated.get("exitCode", 0) != 0))


def _fetch(ctx: ToolContext, params: LogsParams, container: str) -> str | None:
    fetch_lines = max(params.tail_lines * 20, 5000) if params.grep else params.tail_lines
    try:
        return kube(ctx).log(params.namespace, params.pod, container, previous=params.previous,
                             tail_lines=fetch_lines, since_seconds=params.since_seconds,
                             limit_bytes=GREP_LIMIT_BYTES if params.grep else LIMIT_BYTES)
    except KubeError as exc:
        if params.previous:  # the API answers 400 when the container never restarted
            return ""
        raise ToolError(str(exc)) from None


def _clip(line: str) -> str:
    """One enormous line (an engine config dump) must not eat the budget of the lines around it."""
    if len(line) <= MAX_LINE_CHARS:
        return line
    return f"{line[:MAX_LINE_CHARS]} ...[{len(line) - MAX_LINE_CHARS} more chars]"


def _grep(lines: list[str], pattern: str | None) -> list[str]:
    if not pattern:
        return lines
    try:
        regex = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ToolError(f"grep: invalid regular expression {pattern!r}: {exc}") from None
    return [line for line in lines if regex.search(line)]


@reads_kube
def kubernetes_logs(ctx: ToolContext, params: LogsParams) -> ToolOutput:
    pod = kube(ctx).get("pod", params.pod, params.namespace)
    if pod is None:
        return not_found(f"pod {params.namespace}/{params.pod}")
    container = pick_container(pod, params.container)
    text = _fetch(ctx, params, container)
    which = f"{'previous' if params.previous else 'current'} log of {params.namespace}/{params.pod} [{container}]"
    data: dict[str, Any] = {"lines": [], "container": container, "previous": params.previous, "total_lines": 0,
                            "shown": 0}
    if text is None:
        return not_found(f"pod {params.namespace}/{params.pod}")
    lines = [_clip(line) for line in text.splitlines()]
    lines = _grep(lines, params.grep)[-params.tail_lines:]
    if not lines:
        why = f" matching {params.grep!r}" if params.grep else ""
        extra = " (the container has not restarted, or its previous log is gone)" if params.previous else ""
        return ToolOutput(text=f"no lines{why} in the {which}{extra}", data=data, status="no_data")
    shown, omitted = keep_within(lines, max(100, ctx.token_budget - 60), is_error_line)
    data.update(lines=lines, total_lines=len(lines), shown=len(lines) - omitted)
    header = f"{which}: {plural(len(lines), 'line')}" + (f" matching {params.grep!r}" if params.grep else "")
    cut = None
    if omitted:
        kept_errors = sum(1 for line in shown if is_error_line(line))
        cut = (f"showing {len(lines) - omitted} of {plural(len(lines), 'line')} (head, tail and {kept_errors} "
               f"error lines); narrow with grep=, since_seconds= or a smaller tail_lines")
    return ToolOutput(text=header + "\n" + "\n".join(shown), data=data, cut=cut)


TOOLS: list[Tool[Any]] = [Tool(name="kubernetes_logs", description="", params=LogsParams, fn=kubernetes_logs)]
