"""`holmes investigate pod` on one pod of a large cluster through the replay API, engine only.

The bundle (10,000 pods, 2,000 nodes, 100,000 events, 5,000 ResourceClaims; bench/gen_large_bundle.py) is
loaded and served once; then the full deterministic investigation runs for several pods. Prints the median
wall time per investigation (target <= 3 s), the largest tool text in tokens (budget about 4,000, and what was
cut is said), and the process's peak RSS (target <= 500 MB).

    .venv/bin/python bench/bench_investigate_large.py [BUNDLE] [--pods 5]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from holmes.config import Settings
from holmes.domain import Subject, Trigger
from holmes.investigation import investigate, open_sources

DEFAULT_BUNDLE = Path("/tmp/holmes-bench-large-bundle")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", nargs="?", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--pods", type=int, default=5)
    args = parser.parse_args()
    if not (args.bundle / "incident.yaml").exists():
        subprocess.run([sys.executable, str(Path(__file__).with_name("gen_large_bundle.py")), str(args.bundle)],
                       check=True)
    settings = Settings()
    started = time.perf_counter()
    with open_sources(settings, args.bundle) as sources:
        print(f"bundle loaded and served in {time.perf_counter() - started:.1f}s")
        pods = sources.kube.list("pod", limit=400).items[:: max(1, 400 // args.pods)][: args.pods]
        times, largest, cut = [], 0, 0
        from holmes.toolsets.render import count_tokens

        for pod in pods:
            meta = pod["metadata"]
            trigger = Trigger(subject=Subject(kind="pod", namespace=meta["namespace"], name=meta["name"]))
            t0 = time.perf_counter()
            report_tokens: list[int] = []
            diagnosis = investigate(trigger, settings, sources, use_llm=False)
            times.append(time.perf_counter() - t0)
            print(f"  {meta['namespace']}/{meta['name']}: {times[-1]:.2f}s, {diagnosis.usage.tool_calls} tool calls, "
                  f"{diagnosis.root_cause}")
        # tool text sizes of one more investigation, read from the engine's results
        from holmes.investigation import tool_context
        from holmes.runbooks.engine import diagnose
        from holmes.runbooks.library import load_library
        from holmes.toolsets.catalog import build_registry

        ctx = tool_context(settings, sources)
        meta = pods[0]["metadata"]
        report = diagnose(Trigger(subject=Subject(kind="pod", namespace=meta["namespace"], name=meta["name"])),
                          build_registry(settings, ctx), ctx, load_library([]))
        report_tokens = [count_tokens(r.text) for r in report.results]
        largest = max(report_tokens)
        cut = sum(1 for r in report.results if r.cut)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\ninvestigate pod (engine, replay API, large bundle): median {statistics.median(times):.2f}s over "
          f"{len(times)} pods (target <= 3 s); largest tool text {largest} tokens (budget ~4000), {cut} result(s) "
          f"said what they cut; peak RSS {peak:.0f} MB (target <= 500 MB)")


if __name__ == "__main__":
    main()
