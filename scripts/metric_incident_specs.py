"""The recorded incidents whose cause shows in metrics (written by scripts/metric_incidents.py)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from metric_incidents import (
    Gpu,
    Incident,
    Workload,
    counter,
    crashloop_status,
    daemonset,
    dcgm,
    deployment_objects,
    event,
    gauge,
    gpu_node,
    histogram,
    log_lines,
    restart_events,
    running_status,
    scrape_labels,
    times,
    ts,
    vllm_container,
)

TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0]


def wobble(moment: datetime, amplitude: float, period_min: float = 7.0) -> float:
    """Deterministic noise: a slow sine, so series look scraped rather than drawn with a ruler."""
    return amplitude * math.sin(moment.timestamp() / 60 / period_min)


def gpus(node: str, model: str, count: int, seed: str) -> list[Gpu]:
    return [Gpu(i, f"GPU-{uuid.uuid5(uuid.NAMESPACE_URL, f'{seed}/{i}')}", node, model) for i in range(count)]


def crashloop_alert(inc: Incident, w: Workload, starts: datetime) -> dict[str, Any]:
    return {"status": "firing",
            "labels": {"alertname": "KubePodCrashLooping", "container": "vllm", "endpoint": "http",
                       "instance": "10.244.0.31:8080", "job": "kube-state-metrics", "namespace": w.namespace,
                       "pod": w.pod, "prometheus": "monitoring/kube-prometheus-stack-prometheus",
                       "reason": "CrashLoopBackOff", "service": "kube-prometheus-stack-kube-state-metrics",
                       "severity": "warning", "uid": "4d1f0e3a-55b2-4c40-9a3e-0f6c2b9d7e11"},
            "annotations": {"description": f'Pod {w.namespace}/{w.pod} (vllm) is in waiting state (reason: '
                                           f'"CrashLoopBackOff").',
                            "runbook_url": "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/"
                                           "kubepodcrashlooping",
                            "summary": "Pod is crash looping."},
            "startsAt": ts(starts), "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.monitoring.svc:9090/graph?g0.expr=max_over_time%28kube_pod_container"
                            "_status_waiting_reason%7Breason%3D%22CrashLoopBackOff%22%7D%5B5m%5D%29+%3E%3D+1",
            "fingerprint": uuid.uuid5(uuid.NAMESPACE_URL, inc.id).hex[:16]}


def operator_daemonsets(inc: Incident, plugin_env: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
    return [daemonset(inc, "gpu-operator", "nvidia-device-plugin-daemonset", "nvcr.io/nvidia/k8s-device-plugin:v0.17.0",
                      [{"name": "PASS_DEVICE_SPECS", "value": "true"}, {"name": "FAIL_ON_INIT_ERROR", "value": "true"},
                       {"name": "DEVICE_LIST_STRATEGY", "value": "envvar"}, *(plugin_env or [])]),
            daemonset(inc, "gpu-operator", "nvidia-dcgm-exporter",
                      "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.9-3.6.1-ubuntu22.04",
                      [{"name": "DCGM_EXPORTER_LISTEN", "value": ":9400"},
                       {"name": "DCGM_EXPORTER_KUBERNETES", "value": "true"},
                       {"name": "DCGM_EXPORTER_COLLECTORS", "value": "/etc/dcgm-exporter/dcp-metrics-included.csv"}])]


def vllm_v1_start(at: datetime, version: str, model: str, extra: str = "") -> list[tuple[datetime, str]]:
    lines = [
        (0, "INFO", "[__init__.py:239] Automatically detected platform cuda."),
        (3, "INFO", f"[api_server.py:1043] vLLM API server version {version}"),
        (3, "INFO", f"[api_server.py:1044] args: Namespace(model='{model}', host=None, port=8000{extra})"),
        (14, "INFO", "[config.py:717] This model supports multiple tasks: {'generate', 'embed', 'classify', 'score', "
                     "'reward'}. Defaulting to 'generate'."),
        (14, "INFO", "[config.py:2003] Chunked prefill is enabled with max_num_batched_tokens=2048."),
        (18, "INFO", f"[core.py:58] Initializing a V1 LLM engine ({version}) with config: model='{model}', "
                     f"speculative_config=None, tokenizer='{model}', dtype=torch.bfloat16, tensor_parallel_size=1, "
                     "device_config=cuda"),
    ]
    out = []
    for offset, level, text in lines:
        moment = at + timedelta(seconds=offset)
        out.append((moment, f"{level} {moment.strftime('%m-%d %H:%M:%S')} {text}"))
    return out


def engine_traceback(at: datetime, frames: list[str], error: str, notes: list[str]) -> list[tuple[datetime, str]]:
    stamp = at.strftime("%m-%d %H:%M:%S")
    head = [f"ERROR {stamp} [core.py:396] EngineCore failed to start.",
            f"ERROR {stamp} [core.py:396] Traceback (most recent call last):"]
    body = [f"ERROR {stamp} [core.py:396] {line}" for line in [*frames, error, *notes]]
    tail = ["Process EngineCore_0:", "Traceback (most recent call last):",
            '  File "/usr/lib/python3.12/multiprocessing/process.py", line 314, in _bootstrap',
            "    self.run()", error,
            "Traceback (most recent call last):",
            '  File "/usr/local/bin/vllm", line 10, in <module>', "    sys.exit(main())",
            '  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core_client.py", line 424, in '
            "_wait_for_engine_startup",
            '    raise RuntimeError("Engine core initialization failed. "',
            "RuntimeError: Engine core initialization failed. See root cause above."]
    return [(at, line) for line in head + body + tail]


CUDA_NOTES = ["CUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below "
              "might be incorrect.", "For debugging consider passing CUDA_LAUNCH_BLOCKING=1",
              "Compile with `TORCH_USE_CUDA_DSA` to enable device-side assertions.", ""]


# --- 1. Xid 79 on the GPU a pod used; the pod only says "CUDA error: unknown error" ----------------
def xid79_generic_cuda_error() -> tuple[Incident, dict[str, Any]]:
    inc = Incident("gpu-xid79-crashloop-generic-cuda-error", datetime(2025, 5, 20, 14, 30, tzinfo=UTC))
    node = "gpu-node-2"
    fault = inc.ago(28)  # 14:02
    image = "vllm/vllm-openai:v0.8.5"
    w = Workload("inference", "qwen-chat", "7c9d8b6f5", "x2kqp", node,
                 vllm_container(image, ["--model", "Qwen/Qwen2.5-7B-Instruct", "--max-model-len", "16384",
                                        "--gpu-memory-utilization", "0.90", "--port", "8000"], "8", "64Gi", 1),
                 inc.ago(60 * 24 * 3), {"app.kubernetes.io/component": "inference"})
    other = Workload("inference", "llama3-8b-rag", "5f7b9c6d4", "d8h2k", node,
                     vllm_container(image, ["--model", "meta-llama/Meta-Llama-3-8B-Instruct", "--port", "8000"],
                                    "8", "64Gi", 1), inc.ago(60 * 24 * 6))
    restarts = 6
    last_start, last_end = inc.ago(5.5), inc.ago(4.8)
    inc.objects += [gpu_node(inc, node, "NVIDIA-A100-SXM4-80GB", 81920, 8, (8, 0))]
    inc.objects += deployment_objects(inc, w, crashloop_status(inc, w, restarts, last_start, last_end,
                                                               inc.ago(60 * 24 * 3), image, "10.244.5.23"), False)
    inc.objects += deployment_objects(inc, other, running_status(inc, other, inc.ago(60 * 24 * 6), image,
                                                                 "10.244.5.19"), True)
    # the Xid health check was switched off earlier as a stopgap: the plugin keeps the GPU allocatable
    inc.objects += operator_daemonsets(inc, [{"name": "DP_DISABLE_HEALTHCHECKS", "value": "xids"}])
    inc.objects += restart_events(inc, w, image, restarts, fault + timedelta(minutes=1), inc.ago(4.8))
    inc.objects.append(event(inc, w, "Unhealthy", 'Readiness probe failed: Get "http://10.244.5.23:8000/health": '
                             "dial tcp 10.244.5.23:8000: connect: connection refused", 9, fault, inc.ago(5)))
    crash = engine_traceback(last_end - timedelta(seconds=2), [
        '  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core.py", line 387, in run_engine_core',
        "    engine_core = EngineCoreProc(*args, **kwargs)",
        '  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/worker/gpu_worker.py", line 119, in init_device',
        "    torch.cuda.set_device(self.device)",
        '  File "/usr/local/lib/python3.12/dist-packages/torch/cuda/__init__.py", line 476, in set_device',
        "    torch._C._cuda_setDevice(device)"], "RuntimeError: CUDA error: unknown error", CUDA_NOTES)
    model_args = ", max_model_len=16384, gpu_memory_utilization=0.9"
    previous_start = last_start - timedelta(minutes=5, seconds=40)
    previous = engine_traceback(previous_start + timedelta(seconds=37), [
        '  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core.py", line 387, in run_engine_core',
        "    engine_core = EngineCoreProc(*args, **kwargs)",
        '  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/worker/gpu_worker.py", line 119, in init_device',
        "    torch.cuda.set_device(self.device)"], "RuntimeError: CUDA error: unknown error", CUDA_NOTES)
    path = f"{w.namespace}/{w.pod}/vllm"
    inc.logs[f"{path}.log"] = log_lines(vllm_v1_start(last_start, "0.8.5", "Qwen/Qwen2.5-7B-Instruct", model_args)
                                        + crash)
    inc.logs[f"{path}.previous.log"] = log_lines(
        vllm_v1_start(previous_start, "0.8.5", "Qwen/Qwen2.5-7B-Instruct", model_args) + previous)
    points = times(inc)
    cards = gpus(node, "NVIDIA A100-SXM4-80GB", 8, inc.id)
    owners: dict[int, Callable[[datetime], tuple[str, str, str] | None]] = {
        3: lambda _t: (w.namespace, w.pod, "vllm"), 0: lambda _t: (other.namespace, other.pod, "vllm")}
    alive = {i: (lambda t, i=i: True) for i in range(8)}
    alive[3] = lambda t: t < fault  # fell off the bus: DCGM reads nothing more from it but the Xid
    util = {i: (lambda t, i=i: (55 + wobble(t, 12) if i == 3 else 41 + wobble(t, 9) if i == 0 else 0)
                if alive[i](t) else None) for i in range(8)}
    used = {i: (lambda t, i=i: (73_412 if i == 3 else 72_980 if i == 0 else 0) if alive[i](t) else None)
            for i in range(8)}
    xid = {i: (lambda t, i=i: 79 if i == 3 and t >= fault else 0) for i in range(8)}
    temp = {i: (lambda t, i=i: (61 + wobble(t, 2) if i in (0, 3) else 34) if alive[i](t) else None) for i in range(8)}
    inc.families += [
        dcgm("DCGM_FI_DEV_GPU_UTIL", points, cards, owners, util, "GPU utilization (in %)."),
        dcgm("DCGM_FI_DEV_FB_USED", points, cards, owners, used, "Framebuffer memory used (in MiB)."),
        dcgm("DCGM_FI_DEV_GPU_TEMP", points, cards, owners, temp, "GPU temperature (in C)."),
        dcgm("DCGM_FI_DEV_XID_ERRORS", points, cards, owners, xid, "Value of the last XID error encountered."),
    ]
    spec = {"id": inc.id,
            "title": "vLLM crash-loops with a generic 'CUDA error: unknown error'; DCGM shows Xid 79 on its GPU and "
                     "the Xid health check is disabled",
            "case": "GPU-07",
            "sources": ["https://github.com/NVIDIA/k8s-device-plugin/issues/189",
                        "https://github.com/NVIDIA/k8s-device-plugin/issues/58",
                        "https://github.com/NVIDIA/k8s-device-plugin/issues/234"],
            "captured_at": ts(inc.now), "tags": ["gpu", "node-health", "xid", "metrics", "metrics-only"],
            "trigger": {"alert": crashloop_alert(inc, w, inc.ago(13))},
            "expected": {"root_cause": "gpu.xid_unhealthy",
                         "evidence": ["DCGM_FI_DEV_XID_ERRORS", "79"],
                         "remediation": ["reset", "reboot"],
                         "forbidden": ["runtime.gpu_not_injected", "runtime.driver_cuda_mismatch", "model.gpu_oom",
                                       "gpu.ecc_uncorrectable"]}}
    return inc, spec


# --- 2. Double-bit ECC on the pod's GPU; the pod says "CUDA error: out of memory" ------------------
def ecc_misleading_oom() -> tuple[Incident, dict[str, Any]]:
    inc = Incident("gpu-ecc-dbe-misleading-cuda-oom", datetime(2025, 6, 3, 9, 40, tzinfo=UTC))
    node = "gpu-node-5"
    fault = inc.ago(29)  # 09:11
    image = "vllm/vllm-openai:v0.8.5"
    w = Workload("assistants", "llama32-3b-support", "6b8f9d7c5", "qk4zt", node,
                 vllm_container(image, ["--model", "meta-llama/Llama-3.2-3B-Instruct", "--max-model-len", "8192",
                                        "--gpu-memory-utilization", "0.85"], "6", "48Gi", 1),
                 inc.ago(60 * 24 * 9))
    restarts = 7
    last_start, last_end = inc.ago(4.2), inc.ago(3.5)
    inc.objects += [gpu_node(inc, node, "NVIDIA-A100-PCIE-40GB", 40960, 4, (8, 0))]
    inc.objects += deployment_objects(inc, w, crashloop_status(inc, w, restarts, last_start, last_end,
                                                               inc.ago(60 * 24 * 9), image, "10.244.7.40"), False)
    inc.objects += operator_daemonsets(inc)
    inc.objects += restart_events(inc, w, image, restarts, fault + timedelta(minutes=1), inc.ago(3.5))
    model_args = ", max_model_len=8192, gpu_memory_utilization=0.85"
    load_at = last_start + timedelta(seconds=24)
    loading = [(load_at, f"INFO {load_at.strftime('%m-%d %H:%M:%S')} [gpu_model_runner.py:1329] Starting to load "
                "model meta-llama/Llama-3.2-3B-Instruct..."),
               (load_at + timedelta(seconds=2), f"INFO {(load_at + timedelta(seconds=2)).strftime('%m-%d %H:%M:%S')} "
                "[weight_utils.py:265] Using model weights format ['*.safetensors']")]
    crash = engine_traceback(last_end - timedelta(seconds=3), [
        '  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/worker/gpu_model_runner.py", line 1332, in '
        "load_model",
        "    self.model = get_model(vllm_config=self.vllm_config)",
        '  File "/usr/local/lib/python3.12/dist-packages/vllm/model_executor/model_loader/loader.py", line 452, in '
        "load_model",
        "    model = _initialize_model(vllm_config=vllm_config)"], "RuntimeError: CUDA error: out of memory",
        CUDA_NOTES)
    path = f"{w.namespace}/{w.pod}/vllm"
    inc.logs[f"{path}.log"] = log_lines(vllm_v1_start(last_start, "0.8.5", "meta-llama/Llama-3.2-3B-Instruct",
                                                      model_args) + loading + crash)
    serving_start = fault - timedelta(hours=3)
    serving = [(serving_start + timedelta(minutes=m), f'INFO:     10.244.2.{17 + m % 5}:5{1000 + m} - "POST '
                f'/v1/chat/completions HTTP/1.1" 200 OK') for m in range(0, 178, 3)]
    at = fault.strftime("%m-%d %H:%M:%S")
    died = [(fault, f"ERROR {at} [core.py:400] EngineCore encountered a fatal error."),
            (fault, f"ERROR {at} [core.py:400] Traceback (most recent call last):"),
            (fault, f'ERROR {at} [core.py:400]   File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/'
                    'core.py", line 391, in run_engine_core'),
            (fault, f"ERROR {at} [core.py:400]     engine_core.run_busy_loop()"),
            (fault, f"ERROR {at} [core.py:400] RuntimeError: CUDA error: out of memory"),
            *[(fault, f"ERROR {at} [core.py:400] {note}") for note in CUDA_NOTES[:3]],
            (fault + timedelta(seconds=1), f"ERROR {at} [async_llm.py:399] AsyncLLM output_handler failed."),
            (fault + timedelta(seconds=1), "INFO:     Shutting down"),
            (fault + timedelta(seconds=2), "INFO:     Finished server process [1]")]
    inc.logs[f"{path}.previous.log"] = log_lines(
        vllm_v1_start(serving_start - timedelta(minutes=3), "0.8.5", "meta-llama/Llama-3.2-3B-Instruct", model_args)
        + serving + died)
    points = times(inc)
    cards = gpus(node, "NVIDIA A100-PCIE-40GB", 4, inc.id)
    owners = {2: lambda _t: (w.namespace, w.pod, "vllm")}
    sick = 2
    xid = {i: (lambda t, i=i: 48 if i == sick and t >= fault else 0) for i in range(4)}
    dbe = {i: (lambda t, i=i: 2 if i == sick and t >= fault else 0) for i in range(4)}
    sbe = {i: (lambda t, i=i: 3 if i == sick else 0) for i in range(4)}
    remapped = {i: (lambda t, i=i: 1 if i == sick and t >= fault + timedelta(minutes=1) else 0) for i in range(4)}
    used = {i: (lambda t, i=i: (34_610 if t < fault else 470 + (t.minute % 4) * 90) if i == sick else 0)
            for i in range(4)}
    util = {i: (lambda t, i=i: (38 + wobble(t, 10) if t < fault else 0) if i == sick else 0) for i in range(4)}
    inc.families += [
        dcgm("DCGM_FI_DEV_GPU_UTIL", points, cards, owners, util, "GPU utilization (in %)."),
        dcgm("DCGM_FI_DEV_FB_USED", points, cards, owners, used, "Framebuffer memory used (in MiB)."),
        dcgm("DCGM_FI_DEV_XID_ERRORS", points, cards, owners, xid, "Value of the last XID error encountered."),
        dcgm("DCGM_FI_DEV_ECC_SBE_VOL_TOTAL", points, cards, owners, sbe, "Total number of single-bit volatile ECC "
             "errors."),
        dcgm("DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", points, cards, owners, dbe, "Total number of double-bit volatile ECC "
             "errors."),
        dcgm("DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", points, cards, owners, remapped,
             "Number of remapped rows for uncorrectable errors"),
        dcgm("DCGM_FI_DEV_ROW_REMAP_FAILURE", points, cards, owners, {i: (lambda _t: 0) for i in range(4)},
             "Whether remapping of rows has failed"),
    ]
    spec = {"id": inc.id,
            "title": "A 3B model on a 40 GB A100 crash-loops with 'CUDA error: out of memory'; DCGM shows double-bit "
                     "ECC errors and a remapped row on its GPU",
            "case": "GPU-08",
            "sources": ["https://github.com/NVIDIA/k8s-device-plugin/issues/243",
                        "https://github.com/NVIDIA/gpu-operator/issues/1146",
                        "https://github.com/vllm-project/vllm/issues/5222"],
            "captured_at": ts(inc.now), "tags": ["gpu", "node-health", "ecc", "metrics", "metrics-only"],
            "trigger": {"question": "llama32-3b-support keeps dying with CUDA out of memory since about 09:10, but "
                                    "it is a 3B model on a 40GB card and ran for days. what is going on?",
                        "subject": f"pod {w.namespace}/{w.pod}"},
            "expected": {"root_cause": "gpu.ecc_uncorrectable",
                         "evidence": ["DCGM_FI_DEV_ECC_DBE_VOL_TOTAL"],
                         "remediation": ["drain", "RMA"],
                         "forbidden": ["model.gpu_oom", "runtime.container_oomkilled", "model.kv_cache_no_memory"]}}
    return inc, spec


# --- 3. KV cache full, queue growing, stats logging off: only the metrics show it -------------------
def kv_cache_saturated() -> tuple[Incident, dict[str, Any]]:
    inc = Incident("vllm-kv-cache-saturated-metrics-only", datetime(2025, 2, 11, 16, 45, tzinfo=UTC))
    node = "gpu-node-7"
    surge = inc.ago(60)
    image = "vllm/vllm-openai:v0.6.3.post1"
    w = Workload("chat", "llama31-70b-chat", "84d6c9f7b", "m7w2p", node,
                 vllm_container(image, ["--model", "meta-llama/Llama-3.1-70B-Instruct", "--tensor-parallel-size", "4",
                                        "--max-model-len", "32768", "--gpu-memory-utilization", "0.92",
                                        "--disable-log-stats", "--disable-log-requests"], "32", "256Gi", 4),
                 inc.ago(60 * 24 * 2))
    inc.objects += [gpu_node(inc, node, "NVIDIA-A100-SXM4-80GB", 81920, 8, (8, 0))]
    inc.objects += deployment_objects(inc, w, running_status(inc, w, inc.ago(60 * 24 * 2), image, "10.244.9.12"),
                                      True)
    inc.objects += operator_daemonsets(inc)
    started = inc.ago(60 * 24 * 2) + timedelta(seconds=20)
    stamp = started.strftime("%m-%d %H:%M:%S")
    ready = (started + timedelta(minutes=3)).strftime("%m-%d %H:%M:%S")
    boot = [(started, f"INFO {stamp} api_server.py:528] vLLM API server version 0.6.3.post1"),
            (started, f"INFO {stamp} llm_engine.py:237] Initializing an LLM engine (v0.6.3.post1) with config: "
                      "model='meta-llama/Llama-3.1-70B-Instruct', tensor_parallel_size=4, max_seq_len=32768, "
                      "kv_cache_dtype=auto, enable_prefix_caching=False"),
            (started + timedelta(minutes=3), f"INFO {ready} distributed_gpu_executor.py:57] # GPU blocks: 25904, "
                                             "# CPU blocks: 3276"),
            (started + timedelta(minutes=3), f"INFO {ready} distributed_gpu_executor.py:61] Maximum concurrency "
                                             "for 32768 tokens per request: 12.65x"),
            (started + timedelta(minutes=4), "INFO:     Application startup complete."),
            (started + timedelta(minutes=4), "INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)")]
    access = [(inc.ago(30) + timedelta(seconds=7 * i), f'INFO:     10.244.{1 + i % 3}.{20 + i % 40}:{40000 + i} - '
               '"POST /v1/chat/completions HTTP/1.1" 200 OK') for i in range(250)]
    inc.logs[f"{w.namespace}/{w.pod}/vllm.log"] = log_lines(boot + access)
    points = times(inc)
    labels = scrape_labels(w.namespace, w.pod, {"model_name": "meta-llama/Llama-3.1-70B-Instruct"})

    def after(t: datetime, start: datetime, minutes: float) -> float:
        return min(1.0, max(0.0, (t - start).total_seconds() / 60 / minutes))

    kv = lambda t: round(min(0.997, 0.55 + 0.447 * after(t, surge, 25) + wobble(t, 0.01)), 4)  # noqa: E731
    running = lambda t: round(118 + 129 * after(t, surge, 25) + wobble(t, 3))  # noqa: E731
    waiting = lambda t: round(740 * after(t, inc.ago(40), 40) + (wobble(t, 6) if t > inc.ago(40) else 0))  # noqa: E731
    preempted = lambda t: round(4.2 * max(0.0, (t - inc.ago(35)).total_seconds() / 60))  # noqa: E731
    slow_share = lambda t: after(t, inc.ago(40), 25)  # noqa: E731

    def ttft_share_below(t: datetime, le: float) -> float:
        healthy = min(1.0, le / 0.6) if le < 0.6 else 1.0
        saturated = min(1.0, le / 30.0)
        return round((1 - slow_share(t)) * healthy + slow_share(t) * saturated, 4)

    cards = gpus(node, "NVIDIA A100-SXM4-80GB", 8, inc.id)
    owners = {i: (lambda _t: (w.namespace, w.pod, "vllm")) for i in range(4)}
    util = {i: (lambda t, i=i: (21 + wobble(t, 4) if i < 4 else 0)) for i in range(8)}
    dram = {i: (lambda t, i=i: (round(0.31 + wobble(t, 0.03), 3) if i < 4 else 0)) for i in range(8)}
    used = {i: (lambda t, i=i: 75_320 if i < 4 else 0) for i in range(8)}
    inc.families += [
        gauge("vllm:gpu_cache_usage_perc", labels, points, kv, "GPU KV-cache usage. 1 means 100 percent usage."),
        gauge("vllm:num_requests_running", labels, points, running, "Number of requests currently running on GPU."),
        gauge("vllm:num_requests_waiting", labels, points, waiting, "Number of requests waiting to be processed."),
        gauge("vllm:num_requests_swapped", labels, points, lambda _t: 0, "Number of requests swapped to CPU."),
        counter("vllm:num_preemptions", labels, points, preempted, "Cumulative number of preemption from the engine."),
        histogram("vllm:time_to_first_token_seconds", labels, points, TTFT_BUCKETS, lambda _t: 9.0, ttft_share_below,
                  "Histogram of time to first token in seconds."),
        dcgm("DCGM_FI_DEV_GPU_UTIL", points, cards, owners, util, "GPU utilization (in %)."),
        dcgm("DCGM_FI_PROF_DRAM_ACTIVE", points, cards, owners, dram, "Ratio of cycles the device memory interface "
             "is active sending or receiving data."),
        dcgm("DCGM_FI_DEV_FB_USED", points, cards, owners, used, "Framebuffer memory used (in MiB)."),
    ]
    spec = {"id": inc.id,
            "title": "Llama-3.1-70B chat slows down under a traffic surge: vLLM KV cache at 99.7% with 740 requests "
                     "waiting, seen only in its metrics (stats logging disabled)",
            "case": "RT-15",
            "sources": ["https://github.com/vllm-project/vllm/issues/6737"],
            "captured_at": ts(inc.now), "tags": ["perf", "vllm", "kv-cache", "metrics", "metrics-only"],
            "trigger": {"question": "chat completions have become really slow over the last half hour, p90 time to "
                                    "first token is over 10s. what is wrong with the llama 70b chat server?",
                        "subject": f"pod {w.namespace}/{w.pod}"},
            "expected": {"root_cause": "perf.kv_cache_saturated",
                         "evidence": ["KV cache usage", "vllm:num_requests_waiting"],
                         "remediation": ["replica", "max-model-len"],
                         "forbidden": ["perf.cpu_throttled_gpu_idle", "model.kv_cache_no_memory"]}}
    return inc, spec


# --- 4. A force-deleted job's process still holds GPU memory when vLLM starts on that GPU -----------
def leftover_process() -> tuple[Incident, dict[str, Any]]:
    inc = Incident("vllm-gpu-memory-held-by-leftover-job-process", datetime(2025, 4, 8, 12, 30, tzinfo=UTC))
    node = "gpu-node-4"
    job_gone, vllm_start = inc.ago(25), inc.ago(21)  # 12:05, 12:09
    image = "vllm/vllm-openai:v0.8.4"
    w = Workload("llm", "mistral-7b-chat", "55c8d7f9b", "t6r4j", node,
                 vllm_container(image, ["--model", "mistralai/Mistral-7B-Instruct-v0.3", "--gpu-memory-utilization",
                                        "0.9", "--max-model-len", "32768"], "8", "48Gi", 1),
                 vllm_start - timedelta(seconds=30))
    neighbour = Workload("llm", "qwen-embed", "7d9c5b8f6", "p2x9s", node,
                         vllm_container(image, ["--model", "Qwen/Qwen2.5-7B-Instruct", "--task", "embed"], "8", "48Gi",
                                        1), inc.ago(60 * 24 * 4))
    restarts = 5
    last_start, last_end = inc.ago(3.4), inc.ago(2.9)
    inc.objects += [gpu_node(inc, node, "NVIDIA-A100-SXM4-80GB", 81920, 2, (8, 0))]
    inc.objects += deployment_objects(inc, w, crashloop_status(inc, w, restarts, last_start, last_end,
                                                               vllm_start - timedelta(seconds=30), image,
                                                               "10.244.4.51"), False)
    inc.objects += deployment_objects(inc, neighbour, running_status(inc, neighbour, inc.ago(60 * 24 * 4), image,
                                                                     "10.244.4.33"), True)
    inc.objects += operator_daemonsets(inc)
    inc.objects += restart_events(inc, w, image, restarts, vllm_start, inc.ago(2.9))
    batch = Workload("batch", "embed-backfill", "28761", "q9v2m", node, {}, inc.ago(120))
    batch_pod = "embed-backfill-28761-q9v2m"
    kill = event(inc, batch, "Killing", "Stopping container embedder", 1, job_gone - timedelta(minutes=3),
                 job_gone - timedelta(minutes=3), kind="Normal")
    failed = event(inc, batch, "FailedKillPod", 'error killing pod: failed to "KillContainer" for "embedder" with '
                   'KillContainerError: "rpc error: code = DeadlineExceeded desc = context deadline exceeded"', 1,
                   job_gone - timedelta(minutes=1), job_gone - timedelta(minutes=1))
    for item in (kill, failed):
        item["involvedObject"].update({"name": batch_pod, "fieldPath": "spec.containers{embedder}"})
        item["metadata"]["name"] = f"{batch_pod}.{item['metadata']['name'].split('.')[-1]}"
    inc.objects += [kill, failed]
    model_args = ", max_model_len=32768, gpu_memory_utilization=0.9"
    frames = ['  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/worker/gpu_worker.py", line 126, in init_device',
              "    raise ValueError("]
    error = ("ValueError: Free memory on device (59.32/79.15 GiB) on startup is less than desired GPU memory "
             "utilization (0.9, 71.24 GiB). Decrease GPU memory utilization or reduce GPU memory used by other "
             "processes.")
    path = f"{w.namespace}/{w.pod}/vllm"
    model = "mistralai/Mistral-7B-Instruct-v0.3"
    inc.logs[f"{path}.log"] = log_lines(vllm_v1_start(last_start, "0.8.4", model, model_args)
                                        + engine_traceback(last_end - timedelta(seconds=2), frames, error, [""]))
    previous_start = last_start - timedelta(minutes=5, seconds=10)
    inc.logs[f"{path}.previous.log"] = log_lines(
        vllm_v1_start(previous_start, "0.8.4", model, model_args)
        + engine_traceback(previous_start + timedelta(seconds=24), frames, error, [""]))
    points = times(inc)
    cards = gpus(node, "NVIDIA A100-SXM4-80GB", 2, inc.id)

    def holder(t: datetime) -> tuple[str, str, str] | None:
        if t < job_gone:
            return ("batch", batch_pod, "embedder")
        if t < vllm_start:
            return None
        return (w.namespace, w.pod, "vllm")

    owners = {0: lambda _t: (neighbour.namespace, neighbour.pod, "vllm"), 1: holder}
    starting = lambda t: t >= vllm_start and (t.minute * 60 + t.second) % 330 < 60  # noqa: E731  brief CUDA context
    used = {0: lambda t: 71_950, 1: lambda t: 20_306 + (488 if starting(t) else 0)}
    free = {0: lambda t: 81_920 - 71_950 - 581, 1: lambda t: 81_920 - 20_306 - 581 - (488 if starting(t) else 0)}
    util = {0: lambda t: 33 + wobble(t, 8), 1: lambda t: 84 + wobble(t, 6) if t < job_gone else 0}
    inc.families += [
        dcgm("DCGM_FI_DEV_FB_USED", points, cards, owners, used, "Framebuffer memory used (in MiB)."),
        dcgm("DCGM_FI_DEV_FB_FREE", points, cards, owners, free, "Framebuffer memory free (in MiB)."),
        dcgm("DCGM_FI_DEV_GPU_UTIL", points, cards, owners, util, "GPU utilization (in %)."),
    ]
    spec = {"id": inc.id,
            "title": "vLLM cannot start: a force-deleted batch pod's process still holds 20 GB on the GPU it was "
                     "given (DCGM shows the memory with no pod before vLLM started)",
            "sources": ["https://github.com/vllm-project/vllm/issues/19445"],
            "captured_at": ts(inc.now), "tags": ["model", "vllm", "gpu-memory", "metrics"],
            "trigger": {"alert": crashloop_alert(inc, w, inc.ago(15))},
            "expected": {"root_cause": "model.gpu_memory_held_by_other_process",
                         "evidence": ["DCGM_FI_DEV_FB_USED", "Free memory on device (59.32/79.15 GiB)"],
                         "remediation": ["process", "gpu-memory-utilization"],
                         "forbidden": ["model.gpu_oom", "gpu.timeslicing_oversubscribed"]}}
    return inc, spec


# --- 5. A 2-core CPU limit throttles the server while its L4 idles ---------------------------------
def cpu_throttled_gpu_idle() -> tuple[Incident, dict[str, Any]]:
    inc = Incident("vllm-cpu-limit-throttled-gpu-idle", datetime(2025, 3, 26, 11, 15, tzinfo=UTC))
    node = "gpu-node-9"
    busy = inc.ago(50)
    image = "vllm/vllm-openai:v0.6.6.post1"
    w = Workload("api", "phi3-mini-api", "6f4d8b7c9", "h5n8v", node,
                 vllm_container(image, ["--model", "microsoft/Phi-3-mini-4k-instruct", "--max-model-len", "4096",
                                        "--gpu-memory-utilization", "0.9", "--disable-log-requests"], "2", "16Gi", 1),
                 inc.ago(60 * 24 * 12))
    inc.objects += [gpu_node(inc, node, "NVIDIA-L4", 23034, 1, (8, 9))]
    inc.objects += deployment_objects(inc, w, running_status(inc, w, inc.ago(60 * 24 * 12), image, "10.244.11.8"),
                                      True)
    inc.objects += operator_daemonsets(inc)
    lines = []
    for i in range(0, 110, 1):
        at = inc.ago(110) + timedelta(seconds=60 * i + 7)
        load = 1.0 if at >= busy else 0.25
        running = round(18 * load + abs(wobble(at, 2)))
        pending = round(31 * load + wobble(at, 9)) if at >= busy else 0
        lines.append((at, f"INFO {at.strftime('%m-%d %H:%M:%S')} metrics.py:467] Avg prompt throughput: "
                          f"{612.4 * load + wobble(at, 40):.1f} tokens/s, Avg generation throughput: "
                          f"{214.7 * load + wobble(at, 15):.1f} tokens/s, Running: {running} reqs, Swapped: 0 reqs, "
                          f"Pending: {max(pending, 0)} reqs, "
                          f"GPU KV cache usage: {28.6 * load + abs(wobble(at, 3)):.1f}%, "
                          "CPU KV cache usage: 0.0%."))
    inc.logs[f"{w.namespace}/{w.pod}/vllm.log"] = log_lines(lines)
    points = times(inc)
    cad = {"namespace": w.namespace, "pod": w.pod, "container": "vllm", "node": node, "instance": "10.0.0.12:10250",
           "job": "kubelet", "metrics_path": "/metrics/cadvisor", "endpoint": "https-metrics",
           "image": f"docker.io/{image}", "name": uuid.uuid5(uuid.NAMESPACE_URL, w.pod).hex * 2,
           "id": f"/kubepods.slice/kubepods-pod{uuid.uuid5(uuid.NAMESPACE_URL, w.pod).hex}.slice"}
    start = points[0]

    def seconds(t: datetime) -> float:
        return (t - start).total_seconds()

    def busy_seconds(t: datetime) -> float:
        return max(0.0, (t - busy).total_seconds())

    periods = lambda t: round(10 * seconds(t))  # noqa: E731  100 ms CFS periods
    throttled = lambda t: round(0.05 * 10 * seconds(t) + 0.67 * 10 * busy_seconds(t))  # noqa: E731  ~72% when busy
    cpu_used = lambda t: round(0.6 * seconds(t) + 1.37 * busy_seconds(t), 2)  # noqa: E731  0.6 -> 1.97 cores
    labels = scrape_labels(w.namespace, w.pod, {"model_name": "microsoft/Phi-3-mini-4k-instruct"})
    cards = gpus(node, "NVIDIA L4", 1, inc.id)
    owners = {0: lambda _t: (w.namespace, w.pod, "vllm")}
    inc.families += [
        counter("container_cpu_cfs_periods", cad, points, periods, "Number of elapsed enforcement period intervals."),
        counter("container_cpu_cfs_throttled_periods", cad, points, throttled,
                "Number of throttled period intervals."),
        counter("container_cpu_usage_seconds", {**cad, "cpu": "total"}, points, cpu_used,
                "Cumulative cpu time consumed in seconds."),
        gauge("container_memory_working_set_bytes", cad, points, lambda t: 9_412_345_856 + wobble(t, 5e7),
              "Current working set in bytes."),
        dcgm("DCGM_FI_DEV_GPU_UTIL", points, cards, owners,
             {0: lambda t: (17 if t >= busy else 6) + wobble(t, 3)}, "GPU utilization (in %)."),
        dcgm("DCGM_FI_DEV_FB_USED", points, cards, owners, {0: lambda t: 20_615}, "Framebuffer memory used (in MiB)."),
        gauge("vllm:gpu_cache_usage_perc", labels, points, lambda t: round((0.286 if t >= busy else 0.07)
                                                                          + abs(wobble(t, 0.03)), 3),
              "GPU KV-cache usage. 1 means 100 percent usage."),
        gauge("vllm:num_requests_waiting", labels, points, lambda t: max(0, round(31 + wobble(t, 9)))
              if t >= busy else 0, "Number of requests waiting to be processed."),
        gauge("vllm:num_requests_running", labels, points, lambda t: round(18 + abs(wobble(t, 2))) if t >= busy
              else 4, "Number of requests currently running on GPU."),
    ]
    spec = {"id": inc.id,
            "title": "Phi-3-mini on an L4 is slow while the GPU idles: the vLLM container's 2-core CPU limit "
                     "throttles it in ~70% of CFS periods",
            "sources": [],
            "captured_at": ts(inc.now), "tags": ["perf", "vllm", "cpu", "metrics", "metrics-only"],
            "trigger": {"question": "phi3-mini-api answers slowly since about 10:25 and its L4 sits mostly idle. "
                                    "why is it slow?",
                        "subject": f"pod {w.namespace}/{w.pod}"},
            "expected": {"root_cause": "perf.cpu_throttled_gpu_idle",
                         "evidence": ["throttled", "DCGM_FI_DEV_GPU_UTIL"],
                         "remediation": ["CPU limit"],
                         "forbidden": ["perf.kv_cache_saturated", "runtime.container_oomkilled"]}}
    return inc, spec


INCIDENTS = [xid79_generic_cuda_error, ecc_misleading_oom, kv_cache_saturated, leftover_process,
             cpu_throttled_gpu_idle]
