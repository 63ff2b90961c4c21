"""Benchmark the Kubernetes/DRA/KServe tools over the replay API: per-tool median latency and output size.

For every recorded incident in evals/incidents, each tool an investigation starts with (describe the subject's
pods, their events, logs, GPU nodes, dra_explain_pod for pods with claims) runs --runs times; printed are the
median wall time per tool across all calls and the largest text in tokens (must stay within the 4,000 budget).
Target: median <= 150 ms per call on this 2-core machine; no text over the budget.

    .venv/bin/python bench/bench_toolsets.py [--runs 5] [--incidents evals/incidents]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from holmes.bundle.loader import load_bundle  # noqa: E402
from holmes.replay.server import serve_bundle  # noqa: E402
from holmes.sources.kube import KubeReader  # noqa: E402
from holmes.toolsets.base import ToolContext, run_tool  # noqa: E402
from holmes.toolsets.catalog import load_implementations  # noqa: E402
from holmes.toolsets.render import count_tokens  # noqa: E402

MODULES = ("kubernetes", "events", "pods", "logs", "nodes", "dra", "kserve")


def calls_for(kube: KubeReader) -> list[tuple[str, dict[str, Any]]]:
    """The first calls of an investigation, for every pod of the bundle."""
    calls: list[tuple[str, dict[str, Any]]] = [("kubernetes_nodes_gpu", {}), ("kubernetes_daemonsets", {})]
    for pod in kube.list("pod").items:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        calls += [("kubernetes_describe_pod", {"namespace": ns, "name": name}),
                  ("kubernetes_events", {"namespace": ns, "kind": "Pod", "name": name}),
                  ("kubernetes_logs", {"namespace": ns, "pod": name})]
        if pod["spec"].get("resourceClaims"):
            calls.append(("dra_explain_pod", {"namespace": ns, "name": name}))
    return calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--incidents", default=str(ROOT / "evals" / "incidents"))
    args = parser.parse_args()
    tools = load_implementations(MODULES)
    times: dict[str, list[float]] = defaultdict(list)
    biggest: dict[str, int] = defaultdict(int)
    for folder in sorted(Path(args.incidents).iterdir()):
        bundle = load_bundle(folder)
        with serve_bundle(bundle) as url:
            ctx = ToolContext(kube=KubeReader.for_url(url), now=bundle.spec.captured_at)
            assert ctx.kube is not None
            for tool, params in calls_for(ctx.kube):
                for _ in range(args.runs):
                    started = time.perf_counter()
                    result = run_tool(tools[tool], ctx, params)
                    times[tool].append(time.perf_counter() - started)
                biggest[tool] = max(biggest[tool], count_tokens(result.text or ""))
    print(f"{'tool':28} {'calls':>6} {'median ms':>10} {'p90 ms':>8} {'max tokens':>11}")
    for tool in sorted(times):
        samples = sorted(times[tool])
        p90 = samples[int(len(samples) * 0.9) - 1] if len(samples) >= 10 else samples[-1]
        print(f"{tool:28} {len(samples):6d} {statistics.median(samples) * 1000:10.1f} {p90 * 1000:8.1f} "
              f"{biggest[tool]:11d}")


if __name__ == "__main__":
    main()
