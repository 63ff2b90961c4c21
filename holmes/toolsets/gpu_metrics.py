"""gpu_metrics: run a named GPU/vLLM/container recipe for a pod, node or GPU over a window ending at now.

Device-level DCGM metrics lose their pod labels once a pod is gone, so for a pod the tool first finds
the GPUs (UUIDs) that carried its namespace/pod labels in the window, then reads those GPUs. Metrics
that are not scraped are named once, with what to check, instead of failing query by query.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field

from holmes.domain import ToolStatus
from holmes.sources.prometheus import PrometheusQueryError, PrometheusReader
from holmes.toolsets.base import Tool, ToolContext, ToolError, ToolOutput
from holmes.toolsets.gpu_recipes import RECIPES, Recipe, RecipeQuery
from holmes.toolsets.metric_summary import common_labels, label_text, number, summarise_all
from holmes.toolsets.prometheus_access import label_matchers, prometheus, range_step, reads_prometheus
from holmes.toolsets.render import fit_text, table
from holmes.toolsets.timespec import iso, parse_duration

RECIPE_POINTS = 120  # per series: a recipe looks at shape, not detail
ATTRIBUTION_METRICS = ("DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_XID_ERRORS")


class GpuMetricsParams(BaseModel):
    recipe: str = Field(description="One of: " + ", ".join(RECIPES) + ".")
    namespace: str | None = Field(default=None, description="Namespace of the pod (or all pods in it).")
    pod: str | None = Field(default=None, description="Pod name; for GPU recipes, the GPUs this pod used.")
    node: str | None = Field(default=None, description="Node name (dcgm-exporter's Hostname label).")
    gpu: str | None = Field(default=None, description="GPU index ('0') or UUID ('GPU-...').")
    window: str = Field(default="1h", description="How far back from now to look, e.g. 30m, 6h.")
    limit: int = Field(default=8, ge=1, le=30, description="Series to show per query, highest last value first.")


def _selector(recipe: Recipe, params: GpuMetricsParams, gpus: list[dict[str, str]]) -> tuple[str, list[str]]:
    """Label matchers for the recipe's exporter, and the filters it cannot apply."""
    uuids = sorted({g["UUID"] for g in gpus})
    instances = sorted({g["GPU_I_ID"] for g in gpus if g.get("GPU_I_ID")})
    wanted = {"namespace": params.namespace, "pod": params.pod, "node": params.node, "gpu": params.gpu}
    pairs: dict[str, str] = {}
    ignored = []
    for key, value in wanted.items():
        if not value:
            continue
        if key not in recipe.filters or key not in recipe.exporter.labels:
            ignored.append(key)
            continue
        if uuids and key in ("namespace", "pod"):
            continue  # replaced by the GPUs found for the pod
        label = "UUID" if key == "gpu" and value.startswith("GPU-") else recipe.exporter.labels[key]
        pairs[label] = value
    if uuids:
        pairs["UUID"] = "~" + "|".join(uuids)
    if recipe.per_instance and instances and len(instances) == len(gpus):  # MIG: the pod's instances only
        pairs["GPU_I_ID"] = "~" + "|".join(instances)
    return label_matchers(pairs, recipe.exporter.base + recipe.extra), ignored


def _pod_gpus(reader: PrometheusReader, params: GpuMetricsParams, start: Any, end: Any) -> list[dict[str, str]]:
    """The GPUs whose DCGM series carried this pod's labels in the window (one series lookup)."""
    names = "|".join(ATTRIBUTION_METRICS)
    pairs = {"pod": params.pod or ""}
    if params.namespace:
        pairs["namespace"] = params.namespace
    match = label_matchers(pairs, (f'__name__=~"{names}"',))
    found, _ = reader.series(match, start, end, limit=500)
    gpus: dict[tuple[str, str], dict[str, str]] = {}
    for labels in found:
        uuid = labels.get("UUID")
        if uuid:
            gpus[(uuid, labels.get("GPU_I_ID", ""))] = {
                k: labels[k] for k in ("UUID", "gpu", "Hostname", "modelName", "GPU_I_PROFILE", "GPU_I_ID",
                                       "namespace", "pod") if k in labels}
    return list(gpus.values())


def _choose_metric(query: RecipeQuery, present: set[str]) -> str | None:
    if any(name not in present for name in query.needs):
        return None
    return next((name for name in query.metrics if name in present), None)


def _query_block(query: RecipeQuery, metric: str, summaries: list[dict[str, Any]], total: int, limit: int) -> str:
    unit = f" [{query.unit}]" if query.unit else ""
    head = f"## {query.name}: {query.meaning}{unit} ({metric}; {total:,} series)"
    if not summaries:
        return f"{head}\nno series for this selection in the window"
    shared = {**common_labels(summaries), "__name__": metric}  # the metric is named in the heading
    changed = any(s["min"] == 0 and (s["max"] or 0) > 0 for s in summaries)
    headers = ["series", "last", "min", "max", "mean", "trend"] + (["nonzero since"] if changed else [])
    rows = []
    for s in summaries[:limit]:
        row = [label_text(s["labels"], shared), number(s["last"]), number(s["min"]), number(s["max"]),
               number(s["mean"]), s["trend"]]
        rows.append(row + ([s["first_nonzero"] or "-"] if changed else []))
    lines = [head]
    printed = {k: v for k, v in shared.items() if k != "__name__"}
    if printed:
        lines.append("common labels: " + label_text(printed, {}, width=80))
    lines.append(table(headers, rows))
    if total > limit:
        lines.append(f"(top {min(limit, len(summaries))} of {total:,} by last value; narrow with pod=, node= or gpu=)")
    return "\n".join(lines)


