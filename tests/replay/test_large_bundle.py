"""The benchmark's synthetic cluster, scaled down: it loads, compresses its big kinds, and serves the per-pod reads."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from holmes.bundle.loader import load_bundle
from holmes.replay import serve_bundle
from holmes.sources.kube import KubeReader

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_synthetic_cluster_serves_each_pods_events_logs_claims_and_node(tmp_path: Path) -> None:
    generator = _module("gen_large_bundle")
    bench = _module("bench_replay")
    root = tmp_path / "synthetic"
    generator.generate(root, pods=120, nodes=12, events=2400, claims=60, big_log_mb=1)
    bundle = load_bundle(root)
    assert len(bundle.store) == 120 + 12 + 2400 + 60 + 1
    events = next(c for (g, k), c in bundle.store.collections.items() if (g, k) == ("", "Event"))
    assert all(o._codec is not None for o in events.objects)  # beyond the compression threshold
    with serve_bundle(bundle) as url:
        reader = KubeReader.for_url(url)
        subject = bundle.spec.trigger.subject
        assert subject is not None
        for namespace, name in bench.sample_pods(bundle, 5):
            assert bench.investigate_pod(reader, namespace, name) > 1
        pod = reader.get("pod", subject.name, subject.namespace)
        assert pod is not None and pod["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == \
            "CrashLoopBackOff"
        selector = f"involvedObject.name={subject.name}"
        events_of_subject = reader.list("event", subject.namespace, field_selector=selector)
        assert len(events_of_subject.items) == 2400 // 120
        assert all(e["involvedObject"]["name"] == subject.name for e in events_of_subject.items)
        claim = reader.get("resourceclaim", pod["spec"]["resourceClaims"][0]["resourceClaimName"], subject.namespace)
        assert claim is not None and claim["status"]["reservedFor"][0]["name"] == subject.name
        tail = reader.log(subject.namespace or "", subject.name, container="vllm", tail_lines=3)
        assert tail is not None and len(tail.splitlines()) == 3 and "GPU KV cache usage" in tail
