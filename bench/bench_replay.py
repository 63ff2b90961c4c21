"""Benchmark the replay API on a large bundle: load time, the per-pod read path through KubeReader, peak RSS.

Targets: the per-pod investigation reads (pod, its events by field selector, its logs, its claims, its node)
take at most 3 s median, and the whole process peaks at or below 500 MB RSS.

    .venv/bin/python bench/bench_replay.py                      # generates /tmp/holmes-bench-large-bundle once
    .venv/bin/python bench/bench_replay.py DIR --runs 5 --pods 20
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from holmes.bundle.loader import load_bundle
from holmes.bundle.model import Bundle
from holmes.replay import serve_bundle
from holmes.sources.kube import KubeReader

DEFAULT_BUNDLE = Path("/tmp/holmes-bench-large-bundle")
TARGET_PER_POD_S = 3.0
TARGET_RSS_MB = 500.0
LOG_TAIL = 200
LOG_LIMIT_BYTES = 256 * 1024


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def investigate_pod(reader: KubeReader, namespace: str, name: str, since_seconds: int | None = None) -> int:
    """The reads an investigation of one pod makes; returns how many objects and log bytes it got."""
    pod = reader.get("pod", name, namespace)
    assert pod is not None, f"pod {namespace}/{name} missing"
    got = 1
    events = reader.list("event", namespace, field_selector=f"involvedObject.name={name}").items
    got += len(events)
    for previous in (False, True):
        text = reader.log(namespace, name, container="vllm", previous=previous, tail_lines=LOG_TAIL,
                          limit_bytes=LOG_LIMIT_BYTES, since_seconds=since_seconds, timestamps=True)
        got += len(text or "")
    for entry in pod["spec"].get("resourceClaims") or []:
        claim_name = entry.get("resourceClaimName")
        if claim_name:
            got += reader.get("resourceclaim", claim_name, namespace) is not None
    node_name = pod["spec"].get("nodeName")
    if node_name:
        got += reader.get("node", node_name) is not None
    return got


def sample_pods(bundle: Bundle, count: int) -> list[tuple[str, str]]:
    """Pods with recorded logs, spread over the bundle, the incident's subject first."""
    with_logs = sorted({(key.namespace, key.pod) for key in bundle.logs})
    subject = bundle.spec.trigger.subject
    first = [(subject.namespace or "default", subject.name)] if subject else []
    step = max(1, len(with_logs) // max(1, count))
    rest = [p for p in with_logs[::step] if p not in first]
    return (first + rest)[:count]


def report(label: str, seconds: list[float]) -> None:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"  {label:<48} median {statistics.median(ordered) * 1000:8.1f} ms   p95 {p95 * 1000:8.1f} ms   "
          f"max {ordered[-1] * 1000:8.1f} ms   (n={len(ordered)})")


def ensure_bundle(path: Path) -> None:
    if path.exists():
        return
    print(f"generating {path} (once) ...", flush=True)
    generator = Path(__file__).with_name("gen_large_bundle.py")
    subprocess.run([sys.executable, str(generator), str(path)], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Replay API benchmark on a large bundle")
    parser.add_argument("bundle", nargs="?", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pods", type=int, default=20, help="pods investigated per run")
    args = parser.parse_args(argv)
    ensure_bundle(args.bundle)

    cpu_before = time.process_time()
    load_s, bundle = timed(lambda: load_bundle(args.bundle))
    load_cpu_s = time.process_time() - cpu_before
    print(f"bundle {args.bundle}: {len(bundle.store)} objects, {len(bundle.logs)} logs")
    print(f"  {'load':<48} {load_s:8.2f} s wall, {load_cpu_s:.2f} s CPU (wall includes waiting for a busy CPU)")
    print(f"  {'peak RSS after load':<48} {peak_rss_mb():8.1f} MB")
    with serve_bundle(bundle) as url:
        reader = KubeReader.for_url(url)
        figures = run_reads(reader, bundle, args.runs, args.pods)
    rss = peak_rss_mb()
    print(f"  peak RSS (loader + server + client, one process) {rss:7.1f} MB")
    per_pod = statistics.median(figures)
    ok = per_pod <= TARGET_PER_POD_S and rss <= TARGET_RSS_MB
    print(f"targets: per-pod median {per_pod:.3f} s <= {TARGET_PER_POD_S} s, peak RSS {rss:.0f} MB <= "
          f"{TARGET_RSS_MB:.0f} MB: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


def run_reads(reader: KubeReader, bundle: Bundle, runs: int, pods: int) -> list[float]:
    """Time the per-pod path over several runs, then a few whole-cluster reads; returns per-pod seconds."""
    subject = bundle.spec.trigger.subject
    first_s, _ = timed(lambda: investigate_pod(reader, subject.namespace or "default", subject.name)
                       if subject else None)
    print(f"  first pod (cold: discovery, field index build) {first_s * 1000:8.1f} ms")
    sample = sample_pods(bundle, pods)
    per_pod: list[float] = []
    subject_times: list[float] = []
    for _ in range(runs):
        for namespace, name in sample:
            seconds, _ = timed(lambda ns=namespace, n=name: investigate_pod(reader, ns, n))
            per_pod.append(seconds)
            if subject and (namespace, name) == (subject.namespace, subject.name):
                subject_times.append(seconds)
    report(f"per-pod path ({len(sample)} pods x {runs} runs)", per_pod)
    if subject_times:
        report("  subject pod (200 MB log, tail)", subject_times)
        since = [timed(lambda: investigate_pod(reader, subject.namespace or "default", subject.name,  # type: ignore[union-attr]
                                               since_seconds=300))[0] for _ in range(runs)]
        report("  subject pod, logs sinceSeconds=300", since)
    whole_cluster(reader, runs)
    return per_pod


def whole_cluster(reader: KubeReader, runs: int) -> None:
    raw = reader.api.configuration.host + "/api/v1/pods"
    reads: list[tuple[str, Callable[[], Any]]] = [
        ("list all pods: server only (raw bytes)", lambda: urllib.request.urlopen(raw, timeout=120).read()),
        ("list all pods through KubeReader (+ JSON parse)", lambda: reader.list("pod")),
        ("list events, limit=500 (first page)", lambda: reader.list("event", limit=500)),
        ("events by involvedObject.name, all namespaces",
         lambda: reader.list("event", field_selector="involvedObject.name=vllm-0100-00400")),
        ("pods by label, all namespaces",
         lambda: reader.list("pod", label_selector="app.kubernetes.io/instance=vllm-0100")),
        ("pods on a node (spec.nodeName)", lambda: reader.list("pod", field_selector="spec.nodeName=gpu-node-0007")),
        ("list all resourceclaims", lambda: reader.list("resourceclaim")),
        ("list all nodes", lambda: reader.list("node")),
    ]
    for label, read in reads:
        report(label, [timed(read)[0] for _ in range(runs)])


if __name__ == "__main__":
    sys.exit(main())