def _scope(params: GpuMetricsParams) -> str:
    parts = [f"{k}={v}" for k, v in (("namespace", params.namespace), ("pod", params.pod), ("node", params.node),
                                      ("gpu", params.gpu)) if v]
    return ", ".join(parts) or "all"


@reads_prometheus
def gpu_metrics(ctx: ToolContext, params: GpuMetricsParams) -> ToolOutput:
    recipe = RECIPES.get(params.recipe)
    if recipe is None:
        raise ToolError(f"unknown recipe {params.recipe!r}; recipes: {', '.join(RECIPES)}")
    reader = prometheus(ctx)
    seconds = parse_duration(params.window)
    end, start = ctx.now, ctx.now - timedelta(seconds=seconds)
    step = range_step(seconds, max_points=RECIPE_POINTS)
    rate = f"{max(300, 4 * step)}s"
    names = [recipe.exporter.canary, *(n for q in recipe.queries for n in (*q.metrics, *q.needs))]
    present = reader.present(names, end, int(seconds))
    data: dict[str, Any] = {"recipe": recipe.name, "exporter": recipe.exporter.name, "window": params.window,
                            "end": iso(end), "scope": _scope(params), "gpus": [], "attribution": "not needed",
                            "series": [], "peak": {}, "latest": {}, "lowest": {}, "missing": [], "errors": {},
                            "queries": []}
    notes: list[str] = []
    uuids: list[str] = []
    if recipe.pod_by_gpu and params.pod and present:
        data["gpus"] = _pod_gpus(reader, params, start, end)
        uuids = sorted({g["UUID"] for g in data["gpus"]})
        data["attribution"] = "found" if uuids else "missing"
        if uuids:
            notes.append("GPUs of pod " + params.pod + ": " + ", ".join(
                f"{g.get('UUID')} (gpu {g.get('gpu', '?')} on {g.get('Hostname', '?')}"
                + (f", MIG {g['GPU_I_PROFILE']} instance {g.get('GPU_I_ID', '?')}" if g.get("GPU_I_PROFILE") else "")
                + ")" for g in data["gpus"]))
        else:
            notes.append(f"no DCGM series carries pod={params.pod} in the window: dcgm-exporter has no pod "
                         "attribution here (pod never got a GPU, or DRA without KUBERNETES_ENABLE_DRA)"
                         + ("; showing every GPU of node " + params.node if params.node else
                            "; pass node= to read the GPUs of the pod's node"))
            if not params.node:
                return ToolOutput(text="\n".join([_title(recipe, params, end), *notes]), data=data, status="no_data")
    scoped = params
    if recipe.pod_by_gpu and params.pod and not uuids:  # no attribution: fall back to the node's GPUs
        scoped = params.model_copy(update={"pod": None, "namespace": None})
    selector, ignored = _selector(recipe, scoped, data["gpus"] if uuids else [])
    if ignored:
        notes.append(f"{recipe.exporter.name} metrics have no label for {', '.join(ignored)}; ignored")
    blocks = []
    for query in recipe.queries:
        block = _run_query(reader, query, present, selector, rate, start, end, step, params.limit, data)
        if block:
            blocks.append(block)
    if data["missing"]:
        hint = recipe.exporter.partial_hint if recipe.exporter.canary in present else recipe.exporter.hint
        notes.append(f"not scraped here: {', '.join(data['missing'])} (no series in the {params.window} before "
                     f"{iso(end)}): {hint}")
    status: ToolStatus = "ok" if data["series"] else "no_data"
    text, budget_cut = fit_text("\n".join([_title(recipe, params, end), *notes, *blocks]), ctx.token_budget,
                                "narrow with pod=, node= or gpu=")
    return ToolOutput(text=text, data=data, status=status, cut=budget_cut)


def _title(recipe: Recipe, params: GpuMetricsParams, end: Any) -> str:
    return (f"gpu_metrics {recipe.name} ({recipe.exporter.name}: {recipe.description}); scope {_scope(params)}; "
            f"{params.window} to {iso(end)}")


def _run_query(reader: PrometheusReader, query: RecipeQuery, present: set[str], selector: str, rate: str,
               start: Any, end: Any, step: int, limit: int, data: dict[str, Any]) -> str:
    """Run one recipe query, add its summaries to data; return its text block ('' when not scraped)."""
    metric = _choose_metric(query, present)
    if metric is None:
        data["missing"].extend(n for n in (query.metrics[0], *query.needs) if n not in present)
        return ""
    expr = query.expr.format(metric=metric, sel=selector, rate=rate)
    try:
        result = reader.query_range(expr, start, end, step, limit=200, keep=max(20, limit))
    except PrometheusQueryError as exc:
        data["errors"][query.name] = str(exc)
        return f"## {query.name}: query failed: {exc}"
    summaries = summarise_all(result, keep=max(20, limit))
    for summary in summaries:
        summary.update({"query": query.name, "metric": metric, "unit": query.unit})
    data["series"].extend(summaries)
    data["queries"].append({"name": query.name, "metric": metric, "expr": expr, "total": result.total,
                            "unit": query.unit, "meaning": query.meaning})
    valued = [s for s in summaries if s["max"] is not None]
    if valued:
        data["peak"][query.name] = max(s["max"] for s in valued)
        data["latest"][query.name] = max(s["last"] for s in valued)
        data["lowest"][query.name] = min(s["min"] for s in valued)
    return _query_block(query, metric, summaries, result.total, limit)


GPU_METRICS: Tool[Any] = Tool("gpu_metrics", "Named GPU, vLLM and container metric recipes.", GpuMetricsParams,
                              gpu_metrics, "prometheus")
