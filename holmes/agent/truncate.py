"""Fits one tool result into its share of the context window, cutting with sense and saying what was cut."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from holmes.agent.tokens import TokenCounter
from holmes.domain import ToolResult

# lines worth keeping from the middle of a long log
_SIGNAL = re.compile(r"error|exception|traceback|fatal|panic|fail|refused|denied|forbidden|unauthori[sz]ed|"
                     r"killed|oom|out of memory|xid|nccl|cuda|segfault|timed? ?out|crash|back-off|evict", re.IGNORECASE)
# parameters that make a call return less, offered to the model when a result is cut
_NARROWING = ("grep", "since_seconds", "tail_lines", "container", "previous", "name", "pod", "reason", "type",
              "kind", "label_selector", "field_selector", "limit", "namespace", "node", "driver", "gpu", "match",
              "start", "end", "step", "query")
_NOTE_RESERVE = 80  # tokens kept free for the note that says what was cut


@dataclass(frozen=True)
class Fitted:
    """A result's text as the model will see it, and a note when anything was left out."""

    text: str
    cut: str | None
    tokens: int


def narrowing_params(schema: dict[str, Any] | None) -> list[str]:
    """The tool's parameters that narrow its output, in a useful order."""
    properties = (schema or {}).get("properties", {})
    return [name for name in _NARROWING if name in properties]


def fit_result(result: ToolResult, max_tokens: int, counter: TokenCounter,
               narrowing: list[str] | None = None) -> Fitted:
    """Keep the result whole when it fits; otherwise cut it by the shape of its data."""
    text = result.text if result.status != "error" else (result.error or result.text or "error")
    total = counter.count(text)
    if total <= max_tokens:
        return Fitted(text, result.cut, total)
    room = max(max_tokens - _NOTE_RESERVE, 16)
    data = result.data if isinstance(result.data, dict | list) else None
    series = _matrix(data)
    if isinstance(data, dict) and isinstance(data.get("lines"), list):
        kept, what = _cut_log(text.splitlines(), room, counter)
    elif isinstance(data, dict) and isinstance(data.get("events"), list):
        kept, what = _cut_newest_first(text.splitlines(), room, counter, "events (newest first)")
    elif series:
        kept, what = _summarise_series(series, room, counter)
    else:
        kept, what = _cut_newest_first(text.splitlines(), room, counter, "lines")
    kept = counter.head(kept, room)  # a single huge line can still overflow: cut it at a token boundary
    hint = f"; narrow the call with {', '.join(narrowing)}" if narrowing else "; narrow the call's arguments"
    note = f"{what} (result had {total} tokens, share is {max_tokens}){hint}"
    if result.cut:
        note = f"{result.cut}; then {note}"
    return Fitted(kept, note, counter.count(kept))


def _line_tokens(lines: list[str], counter: TokenCounter) -> list[int]:
    return [counter.count(line) + 1 for line in lines]


def _take(indices: list[int], costs: list[int], room: int) -> list[int]:
    taken, used = [], 0
    for i in indices:
        if used + costs[i] > room:
            break
        taken.append(i)
        used += costs[i]
    return taken


def _cut_log(lines: list[str], room: int, counter: TokenCounter) -> tuple[str, str]:
    """Head and tail of a log, plus the error-looking lines between them."""
    costs = _line_tokens(lines, counter)
    head = _take(list(range(len(lines))), costs, room // 4)
    tail = _take(list(range(len(lines) - 1, -1, -1)), costs, room // 2)
    tail = [i for i in tail if i not in set(head)]
    used = sum(costs[i] for i in head + tail)
    middle = [i for i in range(len(head), len(lines) - len(tail)) if _SIGNAL.search(lines[i])]
    # the latest error lines matter most; the first one often names the cause, so keep it too
    ordered = middle[:1] + middle[:0:-1] if middle else []
    signals = sorted(_take(ordered, costs, max(room - used, 0)))
    keep = sorted(set(head) | set(tail) | set(signals))
    return _render_with_gaps(lines, keep), (
        f"log: kept {len(keep)} of {len(lines)} lines (first {len(head)}, last {len(tail)}, "
        f"{len(signals)} of {len(middle)} error-looking lines between)")


def _cut_newest_first(lines: list[str], room: int, counter: TokenCounter, what: str) -> tuple[str, str]:
    """Keep the leading lines (tools list newest first) and say how many were left out."""
    costs = _line_tokens(lines, counter)
    keep = _take(list(range(len(lines))), costs, room)
    return "\n".join(lines[i] for i in keep), f"kept the first {len(keep)} of {len(lines)} {what}"


def _render_with_gaps(lines: list[str], keep: list[int]) -> str:
    out, previous = [], -1
    for i in keep:
        if i - previous > 1:
            out.append(f"... [{i - previous - 1} lines omitted] ...")
        out.append(lines[i])
        previous = i
    if previous < len(lines) - 1:
        out.append(f"... [{len(lines) - 1 - previous} lines omitted] ...")
    return "\n".join(out)


def _matrix(data: Any) -> list[dict[str, Any]]:
    """Prometheus range series in any of the shapes tools return (`result`, `series`, or a bare list)."""
    if isinstance(data, dict):
        data = data.get("result", data.get("series", data.get("data")))
        if isinstance(data, dict):
            data = data.get("result")
    if isinstance(data, list) and data and all(isinstance(s, dict) and isinstance(s.get("values"), list)
                                               for s in data):
        return data
    return []


def _summarise_series(series: list[dict[str, Any]], room: int, counter: TokenCounter) -> tuple[str, str]:
    """One line per series: first, last, min, max and the sample count instead of every sample."""
    lines = [_series_line(s) for s in series]
    costs = _line_tokens(lines, counter)
    keep = _take(list(range(len(lines))), costs, room)
    samples = sum(len(s["values"]) for s in series)
    return "\n".join(lines[i] for i in keep), (
        f"series summarised: {samples} samples of {len(series)} series shown as first/last/min/max, "
        f"{len(keep)} of {len(series)} series listed")


def _series_line(series: dict[str, Any]) -> str:
    labels = ",".join(f'{k}="{v}"' for k, v in sorted((series.get("metric") or {}).items()))
    numbers = []
    for point in series["values"]:
        try:
            numbers.append((point[0], float(point[1])))
        except (TypeError, ValueError, IndexError):
            continue
    if not numbers:
        return f"{{{labels}}} no numeric samples"
    values = [v for _, v in numbers]
    return (f"{{{labels}}} samples={len(values)} first={values[0]:g}@{numbers[0][0]} last={values[-1]:g}"
            f"@{numbers[-1][0]} min={min(values):g} max={max(values):g}")
