"""Prometheus tools: PromQL queries, series and label discovery, metadata; every answer bounded and summarised.

All times are relative to the investigation's `now` (the capture time of a recorded incident).
An unreachable Prometheus is an error result (a gap), a PromQL mistake comes back with Prometheus's message.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field

from holmes.toolsets.base import Tool, ToolContext, ToolError, ToolOutput
from holmes.toolsets.gpu_metrics import GPU_METRICS
from holmes.toolsets.gpu_recipes import KNOWN_METRICS, not_scraped
from holmes.toolsets.metric_summary import describe, summarise_all
from holmes.toolsets.prometheus_access import prometheus, range_step, reads_prometheus
from holmes.toolsets.render import fit_text, table
from holmes.toolsets.timespec import iso, parse_duration, parse_time

# Up to these many series are fetched and summarised here; above, Prometheus ranks them and sends the top KEEP
# (cheaper than shipping every series as JSON: a shown table has ten rows, runbook data a hundred).
INSTANT_LIMIT = 2000
RANGE_LIMIT = 500
KEEP = 100


def _empty(ctx: ToolContext, query: str, when: str) -> ToolOutput:
    """No series: say once which exporter metrics of the query are not scraped at all, else how to look."""
    missing = not_scraped(prometheus(ctx), query, ctx.now)
    if missing:
        text = f"no series for {query} {when}. " + missing
    else:
        text = (f"no series for {query} {when}. Check the metric exists: prometheus_labels(label='__name__') "
                "or prometheus_series(match='{__name__=~\"DCGM.*\"}').")
    return ToolOutput(text=text, data={"query": query, "total": 0, "series": [], "not_scraped": bool(missing)},
                      status="no_data")


# --- prometheus_query ------------------------------------------------------------------------------
class QueryParams(BaseModel):
    query: str = Field(description="PromQL expression, e.g. max by (gpu, UUID) (DCGM_FI_DEV_XID_ERRORS).")
    time: str | None = Field(default=None, description="Evaluation time: RFC3339, 'now-15m'; default now.")
    limit: int = Field(default=10, ge=1, le=50, description="Series to show, highest value first.")


@reads_prometheus
def prometheus_query(ctx: ToolContext, params: QueryParams) -> ToolOutput:
    at = parse_time(params.time, ctx.now)
    result = prometheus(ctx).query(params.query, at, limit=INSTANT_LIMIT, keep=KEEP)
    if not result.series:
        return _empty(ctx, params.query, f"at {iso(at)}")
    summaries = summarise_all(result)
    body, cut = describe(result, summaries, params.limit, instant=result.result_type != "matrix")
    header = f"{params.query} at {iso(at)}: {result.total:,} series"
    text, budget_cut = fit_text(f"{header}\n{body}", ctx.token_budget)
    data = {"query": params.query, "time": iso(at), "result_type": result.result_type, "total": result.total,
            "series": summaries}
    return ToolOutput(text=text, data=data, cut=cut or budget_cut)


# --- prometheus_query_range ------------------------------------------------------------------------
class RangeParams(BaseModel):
    query: str = Field(description="PromQL expression, e.g. vllm:num_requests_waiting{namespace=\"llm\"}.")
    start: str | None = Field(default=None, description="Range start: RFC3339 or 'now-1h' (default now-1h).")
    end: str | None = Field(default=None, description="Range end: RFC3339 or 'now' (default now).")
    step: str | None = Field(default=None, description="Resolution, e.g. 30s; widened to keep ≤250 points/series.")
    limit: int = Field(default=10, ge=1, le=50, description="Series to show, highest last value first.")


@reads_prometheus
def prometheus_query_range(ctx: ToolContext, params: RangeParams) -> ToolOutput:
    end = parse_time(params.end, ctx.now)
    start = parse_time(params.start, ctx.now) if params.start else end - timedelta(hours=1)
    if start >= end:
        raise ToolError(f"start {iso(start)} is not before end {iso(end)}")
    seconds = (end - start).total_seconds()
    step = range_step(seconds, parse_duration(params.step) if params.step else None)
    result = prometheus(ctx).query_range(params.query, start, end, step, limit=RANGE_LIMIT, keep=KEEP)
    when = f"from {iso(start)} to {iso(end)}"
    if not result.series:
        return _empty(ctx, params.query, when)
    summaries = summarise_all(result)
    body, cut = describe(result, summaries, params.limit, instant=False)
    header = f"{params.query} {when} (step {step}s): {result.total:,} series"
    text, budget_cut = fit_text(f"{header}\n{body}", ctx.token_budget)
    data = {"query": params.query, "start": iso(start), "end": iso(end), "step_s": step, "total": result.total,
            "series": summaries}
    return ToolOutput(text=text, data=data, cut=cut or budget_cut)


# --- prometheus_series -----------------------------------------------------------------------------
class SeriesParams(BaseModel):
    match: str = Field(description="Series selector, e.g. DCGM_FI_DEV_FB_USED{Hostname=\"gpu-node-1\"}.")
    window: str = Field(default="1h", description="How far back from now to look, e.g. 1h, 6h.")
    limit: int = Field(default=30, ge=1, le=200, description="Label sets to show.")


@reads_prometheus
def prometheus_series(ctx: ToolContext, params: SeriesParams) -> ToolOutput:
    start = ctx.now - timedelta(seconds=parse_duration(params.window))
    found, total = prometheus(ctx).series(params.match, start, ctx.now, limit=2000)
    if not total:
        return ToolOutput(text=f"no series match {params.match} in the {params.window} before {iso(ctx.now)}",
                          data={"match": params.match, "total": 0, "series": [], "labels": {}}, status="no_data")
    values: dict[str, set[str]] = {}
    for labels in found:
        for key, value in labels.items():
            values.setdefault(key, set()).add(value)
    cardinality = {k: len(v) for k, v in sorted(values.items())}
    rows = [["{" + ",".join(f'{k}="{v}"' for k, v in sorted(s.items())) + "}"] for s in found[: params.limit]]
    lines = [f"{total:,} series match {params.match}",
             "labels (distinct values): " + ", ".join(f"{k} ({n})" for k, n in cardinality.items()),
             table(["series"], rows)]
    cut = None
    if total > params.limit:
        cut = f"showing {params.limit} of {total:,} series; add label matchers to narrow"
    text, budget_cut = fit_text("\n".join(lines), ctx.token_budget)
    data = {"match": params.match, "total": total, "series": found[: params.limit], "labels": cardinality}
    return ToolOutput(text=text, data=data, cut=cut or budget_cut)


# --- prometheus_labels -----------------------------------------------------------------------------
class LabelsParams(BaseModel):
    label: str | None = Field(default=None, description="A label whose values to list (e.g. __name__, "
                                                        "namespace); omit to list label names.")
    match: str | None = Field(default=None, description="Only series matching this selector.")
    window: str = Field(default="1h", description="How far back from now to look.")
    contains: str | None = Field(default=None, description="Keep values containing this text (e.g. DCGM).")


@reads_prometheus
def prometheus_labels(ctx: ToolContext, params: LabelsParams) -> ToolOutput:
    reader = prometheus(ctx)
    start = ctx.now - timedelta(seconds=parse_duration(params.window))
    if params.label:
        values = reader.label_values(params.label, start, ctx.now, match=params.match)
        what = f"values of {params.label}"
    else:
        values = reader.label_names(start, ctx.now)
        what = "label names"
    if params.contains:
        values = [v for v in values if params.contains.lower() in v.lower()]
    if not values:
        return ToolOutput(text=f"no {what} in the {params.window} before {iso(ctx.now)}",
                          data={"values": [], "total": 0}, status="no_data")
    shown = values[:200]
    cut = f"showing 200 of {len(values):,}; narrow with contains= or match=" if len(values) > 200 else None
    text, budget_cut = fit_text(f"{len(values):,} {what}:\n" + "\n".join(shown), ctx.token_budget)
    return ToolOutput(text=text, data={"values": shown, "total": len(values)}, cut=cut or budget_cut)


# --- prometheus_metadata ---------------------------------------------------------------------------
class MetadataParams(BaseModel):
    metric: str | None = Field(default=None, description="Metric name; omit for every metric (bounded).")


@reads_prometheus
def prometheus_metadata(ctx: ToolContext, params: MetadataParams) -> ToolOutput:
    rows = prometheus(ctx).metadata(params.metric)
    source = "Prometheus"
    if not rows:  # backfilled data has no metadata: fall back to holmes's notes on GPU/vLLM metrics
        names = [params.metric] if params.metric else sorted(KNOWN_METRICS)
        rows = [{"metric_name": n, **KNOWN_METRICS[n]} for n in names if n in KNOWN_METRICS]
        source = "holmes's notes (Prometheus has no metadata for these: it comes from live scrapes)"
    if not rows:
        return ToolOutput(text=f"no metadata for {params.metric or 'any metric'}", data={"metadata": []},
                          status="no_data")
    shown = rows[:100]
    body = table(["metric", "type", "unit", "help"],
                 [[r["metric_name"], r.get("type", ""), r.get("unit", ""), r.get("help", "")[:160]] for r in shown])
    cut = f"showing 100 of {len(rows):,}; pass metric=" if len(rows) > 100 else None
    text, budget_cut = fit_text(f"metadata from {source}:\n{body}", ctx.token_budget)
    return ToolOutput(text=text, data={"metadata": shown, "source": source}, cut=cut or budget_cut)


TOOLSET = "prometheus"
TOOLS: list[Tool[Any]] = [
    Tool("prometheus_query", "Instant PromQL query at now.", QueryParams, prometheus_query, TOOLSET),
    Tool("prometheus_query_range", "Range PromQL query summarised per series.", RangeParams,
         prometheus_query_range, TOOLSET),
    Tool("prometheus_series", "Series matching a selector.", SeriesParams, prometheus_series, TOOLSET),
    Tool("prometheus_labels", "Label names or a label's values.", LabelsParams, prometheus_labels, TOOLSET),
    Tool("prometheus_metadata", "Metric type, unit and help.", MetadataParams, prometheus_metadata, TOOLSET),
    GPU_METRICS,
]
