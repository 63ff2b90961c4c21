"""Estimate the GPU memory a vLLM-style server needs for a model, and the smallest change that makes it fit.

Per GPU, with tensor parallelism `tp` (docs/gpu-memory-fit.md explains each term and its sources):
  usable      = gpu_memory × gpu_memory_utilization
  weights     = (embedding params × 2 B + other params × weight bytes) / tp
  kv/token    = 2 × layers × max(1, kv_heads / tp) × head_dim × kv bytes
  activation  = max_num_batched_tokens × hidden_size × 40 B          (not split by tp)
  runtime     = 1.0 GiB, + 0.75 GiB when tp > 1                       (CUDA context, NCCL buffers)
  fits when weights + runtime + activation + kv/token × max_model_len ≤ usable
Failures: weights + runtime > gpu_memory (CUDA OOM while loading); nothing left for the KV cache within
usable; or less than one max_model_len sequence left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

GIB = 2**30
MODELS_FILE = Path(__file__).resolve().parents[1] / "data" / "models.yaml"
ACTIVATION_BYTES_PER_TOKEN_PER_HIDDEN = 40  # calibrated on vLLM's profile of Llama-3-8B (1.26 GiB at 8192 tokens)
RUNTIME_GIB = 1.0
RUNTIME_TP_GIB = 0.75
MIN_CONTEXT = 2048  # a shorter context than this is not a useful suggestion
TP_SIZES = (1, 2, 4, 8)

# weight bytes per parameter by dtype or quantisation name (as vLLM and TGI spell them)
WEIGHT_BYTES = {
    "float32": 4.0, "fp32": 4.0, "float": 4.0,
    "auto": 2.0, "float16": 2.0, "fp16": 2.0, "half": 2.0, "bfloat16": 2.0, "bf16": 2.0,
    "fp8": 1.0, "float8": 1.0, "int8": 1.0, "w8a8": 1.0, "bitsandbytes-8bit": 1.0, "eetq": 1.0,
    "awq": 0.53, "gptq": 0.53, "awq_marlin": 0.53, "gptq_marlin": 0.53, "int4": 0.53, "w4a16": 0.53,
    "bitsandbytes": 0.53, "bitsandbytes-nf4": 0.53, "bitsandbytes-fp4": 0.53, "nf4": 0.53, "marlin": 0.53,
}
KV_BYTES = {"auto": None, "fp8": 1.0, "fp8_e4m3": 1.0, "fp8_e5m2": 1.0, "float16": 2.0, "bfloat16": 2.0}
QUANT_SUFFIX = re.compile(r"[-_.](awq|gptq|fp8|int8|int4|w4a16|w8a8|bnb-4bit|4bit|8bit)(?:[-_.].*)?$", re.I)


class FitError(ValueError):
    """The inputs cannot be estimated (unknown model without its facts, unknown dtype)."""


@dataclass(frozen=True)
class ModelFacts:
    name: str
    params_b: float
    layers: int
    hidden_size: int
    attention_heads: int
    kv_heads: int
    head_dim: int
    vocab_size: int
    tied_embeddings: bool = False
    max_context: int = 4096
    quantization: str | None = None  # implied by the model id (…-AWQ, …-FP8)

    @property
    def embedding_params(self) -> float:
        return self.vocab_size * self.hidden_size * (1 if self.tied_embeddings else 2)


@dataclass(frozen=True)
class Serving:
    """How the model is served: precision, context, parallelism and vLLM's memory share."""

    weight_format: str = "auto"  # dtype or quantisation
    kv_cache_dtype: str = "auto"
    max_model_len: int | None = None  # None: the model's own context
    tensor_parallel_size: int = 1
    gpu_memory_utilization: float = 0.9
    max_num_batched_tokens: int | None = None


@dataclass(frozen=True)
class Gpus:
    memory_gib: float  # per GPU the pod got
    count: int = 1  # GPUs the pod got
    on_node: int | None = None  # GPUs on its node (how far tensor parallelism can grow there)
    product: str = ""
    compute_capability: float | None = None


@dataclass(frozen=True)
class Estimate:
    usable_gib: float
    weights_gib: float
    runtime_gib: float
    activation_gib: float
    kv_per_token_bytes: float
    max_model_len: int
    kv_needed_gib: float
    kv_available_gib: float
    fits: bool
    margin_gib: float
    failure: str | None  # tp_exceeds_gpus | weights_exceed_gpu | no_kv_cache_memory | max_model_len_exceeds_kv_cache
    max_tokens_in_cache: int
    max_model_len_that_fits: int


