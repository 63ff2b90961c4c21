"""End-to-end CLI time of a deterministic investigation, Python start-up included.

Runs `holmes investigate --bundle DIR --no-llm -o json` as a user would (a new process each time: imports,
bundle load, replay API, Prometheus for bundles with metrics, every tool call, checks, output) and prints the
median per incident and overall, plus peak RSS. Target: median <= 1.5 s.
Run: .venv/bin/python bench/bench_cli.py [--repeat N] [NAME...]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INCIDENTS = ROOT / "evals" / "incidents"
HOLMES = Path(sys.executable).parent / "holmes"
TARGET_S = 1.5


def run_once(bundle: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([str(HOLMES), "investigate", "--bundle", str(bundle), "--no-llm", "-o", "json"],
                          capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{bundle.name}: exit {done.returncode}: {done.stderr.strip()[:300]}")
    return elapsed, json.loads(done.stdout)["root_cause"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only incidents whose directory name contains one of these")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bundles = sorted(p for p in INCIDENTS.iterdir() if (p / "incident.yaml").is_file())
    bundles = [b for b in bundles if not args.names or any(n in b.name for n in args.names)]
    if not args.names:
        bundles = bundles[::4]  # a spread of areas keeps the run short; name incidents to pick others
    medians = []
    for bundle in bundles:
        times = [run_once(bundle) for _ in range(args.repeat)]
        median = statistics.median(t for t, _ in times)
        medians.append(median)
        print(f"{bundle.name:55} median {median:6.2f}s  min {min(t for t, _ in times):5.2f}s  {times[0][1]}")
    overall = statistics.median(medians)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\nCLI end to end: median of medians {overall:.2f}s over {len(bundles)} incidents x {args.repeat} "
          f"(target <= {TARGET_S}s: {'met' if overall <= TARGET_S else 'NOT met'}); peak child RSS {peak_mb:.0f} MB; "
          f"load average now {', '.join(f'{x:.1f}' for x in __import__('os').getloadavg())}")


if __name__ == "__main__":
    main()
