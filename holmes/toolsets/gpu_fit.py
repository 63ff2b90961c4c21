"""gpu_memory_fit: does a model fit the GPUs a pod got, by how much, and what is the smallest change that fits.

Facts come from the pod when one is named (vLLM flags or TGI env of the serving container, its GPU
request, its node's GPU feature-discovery labels or its DRA devices' capacity); any argument overrides
them. Model architecture comes from holmes/data/models.yaml plus the `gpu_models` setting.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, Field

from holmes.sources.kube import KubeReader
from holmes.toolsets import dra_shapes as shapes
from holmes.toolsets.access import kube, list_all, meta, reads_kube
from holmes.toolsets.base import Tool, ToolContext, ToolError, ToolOutput
from holmes.toolsets.dra_explain import pod_claim_refs
from holmes.toolsets.memory_estimate import (
    GIB,
    MIN_CONTEXT,
    Estimate,
    FitError,
    Gpus,
    ModelFacts,
    Serving,
    estimate,
    find_model,
    smallest_changes,
)
from holmes.toolsets.render import fit_text, quantity

# vLLM flag (and short forms) -> Serving field; TGI env -> the same
FLAGS = {"--model": "model", "--dtype": "dtype", "--quantization": "quantization", "-q": "quantization",
         "--kv-cache-dtype": "kv_cache_dtype", "--max-model-len": "max_model_len",
         "--tensor-parallel-size": "tensor_parallel_size", "-tp": "tensor_parallel_size",
         "--gpu-memory-utilization": "gpu_memory_utilization", "--max-num-batched-tokens": "max_num_batched_tokens",
         "--model-id": "model", "--model_id": "model", "--num-shard": "tensor_parallel_size",
         "--quantize": "quantization", "--max-total-tokens": "max_model_len"}
TGI_ENV = {"MODEL_ID": "model", "NUM_SHARD": "tensor_parallel_size", "QUANTIZE": "quantization", "DTYPE": "dtype",
           "MAX_TOTAL_TOKENS": "max_model_len", "CUDA_MEMORY_FRACTION": "gpu_memory_utilization"}
TGI_FLAGS = {"--model-id", "--model_id", "--num-shard", "--quantize", "--max-total-tokens"}
MIG_RESOURCE = re.compile(r"^nvidia\.com/mig-(\d+)g\.(\d+)gb$")


class GpuFitParams(BaseModel):
    namespace: str | None = Field(default=None, description="Namespace of a serving pod to read facts from.")
    pod: str | None = Field(default=None, description="Serving pod (vLLM or TGI): its flags, GPUs and node.")
    model: str | None = Field(default=None, description="Model id, e.g. meta-llama/Meta-Llama-3-8B-Instruct.")
    dtype: str | None = Field(default=None, description="Weight dtype: auto, bfloat16, float16, float32.")
    quantization: str | None = Field(default=None, description="fp8, int8, awq, gptq, bitsandbytes...")
    kv_cache_dtype: str | None = Field(default=None, description="auto or fp8.")
    max_model_len: int | None = Field(default=None, ge=1, description="Context length served.")
    tensor_parallel_size: int | None = Field(default=None, ge=1, le=64)
    gpu_memory_utilization: float | None = Field(default=None, gt=0, le=1)
    gpu_memory_gib: float | None = Field(default=None, gt=0, description="Memory of one GPU, GiB.")
    gpu_count: int | None = Field(default=None, ge=1, description="GPUs the pod got.")
    params_b: float | None = Field(default=None, gt=0, description="Parameters in billions (unknown models).")
    layers: int | None = Field(default=None, ge=1)
    kv_heads: int | None = Field(default=None, ge=1)
    head_dim: int | None = Field(default=None, ge=1)
    hidden_size: int | None = Field(default=None, ge=1)


# --- facts from the pod ----------------------------------------------------------------------------
def serving_container(pod: dict[str, Any]) -> dict[str, Any] | None:
    """The container that requests GPUs (else the first)."""
    containers = (pod.get("spec") or {}).get("containers") or []
    for container in containers:
        limits = {**((container.get("resources") or {}).get("requests") or {}),
                  **((container.get("resources") or {}).get("limits") or {})}
        if any(k.startswith("nvidia.com/") for k in limits) or (container.get("resources") or {}).get("claims"):
            return dict(container)
    return dict(containers[0]) if containers else None


def _words(container: dict[str, Any]) -> list[str]:
    words = [str(w) for w in (container.get("command") or []) + (container.get("args") or [])]
    if len(words) >= 3 and words[0].endswith("sh") and words[1] in ("-c", "-ec", "-xc"):
        try:
            return words[:2] + shlex.split(words[2])
        except ValueError:
            return words
    return words


def _is_tgi(container: dict[str, Any], words: list[str]) -> bool:
    env = {e.get("name") for e in container.get("env") or []}
    return ("text-generation-inference" in str(container.get("image", "")) or "MODEL_ID" in env
            or any(w.partition("=")[0] in TGI_FLAGS for w in words))


def flags(container: dict[str, Any]) -> dict[str, str]:
    """Serving settings from vLLM/TGI command-line flags and TGI environment variables."""
    found: dict[str, str] = {}
    for env in container.get("env") or []:
        if env.get("name") in TGI_ENV and "value" in env:
            found[TGI_ENV[env["name"]]] = str(env["value"])
    words = _words(container)
    if _is_tgi(container, words):
        found.setdefault("gpu_memory_utilization", "1.0")  # TGI has no utilisation budget: all of the GPU
    for index, word in enumerate(words):
        name, _, inline = word.partition("=")
        if name in FLAGS:
            value = inline or (words[index + 1] if index + 1 < len(words) else "")
            found[FLAGS[name]] = value
        elif word == "serve" and index + 1 < len(words) and not words[index + 1].startswith("-"):
            found.setdefault("model", words[index + 1])  # vllm serve MODEL
    return found


def gpu_request(container: dict[str, Any]) -> tuple[int, str | None]:
    """How many GPUs the container asked for, and the MIG resource name when it asked for a MIG slice."""
    resources = container.get("resources") or {}
    wanted = {**(resources.get("requests") or {}), **(resources.get("limits") or {})}
    for name, value in wanted.items():
        if MIG_RESOURCE.match(name):
            return int(quantity(value) or 1), name
    return int(quantity(wanted.get("nvidia.com/gpu")) or 0), None


def node_gpu_memory(node: dict[str, Any], mig: str | None) -> tuple[float | None, dict[str, Any]]:
    """GiB per GPU (or MIG slice) from GPU feature discovery labels, and the facts shown."""
    labels = meta(node).get("labels") or {}
    facts = {k: labels[k] for k in ("nvidia.com/gpu.product", "nvidia.com/gpu.memory", "nvidia.com/gpu.count")
             if k in labels}
    compute = [labels.get("nvidia.com/gpu.compute.major"), labels.get("nvidia.com/gpu.compute.minor")]
    facts["compute_capability"] = float(f"{compute[0]}.{compute[1]}") if all(compute) else None
    if mig:
        profile = mig.removeprefix("nvidia.com/mig-")
        mib = quantity(labels.get(f"nvidia.com/mig-{profile}.memory"))
        if mib:
            return mib / 1024, facts
        match = MIG_RESOURCE.match(mig)
        return (int(match.group(2)) * 1e9 / GIB if match else None), facts
    mib = quantity(labels.get("nvidia.com/gpu.memory"))
    return (mib / 1024 if mib else None), facts


def dra_gpus(reader: KubeReader, pod: dict[str, Any]) -> list[float]:
    """GiB of each device allocated to the pod's ResourceClaims, from the ResourceSlices' capacity."""
    namespace = meta(pod).get("namespace")
    results = []
    for ref in pod_claim_refs(pod):
        claim = reader.get("resourceclaim", ref["claim"], namespace) if ref.get("claim") else None
        results += shapes.allocation_results(claim or {})
    if not results:
        return []
    capacity: dict[tuple[str, str, str], float] = {}
    for resource_slice in list_all(reader, "resourceslice"):
        for device in shapes.slice_devices(resource_slice):
            memory = device["capacity"].get("memory") or device["capacity"].get("gpu.nvidia.com/memory")
            size = quantity(memory)
            if size:
                key = (shapes.slice_driver(resource_slice), shapes.slice_pool(resource_slice), device["name"])
                capacity[key] = size / GIB
    return [capacity[k] for k in ((r.get("driver", ""), r.get("pool", ""), r.get("device", "")) for r in results)
            if k in capacity]


def pod_facts(reader: KubeReader, namespace: str, name: str) -> dict[str, Any]:
    """Serving flags, GPU count and per-GPU memory of a pod, with where each came from."""
    pod = reader.get("pod", name, namespace)
    if pod is None:
        raise ToolError(f"pod {namespace}/{name} not found")
    container = serving_container(pod)
    if container is None:
        raise ToolError(f"pod {namespace}/{name} has no containers")
    found: dict[str, Any] = {"container": container.get("name"), "flags": flags(container)}
    count, mig = gpu_request(container)
    node_name = (pod.get("spec") or {}).get("nodeName")
    node = reader.get("node", node_name) if node_name else None
    found.update({"gpu_count": count or None, "mig": mig, "node": node_name})
    if node:
        memory, facts = node_gpu_memory(node, mig)
        found.update({"gpu_memory_gib": memory, "node_gpu": facts,
                      "gpus_on_node": int(quantity(facts.get("nvidia.com/gpu.count")) or 0) or None})
    devices = dra_gpus(reader, pod)
    if devices:
        found.update({"gpu_memory_gib": min(devices), "gpu_count": len(devices), "dra_devices": len(devices)})
    return found


# --- the tool --------------------------------------------------------------------------------------
def _model(params: GpuFitParams, model_id: str | None, overrides: dict[str, dict[str, Any]]) -> ModelFacts:
    known = find_model(model_id, overrides) if model_id else None
    explicit = {k: getattr(params, k) for k in ("params_b", "layers", "kv_heads", "head_dim", "hidden_size")
                if getattr(params, k) is not None}
    if known:
        return replace(known, **explicit)
    missing = [k for k in ("params_b", "layers", "kv_heads", "head_dim", "hidden_size") if k not in explicit]
    if missing:
        what = f"model {model_id!r} is not in the catalog" if model_id else "no model given or found on the pod"
        raise ToolError(f"{what}; pass {', '.join(missing)} (or add it to the gpu_models setting)")
    hidden = explicit["hidden_size"]
    return ModelFacts(name=model_id or "custom", params_b=explicit["params_b"], layers=explicit["layers"],
                      hidden_size=hidden, attention_heads=max(1, hidden // explicit["head_dim"]),
                      kv_heads=explicit["kv_heads"], head_dim=explicit["head_dim"], vocab_size=32000,
                      max_context=params.max_model_len or 4096)


def _number(value: Any, kind: type) -> Any:
    if value in (None, ""):
        return None
    try:
        return kind(float(value)) if kind is int else kind(value)
    except (TypeError, ValueError):
        raise ToolError(f"cannot read {value!r} as a number") from None


def _serving(params: GpuFitParams, found: dict[str, str], model: ModelFacts) -> Serving:
    weight_format = (params.quantization or found.get("quantization") or model.quantization or params.dtype
                     or found.get("dtype") or "auto")
    return Serving(weight_format=weight_format,
                   kv_cache_dtype=params.kv_cache_dtype or found.get("kv_cache_dtype") or "auto",
                   max_model_len=params.max_model_len or _number(found.get("max_model_len"), int),
                   tensor_parallel_size=params.tensor_parallel_size or _number(found.get("tensor_parallel_size"), int)
                   or 1,
                   gpu_memory_utilization=params.gpu_memory_utilization
                   or _number(found.get("gpu_memory_utilization"), float) or 0.9,
                   max_num_batched_tokens=_number(found.get("max_num_batched_tokens"), int))


@reads_kube
def gpu_memory_fit(ctx: ToolContext, params: GpuFitParams) -> ToolOutput:
    pod: dict[str, Any] = {}
    if params.pod:
        if not params.namespace:
            raise ToolError("pod needs its namespace")
        pod = pod_facts(kube(ctx), params.namespace, params.pod)
    found: dict[str, str] = pod.get("flags", {})
    model = _model(params, params.model or found.get("model"), ctx.extras.get("gpu_models") or {})
    memory = params.gpu_memory_gib or pod.get("gpu_memory_gib")
    if not memory:
        where = " (its node has no nvidia.com/gpu.memory label)" if pod.get("node") else ""
        raise ToolError(f"GPU memory unknown{where}; pass gpu_memory_gib")
    try:
        serving = _serving(params, found, model)
        gpus = Gpus(memory_gib=float(memory), count=params.gpu_count or pod.get("gpu_count") or
                    serving.tensor_parallel_size, on_node=pod.get("gpus_on_node"),
                    product=(pod.get("node_gpu") or {}).get("nvidia.com/gpu.product", ""),
                    compute_capability=(pod.get("node_gpu") or {}).get("compute_capability"))
        result = estimate(model, serving, gpus)
        changes = [] if result.fits else smallest_changes(model, serving, gpus)
    except FitError as exc:
        raise ToolError(str(exc)) from None
    data = _data(model, serving, gpus, result, changes, pod)
    text, cut = fit_text(_text(model, serving, gpus, result, changes, pod), ctx.token_budget)
    return ToolOutput(text=text, data=data, cut=cut)


VERDICT = {
    "tp_exceeds_gpus": "tensor parallelism needs more GPUs than the pod got",
    "weights_exceed_gpu": "the weights alone do not fit: CUDA out of memory while loading",
    "no_kv_cache_memory": "the weights fit but leave no memory for the KV cache",
    "max_model_len_exceeds_kv_cache": "the KV cache cannot hold one sequence of max_model_len",
}
ROOT_CAUSE = {"tp_exceeds_gpus": "model.gpu_oom", "weights_exceed_gpu": "model.gpu_oom",
              "no_kv_cache_memory": "model.kv_cache_no_memory",
              "max_model_len_exceeds_kv_cache": "model.max_model_len_exceeds_kv_cache"}


def _r(value: float) -> float:
    return round(value, 2)


def _data(model: ModelFacts, serving: Serving, gpus: Gpus, result: Estimate, changes: list[Any],
          pod: dict[str, Any]) -> dict[str, Any]:
    return {"model": model.name, "fits": result.fits, "failure": result.failure,
            "root_cause": ROOT_CAUSE.get(result.failure or ""), "margin_gib": _r(result.margin_gib),
            "per_gpu": {"usable_gib": _r(result.usable_gib), "weights_gib": _r(result.weights_gib),
                        "runtime_gib": _r(result.runtime_gib), "activation_gib": _r(result.activation_gib),
                        "kv_available_gib": _r(result.kv_available_gib), "kv_needed_gib": _r(result.kv_needed_gib),
                        "kv_per_token_kib": _r(result.kv_per_token_bytes / 1024)},
            "max_model_len": result.max_model_len, "max_tokens_in_cache": result.max_tokens_in_cache,
            "max_model_len_that_fits": result.max_model_len_that_fits,
            "serving": {"weight_format": serving.weight_format, "kv_cache_dtype": serving.kv_cache_dtype,
                        "tensor_parallel_size": serving.tensor_parallel_size,
                        "gpu_memory_utilization": serving.gpu_memory_utilization},
            "gpus": {"memory_gib": _r(gpus.memory_gib), "count": gpus.count, "on_node": gpus.on_node,
                     "product": gpus.product},
            "changes": [{"what": c.what, "kind": c.kind, "margin_gib": _r(c.estimate.margin_gib)} for c in changes],
            "pod": {k: v for k, v in pod.items() if k in ("container", "node", "mig", "dra_devices", "flags")}}


def _text(model: ModelFacts, serving: Serving, gpus: Gpus, result: Estimate, changes: list[Any],
          pod: dict[str, Any]) -> str:
    gpu = f"{gpus.count} × {gpus.memory_gib:.1f} GiB" + (f" {gpus.product}" if gpus.product else "")
    lines = [f"{model.name} ({model.params_b:g}B params, {serving.weight_format}), tp={serving.tensor_parallel_size}, "
             f"max_model_len={result.max_model_len:,}, gpu_memory_utilization={serving.gpu_memory_utilization:g} "
             f"on {gpu}" + (f" (node {pod['node']})" if pod.get("node") else "")]
    left = f"{result.kv_available_gib:.2f} GiB left" if result.kv_available_gib > 0 else "nothing left"
    lines.append(f"per GPU: usable {result.usable_gib:.2f} GiB; weights {result.weights_gib:.2f} + runtime "
                 f"{result.runtime_gib:.2f} + activations {result.activation_gib:.2f} GiB; KV cache: {left} "
                 f"({result.kv_per_token_bytes / 1024:.0f} KiB/token; one {result.max_model_len:,}-token sequence "
                 f"needs {result.kv_needed_gib:.2f} GiB)")
    if result.fits:
        lines.append(f"FITS with {result.margin_gib:.2f} GiB to spare: the KV cache holds about "
                     f"{result.max_tokens_in_cache:,} tokens "
                     f"({result.max_tokens_in_cache / result.max_model_len:.1f} full-length sequences at once)")
    else:
        short = -result.margin_gib if result.failure != "weights_exceed_gpu" else \
            result.weights_gib + result.runtime_gib - gpus.memory_gib
        lines.append(f"DOES NOT FIT: {VERDICT[result.failure or '']} (short by {max(short, 0):.2f} GiB per GPU)")
        if result.failure == "max_model_len_exceeds_kv_cache":
            shorter = (f": --max-model-len {result.max_model_len_that_fits} fits"
                       if result.max_model_len_that_fits >= MIN_CONTEXT else ", too few for a useful context")
            lines.append(f"the KV cache holds about {result.max_tokens_in_cache:,} tokens{shorter}")
        if changes:
            lines.append("smallest changes that fit: " + "; ".join(
                f"{c.what} ({c.estimate.margin_gib:.2f} GiB to spare)" for c in changes))
        else:
            lines.append("no single change among utilisation, context, fp8 KV cache, tensor parallelism on this "
                         "node or quantisation fits: use larger GPUs or a smaller model")
    lines.append("estimate, not a measurement: ±10% (formula in docs/gpu-memory-fit.md)")
    return "\n".join(lines)


GPU_MEMORY_FIT: Tool[Any] = Tool("gpu_memory_fit", "Does a model fit the pod's GPUs.", GpuFitParams, gpu_memory_fit,
                                 "gpu_fit")
TOOLS: list[Tool[Any]] = [GPU_MEMORY_FIT]
