"""Named PromQL recipes for GPU (dcgm-exporter), vLLM and container (cAdvisor) metrics.

A recipe is data: the metrics it reads and the expressions it runs. `{metric}` is the first scraped of
a query's alternative names (vLLM renamed `gpu_cache_usage_perc` to `kv_cache_usage_perc`), `{sel}`
the label matchers built from the filters, `{rate}` the rate window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from holmes.sources.prometheus import PrometheusReader


@dataclass(frozen=True)
class RecipeQuery:
    name: str
    metrics: tuple[str, ...]  # alternatives for {metric}; the first one scraped is used
    meaning: str
    expr: str = "{metric}{sel}"
    unit: str = ""
    needs: tuple[str, ...] = ()  # further metrics the expression reads (all must be scraped)


@dataclass(frozen=True)
class Exporter:
    """Where a family of metrics comes from and which label carries each filter."""

    name: str
    hint: str  # what to check when none of its metrics is scraped
    partial_hint: str  # what to check when it is scraped but some metrics are missing
    canary: str  # a metric it always exports: tells "not scraped" from "not collected"
    labels: dict[str, str]  # filter -> label name (namespace, pod, node, gpu)
    base: tuple[str, ...] = ()  # matchers every query of this exporter carries


@dataclass(frozen=True)
class Recipe:
    name: str
    exporter: Exporter
    description: str
    queries: tuple[RecipeQuery, ...]
    filters: tuple[str, ...] = ("namespace", "pod", "node", "gpu")
    pod_by_gpu: bool = False  # device metrics: find the pod's GPUs by attribution, then filter by UUID
    per_instance: bool = False  # on MIG, read only the pod's GPU instances (GPU_I_ID), not the whole GPU
    extra: tuple[str, ...] = field(default=())  # fixed matchers for this recipe


DCGM = Exporter("dcgm-exporter", "is dcgm-exporter (NVIDIA GPU Operator) scraped?",
                "dcgm-exporter is scraped, but its counters CSV does not enable these fields (DCP and ECC "
                "fields are off by default)", "DCGM_FI_DEV_FB_USED",
                {"namespace": "namespace", "pod": "pod", "node": "Hostname", "gpu": "gpu"})
VLLM = Exporter("vLLM", "is vLLM's /metrics endpoint scraped (ServiceMonitor/PodMonitor on the serving port)?",
                "vLLM is scraped, but this vLLM version does not export these", "vllm:num_requests_running",
                {"namespace": "namespace", "pod": "pod"})
CADVISOR = Exporter("cAdvisor", "is the kubelet's cAdvisor endpoint (/metrics/cadvisor) scraped?",
                    "cAdvisor is scraped, but has no such series here (CFS series exist only for containers "
                    "with a CPU limit)", "container_cpu_usage_seconds_total",
                    {"namespace": "namespace", "pod": "pod", "node": "node"},
                    base=('container!=""', 'container!="POD"'))

_Q = RecipeQuery

XID = (
    _Q("xid_last", ("DCGM_FI_DEV_XID_ERRORS",), "value of the last Xid error on the GPU (0: none)"),
    _Q("xid_count", ("DCGM_EXP_XID_ERRORS_COUNT",), "Xid errors per exporter window, by xid label"),
)
ECC = (
    _Q("ecc_dbe_volatile", ("DCGM_FI_DEV_ECC_DBE_VOL_TOTAL",), "uncorrectable double-bit ECC errors since reset"),
    _Q("ecc_sbe_volatile", ("DCGM_FI_DEV_ECC_SBE_VOL_TOTAL",), "corrected single-bit ECC errors since reset"),
    _Q("remapped_rows_uncorrectable", ("DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS",),
       "rows remapped after uncorrectable errors"),
    _Q("remapped_rows_correctable", ("DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS",), "rows remapped after corrected errors"),
    _Q("row_remap_failure", ("DCGM_FI_DEV_ROW_REMAP_FAILURE",), "1 when a row could not be remapped (RMA)"),
    _Q("retired_pages_dbe", ("DCGM_FI_DEV_RETIRED_DBE",), "pages retired after double-bit errors"),
)

RECIPES: dict[str, Recipe] = {r.name: r for r in (
    Recipe("utilization", DCGM, "per-GPU utilisation and engine activity", (
        _Q("gpu_util", ("DCGM_FI_DEV_GPU_UTIL",), "GPU utilisation", unit="%"),
        _Q("engine_active", ("DCGM_FI_PROF_GR_ENGINE_ACTIVE",), "graphics/compute engine active", unit="ratio"),
        _Q("sm_active", ("DCGM_FI_PROF_SM_ACTIVE",), "SMs with a warp resident", unit="ratio"),
        _Q("tensor_active", ("DCGM_FI_PROF_PIPE_TENSOR_ACTIVE",), "tensor pipe active", unit="ratio"),
        _Q("dram_active", ("DCGM_FI_PROF_DRAM_ACTIVE",), "memory interface active", unit="ratio"),
    ), pod_by_gpu=True, per_instance=True),
    Recipe("memory", DCGM, "framebuffer used and free per GPU", (
        _Q("fb_used", ("DCGM_FI_DEV_FB_USED",), "framebuffer used", unit="MiB"),
        _Q("fb_free", ("DCGM_FI_DEV_FB_FREE",), "framebuffer free", unit="MiB"),
    ), pod_by_gpu=True, per_instance=True),
    Recipe("unattributed_memory", DCGM,
           "framebuffer used on GPUs no pod is attributed to (a leftover process, or a pod outside Kubernetes); "
           "on DRA nodes without KUBERNETES_ENABLE_DRA no GPU is attributed at all", (
               _Q("fb_used_unattributed", ("DCGM_FI_DEV_FB_USED",), "framebuffer used with no pod label", unit="MiB"),
           ), filters=("node", "gpu"), extra=('pod=""',)),
    Recipe("xid", DCGM, "Xid errors per GPU", XID, pod_by_gpu=True),
    Recipe("ecc", DCGM, "ECC errors and remapped rows per GPU", ECC, pod_by_gpu=True),
    Recipe("health", DCGM, "Xid, ECC and row remapping per GPU: the hardware-fault signals together",
           XID + ECC, pod_by_gpu=True),
    Recipe("throttling", DCGM, "temperature, power and clock throttling per GPU", (
        _Q("gpu_temp", ("DCGM_FI_DEV_GPU_TEMP",), "GPU temperature", unit="°C"),
        _Q("memory_temp", ("DCGM_FI_DEV_MEMORY_TEMP",), "memory temperature", unit="°C"),
        _Q("power", ("DCGM_FI_DEV_POWER_USAGE",), "power draw", unit="W"),
        _Q("sm_clock", ("DCGM_FI_DEV_SM_CLOCK",), "SM clock", unit="MHz"),
        _Q("power_violation", ("DCGM_FI_DEV_POWER_VIOLATION",), "share of time throttled by the power cap",
           expr="rate({metric}{sel}[{rate}]) / 1e6", unit="ratio"),
        _Q("thermal_violation", ("DCGM_FI_DEV_THERMAL_VIOLATION",), "share of time throttled by temperature",
           expr="rate({metric}{sel}[{rate}]) / 1e6", unit="ratio"),
        _Q("clock_events", ("DCGM_EXP_CLOCK_EVENTS_COUNT",), "clock events (throttling) per exporter window"),
    ), pod_by_gpu=True),
    Recipe("pod_gpus", DCGM, "which pod each GPU is attributed to (namespace/pod labels, MIG profile)", (
        _Q("attribution", ("DCGM_FI_DEV_FB_USED",), "framebuffer used, by GPU and attributed pod", unit="MiB",
           expr="max by (Hostname, gpu, UUID, modelName, GPU_I_PROFILE, GPU_I_ID, namespace, pod, container) "
                "({metric}{sel})"),
    )),
    Recipe("vllm_requests", VLLM, "vLLM requests running, waiting and swapped", (
        _Q("running", ("vllm:num_requests_running",), "requests in the running batch"),
        _Q("waiting", ("vllm:num_requests_waiting",), "requests queued, waiting for KV cache or a batch slot"),
        _Q("swapped", ("vllm:num_requests_swapped",), "requests swapped to CPU (vLLM v0)"),
    ), filters=("namespace", "pod")),
    Recipe("kv_cache", VLLM, "KV cache usage with the queue and preemptions that show saturation", (
        _Q("kv_cache_usage", ("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"),
           "share of KV cache blocks in use (1 = full)", unit="ratio"),
        _Q("waiting", ("vllm:num_requests_waiting",), "requests queued"),
        _Q("running", ("vllm:num_requests_running",), "requests in the running batch"),
        _Q("preemptions", ("vllm:num_preemptions_total",), "preemptions in the rate window",
           expr="increase({metric}{sel}[{rate}])"),
    ), filters=("namespace", "pod")),
    Recipe("latency", VLLM, "p90 time to first token, per output token and end to end", (
        _Q("ttft_p90", ("vllm:time_to_first_token_seconds_bucket",), "p90 time to first token", unit="s",
           expr="histogram_quantile(0.9, sum by (le, namespace, pod, model_name) (rate({metric}{sel}[{rate}])))"),
        _Q("tpot_p90", ("vllm:time_per_output_token_seconds_bucket", "vllm:inter_token_latency_seconds_bucket"),
           "p90 time per output token", unit="s",
           expr="histogram_quantile(0.9, sum by (le, namespace, pod, model_name) (rate({metric}{sel}[{rate}])))"),
        _Q("e2e_p90", ("vllm:e2e_request_latency_seconds_bucket",), "p90 end-to-end request latency", unit="s",
           expr="histogram_quantile(0.9, sum by (le, namespace, pod, model_name) (rate({metric}{sel}[{rate}])))"),
    ), filters=("namespace", "pod")),
    Recipe("preemptions", VLLM, "vLLM preemptions (KV cache ran out mid-generation)", (
        _Q("preemptions", ("vllm:num_preemptions_total",), "preemptions in the rate window",
           expr="increase({metric}{sel}[{rate}])"),
    ), filters=("namespace", "pod")),
    Recipe("cpu_throttling", CADVISOR, "container CPU throttling (CFS quota) and CPU use", (
        _Q("throttled_ratio", ("container_cpu_cfs_throttled_periods_total",),
           "share of CFS periods in which the container was throttled", unit="ratio",
           needs=("container_cpu_cfs_periods_total",),
           expr="sum by (namespace, pod, container) (rate({metric}{sel}[{rate}])) / "
                "sum by (namespace, pod, container) (rate(container_cpu_cfs_periods_total{sel}[{rate}]))"),
        _Q("cpu_cores", ("container_cpu_usage_seconds_total",), "CPU used", unit="cores",
           expr="sum by (namespace, pod, container) (rate({metric}{sel}[{rate}]))"),
    ), filters=("namespace", "pod", "node")),
    Recipe("memory_working_set", CADVISOR, "container memory working set (what the OOM killer counts)", (
        _Q("working_set", ("container_memory_working_set_bytes",), "memory working set", unit="bytes"),
    ), filters=("namespace", "pod", "node")),
)}

# Type, unit and meaning of the metrics above, for prometheus_metadata when Prometheus has none
# (metadata comes from live scrapes; data backfilled from a recorded incident has none).
KNOWN_METRICS: dict[str, dict[str, str]] = {
    "DCGM_FI_DEV_GPU_UTIL": {"type": "gauge", "unit": "%", "help": "GPU utilisation (coarse; prefer engine active)"},
    "DCGM_FI_PROF_GR_ENGINE_ACTIVE": {"type": "gauge", "unit": "ratio", "help": "graphics engine active (DCP)"},
    "DCGM_FI_PROF_SM_ACTIVE": {"type": "gauge", "unit": "ratio", "help": "SM active (DCP, custom CSV)"},
    "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE": {"type": "gauge", "unit": "ratio", "help": "tensor pipe active (DCP)"},
    "DCGM_FI_PROF_DRAM_ACTIVE": {"type": "gauge", "unit": "ratio", "help": "memory interface active (DCP)"},
    "DCGM_FI_DEV_FB_USED": {"type": "gauge", "unit": "MiB", "help": "framebuffer memory used"},
    "DCGM_FI_DEV_FB_FREE": {"type": "gauge", "unit": "MiB", "help": "framebuffer memory free"},
    "DCGM_FI_DEV_XID_ERRORS": {"type": "gauge", "unit": "", "help": "value of the last Xid error (not a count)"},
    "DCGM_EXP_XID_ERRORS_COUNT": {"type": "gauge", "unit": "", "help": "Xid errors in the exporter window, xid label"},
    "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL": {"type": "counter", "unit": "", "help": "volatile double-bit ECC errors"},
    "DCGM_FI_DEV_ECC_SBE_VOL_TOTAL": {"type": "counter", "unit": "", "help": "volatile single-bit ECC errors"},
    "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS": {"type": "counter", "unit": "", "help": "rows remapped (uncorrectable)"},
    "DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS": {"type": "counter", "unit": "", "help": "rows remapped (correctable)"},
    "DCGM_FI_DEV_ROW_REMAP_FAILURE": {"type": "gauge", "unit": "", "help": "row remapping failed (1): replace GPU"},
    "DCGM_FI_DEV_RETIRED_DBE": {"type": "counter", "unit": "", "help": "pages retired for double-bit errors"},
    "DCGM_FI_DEV_GPU_TEMP": {"type": "gauge", "unit": "°C", "help": "GPU temperature"},
    "DCGM_FI_DEV_MEMORY_TEMP": {"type": "gauge", "unit": "°C", "help": "memory temperature"},
    "DCGM_FI_DEV_POWER_USAGE": {"type": "gauge", "unit": "W", "help": "power draw"},
    "DCGM_FI_DEV_SM_CLOCK": {"type": "gauge", "unit": "MHz", "help": "SM clock"},
    "DCGM_FI_DEV_POWER_VIOLATION": {"type": "counter", "unit": "µs", "help": "time throttled by the power cap"},
    "DCGM_FI_DEV_THERMAL_VIOLATION": {"type": "counter", "unit": "µs", "help": "time throttled by temperature"},
    "vllm:num_requests_running": {"type": "gauge", "unit": "", "help": "requests in the running batch"},
    "vllm:num_requests_waiting": {"type": "gauge", "unit": "", "help": "requests waiting to be scheduled"},
    "vllm:kv_cache_usage_perc": {"type": "gauge", "unit": "ratio", "help": "KV cache usage, 1 = full"},
    "vllm:gpu_cache_usage_perc": {"type": "gauge", "unit": "ratio", "help": "KV cache usage (older vLLM name)"},
    "vllm:num_preemptions_total": {"type": "counter", "unit": "", "help": "requests preempted (KV cache ran out)"},
    "vllm:time_to_first_token_seconds": {"type": "histogram", "unit": "s", "help": "time to first token"},
    "vllm:time_per_output_token_seconds": {"type": "histogram", "unit": "s", "help": "time per output token"},
    "vllm:e2e_request_latency_seconds": {"type": "histogram", "unit": "s", "help": "end-to-end request latency"},
    "container_cpu_cfs_throttled_periods_total": {"type": "counter", "unit": "", "help": "CFS periods throttled"},
    "container_cpu_cfs_periods_total": {"type": "counter", "unit": "", "help": "CFS periods elapsed"},
    "container_cpu_usage_seconds_total": {"type": "counter", "unit": "s", "help": "CPU time used"},
    "container_memory_working_set_bytes": {"type": "gauge", "unit": "bytes", "help": "memory working set"},
}

_EXPORTER_METRIC = re.compile(r"\b(DCGM_[A-Z0-9_]+|vllm:[a-z0-9_:]+|container_[a-z0-9_]+)\b")
_BY_PREFIX = (("DCGM_", DCGM), ("vllm:", VLLM), ("container_", CADVISOR))


def not_scraped(reader: PrometheusReader, query: str, end: datetime) -> str:
    """'not scraped here: ...' for the exporter metrics a query names that have no series at all, else ''."""
    names = sorted(set(_EXPORTER_METRIC.findall(query)))
    if not names:
        return ""
    exporters = {prefix: e for prefix, e in _BY_PREFIX if any(n.startswith(prefix) for n in names)}
    present = reader.present([*names, *(e.canary for e in exporters.values())], end)
    missing = [n for n in names if n not in present]
    if not missing:
        return ""
    exporter = next(e for prefix, e in exporters.items() if missing[0].startswith(prefix))
    hint = exporter.partial_hint if exporter.canary in present else exporter.hint
    return f"not scraped here: {', '.join(missing)} has no series in the hour before now: {hint}"
