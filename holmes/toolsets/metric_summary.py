"""Series reduced to what a reader needs: min, max, mean, last and trend per series; the top few as a table.

A model never sees raw points: one line per series, labels shared by every series printed once, and a
note that says how many series there were and how to narrow the query.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

from holmes.sources.prometheus import QueryResult, Series
from holmes.toolsets.render import table
from holmes.toolsets.timespec import iso

# labels that identify a scrape, not the thing measured; shown only when they are all that differs
_PLUMBING = ("job", "instance", "endpoint", "service", "prometheus", "pci_bus_id", "device", "DCGM_FI_DRIVER_VERSION")


def trend(points: list[tuple[float, float]]) -> str:
    """rising, falling, flat or fluctuating, from a least-squares slope against the series' own range."""
    values = [(t, v) for t, v in points if not math.isnan(v)]
    if len(values) < 2:
        return "single"
    low, high = min(v for _, v in values), max(v for _, v in values)
    if high == low:
        return "flat"
    n = len(values)
    mean_t = sum(t for t, _ in values) / n
    mean_v = sum(v for _, v in values) / n
    var_t = sum((t - mean_t) ** 2 for t, _ in values)
    cov = sum((t - mean_t) * (v - mean_v) for t, v in values)
    span = values[-1][0] - values[0][0]
    change = (cov / var_t) * span if var_t else 0.0
    scale = max(abs(high), abs(low), high - low)
    if abs(change) < 0.05 * scale:
        return "flat" if (high - low) < 0.1 * scale else "fluctuating"
    return "rising" if change > 0 else "falling"


def _plain(value: float) -> float | int:
    """Integral values as ints (20306, not 20306.0), others rounded, so evidence reads like the metric."""
    return int(value) if value.is_integer() and abs(value) < 1e15 else round(value, 6)


def summarise(series: Series) -> dict[str, Any]:
    """Per-series figures that runbook checks compare: first, last, min, max, mean, trend, first non-zero."""
    values = [v for _, v in series.points if not math.isnan(v)]
    if not values:
        return {"labels": series.labels, "points": len(series.points), "last": None, "first": None,
                "min": None, "max": None, "mean": None, "trend": "no values", "first_nonzero": None}
    nonzero = next((t for t, v in series.points if not math.isnan(v) and v != 0), None)
    return {"labels": series.labels, "points": len(series.points), "first": _plain(values[0]),
            "last": _plain(values[-1]), "min": _plain(min(values)), "max": _plain(max(values)),
            "mean": _plain(round(sum(values) / len(values), 4)),
            "trend": trend(series.points), "first_nonzero": iso(nonzero) if nonzero is not None else None}


def _sort_key(summary: dict[str, Any]) -> tuple[int, float]:
    last = summary["last"]
    return (1, 0.0) if last is None else (0, -float(last))


def _last_value(series: Series) -> float:
    for _, value in reversed(series.points):
        if not math.isnan(value):
            return value
    return -math.inf


def summarise_all(result: QueryResult, keep: int = 100) -> list[dict[str, Any]]:
    """Summaries of the `keep` series with the highest last value, highest first (only those are summarised)."""
    top = heapq.nlargest(keep, result.series, key=_last_value)
    return sorted((summarise(s) for s in top), key=_sort_key)


def number(value: Any) -> str:
    if value is None:
        return "-"
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.4g}"


def common_labels(summaries: list[dict[str, Any]]) -> dict[str, str]:
    """Labels with the same value in every series (printed once above the table)."""
    if len(summaries) < 2:
        return {}
    first = summaries[0]["labels"]
    return {k: v for k, v in first.items() if all(s["labels"].get(k) == v for s in summaries[1:])}


def label_text(labels: dict[str, str], skip: dict[str, str], width: int = 60) -> str:
    shown = {k: v for k, v in labels.items() if k not in skip}
    meaningful = {k: v for k, v in shown.items() if k not in _PLUMBING}
    chosen = meaningful or shown
    parts = [f'{k}="{v if len(v) <= width else v[: width - 1] + "…"}"' for k, v in sorted(chosen.items())]
    return "{" + ",".join(parts) + "}"


def series_table(summaries: list[dict[str, Any]], rows: int, instant: bool) -> tuple[str, dict[str, str]]:
    """The table of the top `rows` summaries and the labels they all share."""
    shared = common_labels(summaries)
    shown = summaries[:rows]
    if instant:
        body = table(["series", "value"], [[label_text(s["labels"], shared), number(s["last"])] for s in shown])
    else:
        body = table(["series", "last", "min", "max", "mean", "trend"],
                     [[label_text(s["labels"], shared), number(s["last"]), number(s["min"]), number(s["max"]),
                       number(s["mean"]), s["trend"]] for s in shown])
    return body, shared


def describe(result: QueryResult, summaries: list[dict[str, Any]], rows: int, instant: bool) -> tuple[str, str | None]:
    """Header line, shared labels, table; plus the cut note when not every series is shown."""
    if result.result_type in ("scalar", "string"):
        return f"{result.result_type}: {number(summaries[0]['last']) if summaries else '-'}", None
    body, shared = series_table(summaries, rows, instant)
    lines = []
    if shared:
        lines.append("common labels: " + label_text(shared, {}, width=80))
    lines.append(body)
    shown = min(rows, len(summaries))
    cut = None
    if result.total > shown:
        how = "chosen by Prometheus (topk) " if result.ranked_by_server else ""
        cut = (f"top {shown} of {result.total:,} series {how}by last value; narrow with label matchers "
               f"(e.g. {{namespace=\"...\"}}), an aggregation (sum by (...)) or topk(5, ...)")
    return "\n".join(lines), cut
