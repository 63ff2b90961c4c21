"""Prometheus tools and GPU recipes against a real Prometheus serving backfilled DCGM/vLLM/cAdvisor metrics."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from holmes.config import Settings
from holmes.domain import ToolResult
from holmes.replay.metrics import serve_metrics
from holmes.sources.prometheus import PrometheusReader
from holmes.toolsets.base import ToolContext, run_tool
from holmes.toolsets.catalog import load_catalog
from holmes.toolsets.prometheus import TOOLS
from holmes.toolsets.render import count_tokens

from .gpu_metrics_data import BIG_SERIES, NOW_DT, UUIDS, openmetrics_text

pytestmark = [
    pytest.mark.prometheus,
    pytest.mark.skipif(not (shutil.which("prometheus") and shutil.which("promtool")),
                       reason="needs the prometheus and promtool binaries (Debian package prometheus)"),
]
TOOL = {tool.name: tool for tool in TOOLS}


@pytest.fixture(scope="module")
def prom_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    bundle = tmp_path_factory.mktemp("bundle")
    (bundle / "metrics").mkdir()
    (bundle / "metrics" / "gpu.om").write_text(openmetrics_text(), encoding="utf-8")
    with serve_metrics(bundle) as served:
        assert served.url, served.reason
        yield served.url


@pytest.fixture
def ctx(prom_url: str) -> ToolContext:
    return ToolContext(prometheus=PrometheusReader(prom_url), now=NOW_DT, token_budget=4000)


def call(ctx: ToolContext, name: str, **params: Any) -> ToolResult:
    return run_tool(TOOL[name], ctx, params)


# --- generic PromQL tools --------------------------------------------------------------------------
def test_instant_query_is_evaluated_at_the_incident_time_and_sorted_by_value(ctx: ToolContext) -> None:
    result = call(ctx, "prometheus_query", query="DCGM_FI_DEV_FB_USED")
    assert result.status == "ok"
    assert result.data["time"] == "2025-03-14T10:20:00Z"
    lasts = [s["last"] for s in result.data["series"]]
    assert lasts == sorted(lasts, reverse=True) and lasts[0] == 70000
    assert 'Hostname="gpu-node-1"' in result.text.split("\n")[1]  # shared labels printed once
    assert result.text.count("gpu-node-1") == 1


def test_relative_time_reads_the_past_of_the_incident(ctx: ToolContext) -> None:
    before = call(ctx, "prometheus_query", query=f'DCGM_FI_DEV_XID_ERRORS{{UUID="{UUIDS[1]}"}}', time="now-30m")
    after = call(ctx, "prometheus_query", query=f'max(DCGM_FI_DEV_XID_ERRORS{{UUID="{UUIDS[1]}"}})')
    assert before.data["series"][0]["last"] == 0
    assert after.data["series"][0]["last"] == 79


def test_promql_syntax_error_is_an_error_result_with_prometheus_message(ctx: ToolContext) -> None:
    result = call(ctx, "prometheus_query", query="rate(DCGM_FI_DEV_GPU_UTIL[5m]")
    assert result.status == "error"
    assert "parse error" in (result.error or "")


def test_unknown_metric_is_no_data_with_a_hint(ctx: ToolContext) -> None:
    result = call(ctx, "prometheus_query", query="holmes_not_a_metric")
    assert result.status == "no_data"
    assert "prometheus_labels" in result.text


def test_exporter_metric_that_is_not_scraped_says_so_once(ctx: ToolContext) -> None:
    result = call(ctx, "prometheus_query", query="max by (gpu) (DCGM_FI_PROF_SM_ACTIVE) / 2")
    assert result.status == "no_data" and result.data["not_scraped"]
    assert result.text.count("not scraped here: DCGM_FI_PROF_SM_ACTIVE") == 1
    assert "counters CSV does not enable" in result.text  # dcgm-exporter itself is scraped here


def test_filter_matching_nothing_is_not_called_unscraped(ctx: ToolContext) -> None:
    result = call(ctx, "prometheus_query", query='DCGM_FI_DEV_GPU_UTIL{Hostname="no-such-node"}')
    assert result.status == "no_data" and not result.data["not_scraped"]


def test_range_query_summarises_each_series_with_its_trend(ctx: ToolContext) -> None:
    result = call(ctx, "prometheus_query_range", query="vllm:num_requests_waiting", start="now-1h", step="60s")
    summary = result.data["series"][0]
    assert (summary["first"], summary["last"], summary["trend"]) == (0, 720, "rising")
    assert summary["min"] == 0 and summary["max"] == 720
    assert "rising" in result.text


def test_range_step_is_widened_to_keep_a_few_hundred_points(ctx: ToolContext) -> None:
    result = call(ctx, "prometheus_query_range", query="vllm:num_requests_running", start="now-7d", step="1s")
    assert result.data["step_s"] >= 7 * 86400 / 250
    assert all(s["points"] <= 250 for s in result.data["series"])


def test_hundred_thousand_series_give_a_bounded_summary(ctx: ToolContext) -> None:
    result = call(ctx, "prometheus_query", query="holmes_test_big")
    assert result.status == "ok"
    assert result.data["total"] == BIG_SERIES
    assert len(result.data["series"]) <= 100
    assert result.cut and "top 10 of 100,000 series" in result.cut and "topk" in result.cut
    assert count_tokens(result.text) <= 2000


def test_series_discovery_reports_label_cardinality(ctx: ToolContext) -> None:
    result = call(ctx, "prometheus_series", match="DCGM_FI_DEV_GPU_UTIL")
    assert result.data["total"] == 5  # four GPUs, gpu 1 twice: with its pod's labels, then without (crashed)
    assert result.data["labels"]["gpu"] == 4 and result.data["labels"]["pod"] == 2


def test_label_values_list_exporters_metric_names(ctx: ToolContext) -> None:
    result = call(ctx, "prometheus_labels", label="__name__", contains="vllm")
    assert set(result.data["values"]) == {"vllm:num_requests_running", "vllm:num_requests_waiting",
                                          "vllm:gpu_cache_usage_perc", "vllm:num_preemptions_total"}


def test_metadata_falls_back_to_notes_for_backfilled_data(ctx: ToolContext) -> None:
    result = call(ctx, "prometheus_metadata", metric="DCGM_FI_DEV_XID_ERRORS")
    assert result.status == "ok"
    assert "last Xid" in result.text and "holmes's notes" in result.data["source"]


# --- gpu_metrics recipes ---------------------------------------------------------------------------
def test_xid_of_a_crashed_pod_is_found_through_its_gpu(ctx: ToolContext) -> None:
    result = call(ctx, "gpu_metrics", recipe="xid", namespace="llm", pod="vllm-1")
    assert result.status == "ok"
    assert [g["UUID"] for g in result.data["gpus"]] == [UUIDS[1]]
    assert result.data["peak"]["xid_last"] == 79
    # the series after the crash has no pod label: it is still read, through the GPU's UUID
    assert any("pod" not in s["labels"] and s["last"] == 79 for s in result.data["series"])
    assert {s["labels"]["UUID"] for s in result.data["series"]} == {UUIDS[1]}
    assert result.data["series"][0]["first_nonzero"] == "2025-03-14T09:55:00Z"


def test_missing_exporter_metrics_are_named_once(ctx: ToolContext) -> None:
    result = call(ctx, "gpu_metrics", recipe="health", pod="vllm-1")
    assert result.data["missing"].count("DCGM_EXP_XID_ERRORS_COUNT") == 1
    assert result.text.count("not scraped here") == 1
    assert "counters CSV" in result.text  # dcgm-exporter is scraped: the fields are off, not the exporter
    assert result.data["peak"]["ecc_dbe_volatile"] == 2


def test_recipe_with_nothing_scraped_is_no_data_not_an_error(ctx: ToolContext) -> None:
    result = call(ctx, "gpu_metrics", recipe="latency", namespace="llm", pod="vllm-0")
    assert result.status == "no_data"
    assert result.text.count("not scraped here") == 1
    assert "this vLLM version does not export these" in result.text


def test_kv_cache_recipe_reads_the_old_metric_name(ctx: ToolContext) -> None:
    result = call(ctx, "gpu_metrics", recipe="kv_cache", namespace="llm", pod="vllm-0")
    assert result.data["peak"]["kv_cache_usage"] == pytest.approx(0.997)
    kv = next(q for q in result.data["queries"] if q["name"] == "kv_cache_usage")
    assert kv["metric"] == "vllm:gpu_cache_usage_perc"
    waiting = next(s for s in result.data["series"] if s["query"] == "waiting")
    assert waiting["trend"] == "rising"
    assert result.data["latest"]["preemptions"] == pytest.approx(15, rel=0.2)  # 3/min over a 5 min window


def test_unattributed_memory_shows_memory_no_pod_owns(ctx: ToolContext) -> None:
    result = call(ctx, "gpu_metrics", recipe="unattributed_memory", node="gpu-node-1")
    held = {s["labels"]["gpu"]: s["min"] for s in result.data["series"]}
    assert held["2"] == 20480 and held["3"] == 0
    assert "0" not in held  # gpu 0 belongs to a running pod


def test_cpu_throttling_ratio_and_cores(ctx: ToolContext) -> None:
    result = call(ctx, "gpu_metrics", recipe="cpu_throttling", namespace="llm", pod="vllm-0")
    assert result.data["latest"]["throttled_ratio"] == pytest.approx(0.6, abs=0.01)
    assert result.data["latest"]["cpu_cores"] == pytest.approx(2.0, abs=0.05)


def test_utilization_for_a_pod_reads_only_its_gpu(ctx: ToolContext) -> None:
    result = call(ctx, "gpu_metrics", recipe="utilization", namespace="llm", pod="vllm-0")
    util = [s for s in result.data["series"] if s["query"] == "gpu_util"]
    assert [s["last"] for s in util] == [95]
    assert "DCGM_FI_PROF_GR_ENGINE_ACTIVE" in result.data["missing"]


def test_pod_without_gpu_attribution_says_why(ctx: ToolContext) -> None:
    result = call(ctx, "gpu_metrics", recipe="xid", namespace="llm", pod="never-ran")
    assert result.status == "no_data"
    assert result.data["attribution"] == "missing"
    assert "KUBERNETES_ENABLE_DRA" in result.text and "node=" in result.text


def test_pod_without_attribution_falls_back_to_its_node(ctx: ToolContext) -> None:
    result = call(ctx, "gpu_metrics", recipe="xid", namespace="llm", pod="never-ran", node="gpu-node-1")
    assert result.data["peak"]["xid_last"] == 79
    assert len({s["labels"]["UUID"] for s in result.data["series"]}) == 4


def test_unknown_recipe_lists_the_recipes(ctx: ToolContext) -> None:
    result = call(ctx, "gpu_metrics", recipe="gpu_happiness")
    assert result.status == "error"
    assert "kv_cache" in (result.error or "") and "health" in (result.error or "")


def test_every_recipe_runs_without_error(ctx: ToolContext) -> None:
    from holmes.toolsets.gpu_recipes import RECIPES

    for name in RECIPES:
        result = call(ctx, "gpu_metrics", recipe=name, namespace="llm", pod="vllm-0", node="gpu-node-1")
        assert result.status in ("ok", "no_data"), (name, result.error)
        assert not result.data["errors"], (name, result.data["errors"])
        assert count_tokens(result.text) <= 4000


# --- without a usable Prometheus -------------------------------------------------------------------
def test_no_prometheus_configured_is_an_error_result() -> None:
    result = run_tool(TOOL["gpu_metrics"], ToolContext(now=NOW_DT), {"recipe": "xid"})
    assert result.status == "error" and "no Prometheus configured" in (result.error or "")


def test_unreachable_prometheus_is_a_one_line_error_result() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctx = ToolContext(prometheus=PrometheusReader(f"http://127.0.0.1:{port}", timeout_s=2), now=NOW_DT)
    result = call(ctx, "prometheus_query", query="up")
    assert result.status == "error" and "cannot reach Prometheus" in (result.error or "")
    assert "\n" not in (result.error or "")


def test_hanging_prometheus_times_out_as_an_error_result() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)  # accepts into the backlog and never answers
        reader = PrometheusReader(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout_s=0.5)
        result = call(ToolContext(prometheus=reader, now=NOW_DT), "gpu_metrics", recipe="memory",
                      node="gpu-node-1")
    assert result.status == "error" and "did not answer within 0.5s" in (result.error or "")


def test_catalog_joins_the_prometheus_yaml_to_these_tools() -> None:
    catalog = load_catalog(Settings())
    spec = catalog.toolsets["prometheus"]
    assert spec.requires == "prometheus"
    assert set(spec.tools) == set(TOOL)


def test_window_argument_is_relative_to_now(ctx: ToolContext) -> None:
    short = call(ctx, "gpu_metrics", recipe="xid", namespace="llm", pod="vllm-1", window="20m")
    # vllm-1 crashed at minute 40 (20 minutes before now): its labelled series still ends inside the window
    assert short.data["peak"]["xid_last"] == 79
    assert short.data["end"] == (NOW_DT + timedelta(0)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_serve_metrics_accepts_a_loaded_bundle_object(tmp_path: Path) -> None:
    class Loaded:
        root = tmp_path

    assert not list(tmp_path.glob("metrics"))
    with serve_metrics(Loaded()) as served:
        assert served.url is None and served.reason == "this bundle has no metrics"


def test_exporter_not_scraped_at_all_says_to_check_the_scrape(tmp_path: Path) -> None:
    from holmes.replay.openmetrics import render_family, render_openmetrics

    (tmp_path / "metrics").mkdir()
    gpu_only = render_family("DCGM_FI_DEV_FB_USED", "gauge", [
        ("DCGM_FI_DEV_FB_USED", {"gpu": "0", "UUID": UUIDS[0], "Hostname": "gpu-node-1"},
         [(NOW_DT.timestamp() - 60, 1024.0), (NOW_DT.timestamp(), 1024.0)])])
    (tmp_path / "metrics" / "dcgm.om").write_text(render_openmetrics([gpu_only]), encoding="utf-8")
    with serve_metrics(tmp_path) as served:
        assert served.url
        ctx = ToolContext(prometheus=PrometheusReader(served.url), now=NOW_DT)
        result = call(ctx, "gpu_metrics", recipe="kv_cache", namespace="llm", pod="vllm-0")
    assert result.status == "no_data"
    assert result.text.count("not scraped here") == 1
    assert "is vLLM's /metrics endpoint scraped" in result.text


def test_mig_pod_reads_its_own_instance_for_use_and_the_whole_gpu_for_faults(tmp_path: Path) -> None:
    from holmes.replay.openmetrics import render_family, render_openmetrics

    end = NOW_DT.timestamp()
    points = [end - 60, end]

    def instance(gpu_i_id: str, pod: str) -> dict[str, str]:
        return {"gpu": "0", "UUID": UUIDS[0], "Hostname": "gpu-node-9", "GPU_I_PROFILE": "3g.40gb",
                "GPU_I_ID": gpu_i_id, "namespace": "llm", "pod": pod, "container": "vllm"}

    families = [
        render_family("DCGM_FI_DEV_FB_USED", "gauge", [
            ("DCGM_FI_DEV_FB_USED", instance("1", "mig-a"), [(t, 30_000.0) for t in points]),
            ("DCGM_FI_DEV_FB_USED", instance("2", "mig-b"), [(t, 9_000.0) for t in points])]),
        render_family("DCGM_FI_DEV_XID_ERRORS", "gauge", [
            ("DCGM_FI_DEV_XID_ERRORS", {"gpu": "0", "UUID": UUIDS[0], "Hostname": "gpu-node-9"},
             [(t, 94.0) for t in points])]),
    ]
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "mig.om").write_text(render_openmetrics(families), encoding="utf-8")
    with serve_metrics(tmp_path) as served:
        assert served.url
        ctx = ToolContext(prometheus=PrometheusReader(served.url), now=NOW_DT)
        memory = call(ctx, "gpu_metrics", recipe="memory", namespace="llm", pod="mig-b")
        faults = call(ctx, "gpu_metrics", recipe="xid", namespace="llm", pod="mig-b")
    assert [s["last"] for s in memory.data["series"]] == [9000]  # not the neighbour instance's 30,000
    assert memory.data["gpus"][0]["GPU_I_PROFILE"] == "3g.40gb" and "instance 2" in memory.text
    assert faults.data["peak"]["xid_last"] == 94  # a device-level Xid, reported without instance labels
