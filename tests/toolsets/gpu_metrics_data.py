"""Synthetic DCGM, vLLM and cAdvisor metrics in OpenMetrics, shaped like the exporters' real series.

One node, four GPUs, the hour before NOW at one sample a minute:
- gpu 0 (pod llm/vllm-0): busy, 70,000 MiB used;
- gpu 1 (pod llm/vllm-1 until it crashed at minute 40): Xid 79 from minute 35, DBE ECC errors;
- gpu 2: 20,480 MiB held with no pod attributed (a leftover process); gpu 3: idle and empty.
vLLM metrics use the old KV cache name (vllm:gpu_cache_usage_perc); vllm-0's queue grows.
No vLLM latency histograms and no DCGM_EXP_XID_ERRORS_COUNT: those are "not scraped here".
"""

from __future__ import annotations

from datetime import UTC, datetime

from holmes.replay.openmetrics import render_family, render_openmetrics

NOW_DT = datetime(2025, 3, 14, 10, 20, tzinfo=UTC)
NOW = int(NOW_DT.timestamp())
MINUTES = range(61)
UUIDS = ["GPU-5a1c7e0d-0000", "GPU-5a1c7e0d-0001", "GPU-5a1c7e0d-0002", "GPU-5a1c7e0d-0003"]
BIG_SERIES = 100_000


def at(minute: int) -> int:
    return NOW - 3600 + 60 * minute


def gpu_labels(gpu: int, pod: str | None = None) -> dict[str, str]:
    labels = {"gpu": str(gpu), "UUID": UUIDS[gpu], "pci_bus_id": f"00000000:{gpu + 7:02X}:00.0",
              "device": f"nvidia{gpu}", "modelName": "NVIDIA A100-SXM4-80GB", "Hostname": "gpu-node-1"}
    if pod:
        labels.update({"container": "vllm", "namespace": "llm", "pod": pod})
    return labels


Samples = list[tuple[str, dict[str, str], list[tuple[float, float]]]]


def _attributed(gpu: int, pod: str | None, value: object, until: int = 60) -> Samples:
    """One series with the pod's labels while it ran, then the same GPU without them (the pod is gone)."""
    fn = value if callable(value) else (lambda _m: value)
    running = [(at(m), float(fn(m))) for m in MINUTES if m <= until]
    after = [(at(m), float(fn(m))) for m in MINUTES if m > until]
    series = [(gpu_labels(gpu, pod), running)] if pod else [(gpu_labels(gpu), running + after)]
    if pod and after:
        series.append((gpu_labels(gpu), after))
    return [("", labels, points) for labels, points in series]


def _dcgm(name: str, per_gpu: dict[int, tuple[str | None, object, int]]) -> list[str]:
    samples = []
    for gpu, (pod, value, until) in per_gpu.items():
        samples += [(name, labels, points) for _, labels, points in _attributed(gpu, pod, value, until)]
    return render_family(name, "gauge", samples)


def _vllm(name: str, kind: str, fn: object, sample: str | None = None) -> list[str]:
    labels = {"namespace": "llm", "pod": "vllm-0", "model_name": "meta-llama/Meta-Llama-3-8B-Instruct"}
    points = [(float(at(m)), float(fn(m))) for m in MINUTES]  # type: ignore[operator]
    return render_family(name, kind, [(sample or name, labels, points)])


def _cadvisor(name: str, fn: object) -> list[str]:
    labels = {"namespace": "llm", "pod": "vllm-0", "container": "vllm", "node": "gpu-node-1"}
    points = [(float(at(m)), float(fn(m))) for m in MINUTES]  # type: ignore[operator]
    return render_family(name, "counter", [(name + "_total", labels, points)])


def openmetrics_text(with_big: bool = True) -> str:
    families = [
        _dcgm("DCGM_FI_DEV_GPU_UTIL", {0: ("vllm-0", 95, 60), 1: ("vllm-1", 15, 40), 2: (None, 0, 60),
                                        3: (None, 0, 60)}),
        _dcgm("DCGM_FI_DEV_FB_USED", {0: ("vllm-0", 70000, 60), 1: ("vllm-1", lambda m: 72000 if m <= 40 else 0, 40),
                                       2: (None, 20480, 60),
                                       3: (None, 0, 60)}),
        _dcgm("DCGM_FI_DEV_XID_ERRORS", {0: ("vllm-0", 0, 60), 1: ("vllm-1", lambda m: 79 if m >= 35 else 0, 40),
                                          2: (None, 0, 60), 3: (None, 0, 60)}),
        _dcgm("DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", {0: ("vllm-0", 0, 60), 1: ("vllm-1", lambda m: 2 if m >= 35 else 0, 40),
                                                 2: (None, 0, 60), 3: (None, 0, 60)}),
        _vllm("vllm:num_requests_running", "gauge", lambda m: 247),
        _vllm("vllm:num_requests_waiting", "gauge", lambda m: 12 * m),
        _vllm("vllm:gpu_cache_usage_perc", "gauge", lambda m: min(0.997, 0.5 + m / 60)),
        _vllm("vllm:num_preemptions", "counter", lambda m: 3 * m, sample="vllm:num_preemptions_total"),
        _cadvisor("container_cpu_cfs_periods", lambda m: 600 * m),  # 10 periods/s
        _cadvisor("container_cpu_cfs_throttled_periods", lambda m: 360 * m),  # 60% of them throttled
        _cadvisor("container_cpu_usage_seconds", lambda m: 120 * m),  # 2 cores
    ]
    if with_big:
        families.append(render_family("holmes_test_big", "gauge", [
            ("holmes_test_big", {"i": str(i), "shard": str(i % 7)}, [(float(NOW), float(i % 997))])
            for i in range(BIG_SERIES)]))
    return render_openmetrics(families)
