"""Median in-process time of a deterministic diagnosis (`diagnose`) over every recorded incident.

The bundle is served by the replay API and (with metrics) a real Prometheus, opened once per incident; the
timed part is `diagnose` alone: facts, runbook selection, every tool call over HTTP, checks and ranking.
Target: median <= 200 ms. Run: .venv/bin/python bench/bench_engine.py [--repeat N] [NAME...]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from holmes.bundle.loader import load_spec
from holmes.config import Settings
from holmes.investigation import open_sources, tool_context
from holmes.runbooks.engine import diagnose
from holmes.runbooks.library import load_library
from holmes.toolsets.catalog import build_registry

INCIDENTS = Path(__file__).resolve().parents[1] / "evals" / "incidents"
TARGET_MS = 200.0


def bench_incident(bundle: Path, repeat: int, settings: Settings) -> tuple[list[float], str, int]:
    """Times (ms) of `repeat` diagnoses after one warm-up, the root cause, and the tool calls per diagnosis."""
    spec = load_spec(bundle)
    library = load_library(settings.runbook_dirs)
    with open_sources(settings, bundle) as sources:
        ctx = tool_context(settings, sources)
        registry = build_registry(settings, ctx)
        report = diagnose(spec.trigger, registry, ctx, library)  # warm-up: imports, token tables, connections
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            report = diagnose(spec.trigger, registry, ctx, library)
            times.append((time.perf_counter() - started) * 1000)
    return times, report.diagnosis.root_cause, report.diagnosis.usage.tool_calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only incidents whose directory name contains one of these")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = Settings()
    bundles = sorted(p for p in INCIDENTS.iterdir() if (p / "incident.yaml").is_file())
    bundles = [b for b in bundles if not args.names or any(n in b.name for n in args.names)]
    medians = []
    print(f"{'incident':58} {'median ms':>9} {'min':>7} {'max':>7} {'calls':>5}  root cause")
    for bundle in bundles:
        times, cause, calls = bench_incident(bundle, args.repeat, settings)
        medians.append(statistics.median(times))
        print(f"{bundle.name:58} {medians[-1]:9.1f} {min(times):7.1f} {max(times):7.1f} {calls:5}  {cause}")
    overall = statistics.median(medians)
    verdict = "OK" if overall <= TARGET_MS else "OVER TARGET"
    print(f"\nmedian of per-incident medians over {len(medians)} incidents: {overall:.1f} ms "
          f"(p90 {statistics.quantiles(medians, n=10)[-1]:.1f} ms; target <= {TARGET_MS:.0f} ms: {verdict})")


if __name__ == "__main__":
    main()