@lru_cache(maxsize=4)
def _bundled(path: Path = MODELS_FILE) -> dict[str, dict[str, Any]]:
    loaded: dict[str, dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return loaded


def catalog(overrides: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """The bundled model facts with the configured additions and corrections applied."""
    merged = {key: dict(value) for key, value in _bundled().items()}
    for key, value in (overrides or {}).items():
        merged[key] = {**merged.get(key, {}), **value}
    return merged


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", name.lower()).strip("-")


def find_model(model_id: str, overrides: dict[str, dict[str, Any]] | None = None) -> ModelFacts | None:
    """Facts for a model id or path (e.g. /models/Meta-Llama-3-8B-Instruct-AWQ); quantisation from its suffix."""
    tail = model_id.rstrip("/").rsplit("/", 1)[-1]
    quant = QUANT_SUFFIX.search(tail)
    base = tail[: quant.start()] if quant else tail
    wanted = {_normal(model_id), _normal(tail), _normal(base)}
    for key, facts in catalog(overrides).items():
        names = [key, *facts.get("names", [])]
        known = {_normal(n) for n in names} | {_normal(n.rsplit("/", 1)[-1]) for n in names}
        if wanted & known:
            fields = {k: v for k, v in facts.items() if k != "names"}
            try:
                return ModelFacts(name=key, quantization=_quant_name(quant.group(1)) if quant else None, **fields)
            except TypeError as exc:
                raise FitError(f"model facts for {key!r} are incomplete or wrong: {exc}") from None
    return None


def _quant_name(suffix: str) -> str:
    lowered = suffix.lower()
    return {"bnb-4bit": "bitsandbytes", "4bit": "int4", "8bit": "int8"}.get(lowered, lowered)


def weight_bytes(fmt: str) -> float:
    try:
        return WEIGHT_BYTES[fmt.lower()]
    except KeyError:
        raise FitError(f"unknown dtype/quantization {fmt!r}; known: {', '.join(sorted(WEIGHT_BYTES))}") from None


def kv_bytes(serving: Serving) -> float:
    fmt = serving.kv_cache_dtype.lower()
    if fmt not in KV_BYTES:
        raise FitError(f"unknown kv_cache_dtype {fmt!r}; known: {', '.join(KV_BYTES)}")
    explicit = KV_BYTES[fmt]
    if explicit is not None:
        return explicit
    return 4.0 if serving.weight_format.lower() in ("float32", "fp32", "float") else 2.0


def runtime_gib(tp: int) -> float:
    return RUNTIME_GIB + (RUNTIME_TP_GIB if tp > 1 else 0.0)


def estimate(model: ModelFacts, serving: Serving, gpus: Gpus) -> Estimate:
    """Memory per GPU and whether the model fits; a negative margin says by how much it does not."""
    tp = serving.tensor_parallel_size
    context = serving.max_model_len or model.max_context
    usable = gpus.memory_gib * serving.gpu_memory_utilization
    other_params = model.params_b * 1e9 - model.embedding_params
    weights = (model.embedding_params * 2.0 + other_params * weight_bytes(serving.weight_format)) / tp / GIB
    batched = serving.max_num_batched_tokens or min(8192, max(MIN_CONTEXT, context))
    activation = batched * model.hidden_size * ACTIVATION_BYTES_PER_TOKEN_PER_HIDDEN / GIB
    kv_heads = max(1.0, model.kv_heads / tp)
    per_token = 2 * model.layers * kv_heads * model.head_dim * kv_bytes(serving)
    runtime = runtime_gib(tp)
    kv_available = usable - weights - runtime - activation
    kv_needed = per_token * context / GIB
    margin = kv_available - kv_needed
    tokens = max(0, int(kv_available * GIB / per_token))
    failure = None
    if tp > gpus.count:
        failure = "tp_exceeds_gpus"
    elif weights + runtime > gpus.memory_gib:  # the weights load whatever the utilisation; only the GPU bounds them
        failure = "weights_exceed_gpu"
    elif kv_available <= 0:
        failure = "no_kv_cache_memory"
    elif margin < 0:
        failure = "max_model_len_exceeds_kv_cache"
    return Estimate(usable_gib=usable, weights_gib=weights, runtime_gib=runtime, activation_gib=activation,
                    kv_per_token_bytes=per_token, max_model_len=context, kv_needed_gib=kv_needed,
                    kv_available_gib=kv_available, fits=failure is None, margin_gib=margin, failure=failure,
                    max_tokens_in_cache=tokens, max_model_len_that_fits=min(model.max_context, (tokens // 256) * 256))


@dataclass(frozen=True)
class Change:
    """A change to the serving setup and its estimate."""

    what: str
    kind: str  # utilization | context | kv_cache | tensor_parallel | quantization | combined
    serving: Serving
    gpus: Gpus
    estimate: Estimate


def _try(model: ModelFacts, what: str, kind: str, serving: Serving, gpus: Gpus) -> Change | None:
    result = estimate(model, serving, gpus)
    return Change(what, kind, serving, gpus, result) if result.fits else None


def smallest_changes(model: ModelFacts, serving: Serving, gpus: Gpus, limit: int = 4) -> list[Change]:
    """Single changes that make it fit, least disruptive first; then tensor parallelism with a shorter context."""
    found: list[Change | None] = []
    context = serving.max_model_len or model.max_context
    base = estimate(model, serving, gpus)
    if serving.gpu_memory_utilization < 0.95:
        found.append(_try(model, "--gpu-memory-utilization 0.95", "utilization",
                          replace(serving, gpu_memory_utilization=0.95), gpus))
    if base.failure == "max_model_len_exceeds_kv_cache" and base.max_model_len_that_fits >= MIN_CONTEXT:
        shorter = base.max_model_len_that_fits
        found.append(_try(model, f"--max-model-len {shorter}", "context",
                          replace(serving, max_model_len=shorter), gpus))
    if kv_bytes(serving) > 1.0:
        found.append(_try(model, "--kv-cache-dtype fp8", "kv_cache", replace(serving, kv_cache_dtype="fp8"), gpus))
    on_node = max(gpus.on_node or gpus.count, gpus.count)
    for tp in (t for t in TP_SIZES if serving.tensor_parallel_size < t <= on_node and model.attention_heads % t == 0):
        wider = _try(model, f"{tp} GPUs with --tensor-parallel-size {tp}", "tensor_parallel",
                     replace(serving, tensor_parallel_size=tp), replace(gpus, count=max(tp, gpus.count)))
        if wider:  # the fewest GPUs that fit
            found.append(wider)
            break
    found += _quantisations(model, serving, gpus)
    changes = [c for c in found if c is not None]
    if not any(c.kind == "context" for c in changes):
        widest = min((c.serving.tensor_parallel_size for c in changes if c.kind == "tensor_parallel"), default=99)
        changes += [c for c in _parallel_with_shorter_context(model, serving, gpus, context, on_node)
                    if c.serving.tensor_parallel_size < widest]  # fewer GPUs than parallelism alone needs
    return changes[:limit]


def _quantisations(model: ModelFacts, serving: Serving, gpus: Gpus) -> list[Change | None]:
    current = weight_bytes(serving.weight_format)
    options = []
    fp8_ok = gpus.compute_capability is None or gpus.compute_capability >= 8.0  # vLLM's FP8 Marlin needs Ampere+
    if current > 1.0 and fp8_ok:
        options.append(("an FP8 build of the model (or --quantization fp8)", "fp8"))
    if current > 0.6:
        options.append(("an AWQ/GPTQ int4 build of the model", "awq"))
    return [_try(model, what, "quantization", replace(serving, weight_format=fmt), gpus) for what, fmt in options]


def _parallel_with_shorter_context(model: ModelFacts, serving: Serving, gpus: Gpus, context: int,
                                   on_node: int) -> list[Change]:
    for tp in (t for t in TP_SIZES if serving.tensor_parallel_size < t <= on_node and model.attention_heads % t == 0):
        wider = replace(serving, tensor_parallel_size=tp)
        more = replace(gpus, count=max(tp, gpus.count))
        fitting = estimate(model, wider, more).max_model_len_that_fits
        if MIN_CONTEXT <= fitting < context:
            change = _try(model, f"{tp} GPUs with --tensor-parallel-size {tp} and --max-model-len {fitting}",
                          "combined", replace(wider, max_model_len=fitting), more)
            if change:
                return [change]
    return []


def gib(value: float) -> str:
    return f"{value:.2f} GiB"
