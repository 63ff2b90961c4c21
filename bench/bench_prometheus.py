"""Prometheus benchmarks against a real Prometheus (Debian package `prometheus`), medians printed.

1. Summary of a wide answer: an instant query returning 10,000 series (DCGM-like labels), run through the
   prometheus_query tool: wall time from call to model-ready text, and the text's tokens (o200k_base).
   Targets: median <= 1 s and <= 2,000 tokens. Also printed: the same for a range query over those series
   (1 h, where Prometheus ranks the series) and for 100,000 series (where Prometheus cuts to the top ones).
2. Loading a bundle's metrics: for a recorded incident, check + promtool backfill + Prometheus start +
   the first gpu_metrics answer, end to end (what `holmes investigate --bundle` pays for metrics).

Usage: .venv/bin/python bench/bench_prometheus.py [--runs 7] [--bundle evals/incidents/ID]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bpe_openai  # noqa: E402, F401  (loaded, count_tokens is exact o200k_base rather than an estimate)

from holmes.bundle.loader import load_bundle  # noqa: E402
from holmes.replay.metrics import serve_metrics  # noqa: E402
from holmes.replay.openmetrics import render_family, render_openmetrics  # noqa: E402
from holmes.sources.prometheus import PrometheusReader  # noqa: E402
from holmes.toolsets.base import ToolContext, run_tool  # noqa: E402
from holmes.toolsets.metric_summary import describe, summarise_all  # noqa: E402
from holmes.toolsets.prometheus import INSTANT_LIMIT, KEEP, TOOLS  # noqa: E402
from holmes.toolsets.render import count_tokens  # noqa: E402

NOW = datetime(2025, 3, 14, 10, 20, tzinfo=UTC)
TOOL = {tool.name: tool for tool in TOOLS}


def wide_metrics(series: int, points: int) -> str:
    """`series` GPU-like series, `points` samples a minute apart ending at NOW."""
    end = NOW.timestamp()
    samples = []
    for i in range(series):
        labels = {"gpu": str(i % 8), "UUID": f"GPU-{i:08d}", "Hostname": f"gpu-node-{i // 8}",
                  "modelName": "NVIDIA H100 80GB HBM3", "namespace": f"team-{i % 40}", "pod": f"vllm-{i}"}
        samples.append((f"bench_gpu_util_{series}", labels,
                        [(end - 60 * (points - 1 - p), float((i * 7 + p) % 101)) for p in range(points)]))
    return render_openmetrics([render_family(f"bench_gpu_util_{series}", "gauge", samples)])


def timed(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    durations, last = [], None
    for _ in range(runs):
        started = time.perf_counter()
        last = fn()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations), last


def bench_summaries(runs: int) -> None:
    print("1. wide answers summarised for the model (prometheus_query / prometheus_query_range tools)")
    with tempfile.TemporaryDirectory() as scratch:
        bundle = Path(scratch)
        (bundle / "metrics").mkdir()
        (bundle / "metrics" / "ten-thousand.om").write_text(wide_metrics(10_000, 61), encoding="utf-8")
        (bundle / "metrics" / "hundred-thousand.om").write_text(wide_metrics(100_000, 1), encoding="utf-8")
        started = time.perf_counter()
        with serve_metrics(bundle) as served:
            print(f"   (backfilled {served.samples:,} samples and started Prometheus in "
                  f"{time.perf_counter() - started:.1f} s)")
            assert served.url
            ctx = ToolContext(prometheus=PrometheusReader(served.url, timeout_s=60), now=NOW, token_budget=4000)
            cases = [("instant, 10,000 series", "prometheus_query", {"query": "bench_gpu_util_10000"}),
                     ("range 1h, 10,000 series", "prometheus_query_range",
                      {"query": "bench_gpu_util_10000", "start": "now-1h"}),
                     ("instant, 100,000 series", "prometheus_query", {"query": "bench_gpu_util_100000"})]
            for name, tool, params in cases:
                run_tool(TOOL[tool], ctx, params)  # warm Prometheus' caches once
                median, result = timed(lambda t=tool, p=params: run_tool(TOOL[t], ctx, p), runs)
                tokens = count_tokens(result.text)  # type: ignore[attr-defined]
                status = result.status  # type: ignore[attr-defined]
                if name.startswith("instant, 10,000"):
                    met = "met" if median <= 1.0 and tokens <= 2000 else "MISSED"
                    verdict = f"[target <= 1 s, <= 2,000 tokens: {met}]"
                else:
                    verdict = "[no target; for scale]"
                print(f"   {name:<26} median {median * 1000:7.1f} ms   {tokens:5,} tokens   status {status}   "
                      + verdict)
                if tool == "prometheus_query":
                    answer, raw = timed(lambda q=params["query"], r=ctx.prometheus: r.query(
                        q, NOW, limit=INSTANT_LIMIT, keep=KEEP), runs)
                    summary, _ = timed(lambda r=raw: describe(r, summarise_all(r), 10, instant=True), runs)
                    print(f"   {'':<26} of which Prometheus answering (count + data): {answer * 1000:.1f} ms, "
                          f"summarising: {summary * 1000:.1f} ms")
                if name.startswith("instant, 10,000"):
                    print("   text:\n      " + "\n      ".join(result.text.splitlines()[:4]) + "\n      ...")  # type: ignore[attr-defined]


def bench_bundle(bundle_dir: Path, runs: int) -> None:
    bundle = load_bundle(bundle_dir)
    size = sum(p.stat().st_size for p in bundle.metrics)
    print(f"2. load a bundle's metrics into Prometheus and answer the first query: {bundle_dir.name} "
          f"({len(bundle.metrics)} file(s), {size / 1e6:.1f} MB)")

    def load_and_ask() -> float:
        started = time.perf_counter()
        with serve_metrics(bundle) as served:
            assert served.url
            ctx = ToolContext(prometheus=PrometheusReader(served.url), now=bundle.spec.captured_at)
            result = run_tool(TOOL["gpu_metrics"], ctx, {"recipe": "pod_gpus"})
            assert result.status in ("ok", "no_data"), result.error
            return time.perf_counter() - started

    durations = [load_and_ask() for _ in range(runs)]
    print(f"   median {statistics.median(durations):.2f} s (min {min(durations):.2f}, max {max(durations):.2f}) "
          f"over {runs} runs: check + promtool backfill + Prometheus start + first gpu_metrics answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--bundle", type=Path,
                        default=ROOT / "evals" / "incidents" / "vllm-kv-cache-saturated-metrics-only")
    args = parser.parse_args()
    if not (shutil.which("prometheus") and shutil.which("promtool")):
        sys.exit("bench_prometheus: needs the prometheus and promtool binaries (Debian package prometheus)")
    bench_summaries(args.runs)
    bench_bundle(args.bundle, max(3, args.runs // 2))


if __name__ == "__main__":
    main()
