"""gpu_memory_fit: the formula against published memory figures, and facts read from pods over the replay API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from holmes.bundle.loader import load_bundle
from holmes.replay.server import serve_bundle
from holmes.sources.kube import KubeReader
from holmes.toolsets.base import ToolContext, run_tool
from holmes.toolsets.gpu_fit import GPU_MEMORY_FIT, flags
from holmes.toolsets.memory_estimate import Gpus, Serving, estimate, find_model, smallest_changes

from .conftest import Replay
from .objects import NOW, claim, claim_pod, gpu_device, node, pod, resource_slice

GIB = 2**30
INCIDENTS = Path(__file__).resolve().parents[2] / "evals" / "incidents"


def fit(ctx: ToolContext, **params: Any) -> Any:
    return run_tool(GPU_MEMORY_FIT, ctx, params)


# --- the formula against published figures -------------------------------------------------------
def test_llama3_8b_fp16_weights_match_vllms_profile() -> None:
    # vLLM PR #10511 memory profile: "model weights take 14.96GiB" (tp 1) and "7.48GiB" (tp 2)
    llama = find_model("meta-llama/Meta-Llama-3-8B")
    assert llama is not None
    assert estimate(llama, Serving(), Gpus(79.22)).weights_gib == pytest.approx(14.96, rel=0.01)
    tp2 = estimate(llama, Serving(tensor_parallel_size=2), Gpus(79.22, count=2))
    assert tp2.weights_gib == pytest.approx(7.48, rel=0.01)


def test_llama3_8b_kv_cache_left_on_an_80gb_gpu_matches_vllms_profile() -> None:
    # same profile: 79.22 GiB × 0.90 = 71.29 GiB usable, "available_kv_cache_memory 53.29GiB"
    llama = find_model("meta-llama/Meta-Llama-3-8B")
    assert llama is not None
    result = estimate(llama, Serving(gpu_memory_utilization=0.9), Gpus(79.22))
    assert result.usable_gib == pytest.approx(71.29, abs=0.01)
    assert result.kv_available_gib == pytest.approx(53.29, rel=0.03)


@pytest.mark.parametrize(("model", "kib_per_token"), [
    ("meta-llama/Meta-Llama-3-8B", 128),  # 2 × 32 layers × 8 kv heads × 128 × 2 B
    ("meta-llama/Llama-2-7b-hf", 512),  # multi-head attention: 32 kv heads
    ("meta-llama/Meta-Llama-3-70B", 320),  # 2 × 80 × 8 × 128 × 2 B
])
def test_kv_bytes_per_token(model: str, kib_per_token: int) -> None:
    facts = find_model(model)
    assert facts is not None
    assert estimate(facts, Serving(), Gpus(80)).kv_per_token_bytes == kib_per_token * 1024


def test_fp8_kv_cache_halves_the_bytes_per_token() -> None:
    llama = find_model("meta-llama/Meta-Llama-3-8B")
    assert llama is not None
    assert estimate(llama, Serving(kv_cache_dtype="fp8"), Gpus(80)).kv_per_token_bytes == 64 * 1024


def test_qwen3_4b_weights_match_a_published_vllm_load() -> None:
    # vLLM log "Model loading took 7.6785 GiB" for Qwen3-4B in fp16 (kyuz0/amd-strix-halo-vllm-toolboxes#5)
    qwen = find_model("Qwen/Qwen3-4B")
    assert qwen is not None
    assert estimate(qwen, Serving(weight_format="float16"), Gpus(24)).weights_gib == pytest.approx(7.68, rel=0.05)


def test_llama3_70b_fp16_does_not_fit_one_80gb_gpu_and_needs_tensor_parallelism() -> None:
    llama = find_model("meta-llama/Meta-Llama-3-70B-Instruct")
    assert llama is not None
    gpus = Gpus(80, count=1, on_node=8)
    result = estimate(llama, Serving(), gpus)
    assert result.weights_gib == pytest.approx(131.4, rel=0.01)  # 70.55e9 × 2 B ≈ 141 GB
    assert result.failure == "weights_exceed_gpu"
    wider = [c for c in smallest_changes(llama, Serving(), gpus) if c.kind == "tensor_parallel"]
    assert [c.serving.tensor_parallel_size for c in wider] == [2]  # the fewest GPUs that fit


def test_long_default_context_exceeds_the_kv_cache_and_a_shorter_one_fits() -> None:
    llama = find_model("meta-llama/Llama-3.1-8B-Instruct")
    assert llama is not None
    l4 = Gpus(22.5, count=1, on_node=1)
    result = estimate(llama, Serving(), l4)  # 131,072 tokens × 128 KiB = 16 GiB of KV cache for one sequence
    assert result.failure == "max_model_len_exceeds_kv_cache"
    assert 2048 <= result.max_model_len_that_fits < 131072
    changes = smallest_changes(llama, Serving(), l4)
    assert any(c.kind == "context" and c.serving.max_model_len == result.max_model_len_that_fits for c in changes)


def test_llama2_13b_kv_tokens_on_a_v100_match_vllms_error() -> None:
    # vLLM issue #2418: "max seq len (4096) is larger than the maximum number of tokens that can be stored in KV
    # cache (3664)" for Llama-2-13b at the default gpu_memory_utilization 0.9 on a 32 GB V100
    llama = find_model("meta-llama/Llama-2-13b-chat-hf")
    assert llama is not None
    result = estimate(llama, Serving(), Gpus(32))
    assert result.failure == "max_model_len_exceeds_kv_cache"
    assert result.max_tokens_in_cache == pytest.approx(3664, rel=0.05)


def test_low_utilisation_leaves_no_kv_cache_though_the_weights_load() -> None:
    # vLLM issue #10439: a 0.5B model with gpu_memory_utilization 0.05 fails with "No available memory for the
    # cache blocks": the weights load (they fit the GPU), the utilisation budget leaves nothing for the cache
    qwen = find_model("Qwen/Qwen2.5-0.5B-Instruct")
    assert qwen is not None
    result = estimate(qwen, Serving(gpu_memory_utilization=0.05, max_model_len=4096), Gpus(22.5))
    assert result.failure == "no_kv_cache_memory"
    assert any(c.kind == "utilization" for c in smallest_changes(qwen, Serving(gpu_memory_utilization=0.05,
                                                                               max_model_len=4096), Gpus(22.5)))


def test_model_id_suffix_implies_quantisation() -> None:
    facts = find_model("/models/Meta-Llama-3-8B-Instruct-AWQ")
    assert facts is not None and facts.name == "llama-3-8b" and facts.quantization == "awq"


# --- reading the pod -------------------------------------------------------------------------------
def test_flags_from_vllm_serve_shell_and_equals_forms() -> None:
    container = {"command": ["/bin/sh", "-c"],
                 "args": ["vllm serve Qwen/Qwen2.5-7B-Instruct --max-model-len=16384 -tp 2 "
                          "--gpu-memory-utilization 0.85 --kv-cache-dtype fp8"]}
    assert flags(container) == {"model": "Qwen/Qwen2.5-7B-Instruct", "max_model_len": "16384",
                                "tensor_parallel_size": "2", "gpu_memory_utilization": "0.85",
                                "kv_cache_dtype": "fp8"}


def test_flags_from_tgi_environment() -> None:
    container = {"env": [{"name": "MODEL_ID", "value": "mistralai/Mixtral-8x7B-Instruct-v0.1"},
                         {"name": "NUM_SHARD", "value": "1"}, {"name": "QUANTIZE", "value": "bitsandbytes-nf4"},
                         {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf", "key": "token"}}}]}
    assert flags(container) == {"model": "mistralai/Mixtral-8x7B-Instruct-v0.1", "tensor_parallel_size": "1",
                                "quantization": "bitsandbytes-nf4",
                                "gpu_memory_utilization": "1.0"}  # TGI has no utilisation budget


def test_recorded_cuda_oom_is_explained_with_numbers() -> None:
    bundle = load_bundle(INCIDENTS / "vllm-cuda-oom-model-larger-than-gpu")
    subject = bundle.spec.trigger.alert.labels if bundle.spec.trigger.alert else {}
    with serve_bundle(bundle) as url:
        ctx = ToolContext(kube=KubeReader.for_url(url), now=bundle.spec.captured_at)
        result = fit(ctx, namespace=subject["namespace"], pod=subject["pod"])
    assert result.status == "ok", result.error
    data = result.data
    assert data["model"] == "mistral-7b-v0.3" and not data["fits"]
    assert data["failure"] == "weights_exceed_gpu" and data["root_cause"] == "model.gpu_oom"
    assert data["per_gpu"]["weights_gib"] == pytest.approx(13.5, abs=0.1)  # 7.25e9 × 2 B
    assert data["per_gpu"]["usable_gib"] == pytest.approx(9.9, abs=0.01)  # 11264 MiB × 0.90
    kinds = {c["kind"] for c in data["changes"]}
    assert "tensor_parallel" in kinds and "quantization" in kinds
    assert "DOES NOT FIT" in result.text and "13.50" in result.text and "tensor-parallel-size" in result.text
    # Turing (compute 7.5) has no FP8 path in vLLM: the int4 build is suggested, not FP8
    assert not any("FP8" in c["what"] for c in data["changes"])


def test_gpu_memory_from_node_labels_and_request(replay: Replay) -> None:
    serving = {"name": "vllm", "image": "vllm/vllm-openai:v0.8.5",
               "args": ["--model", "meta-llama/Meta-Llama-3-8B-Instruct", "--max-model-len", "8192"],
               "resources": {"limits": {"nvidia.com/gpu": "1"}}}
    ctx = replay([pod("vllm-0", containers=[serving], node="gpu-node-1"),
                  node("gpu-node-1", labels={"nvidia.com/gpu.memory": "23034", "nvidia.com/gpu.product": "NVIDIA-L4",
                                             "nvidia.com/gpu.count": "1", "nvidia.com/gpu.compute.major": "8",
                                             "nvidia.com/gpu.compute.minor": "9"})])
    result = fit(ctx, namespace="llm", pod="vllm-0")
    assert result.data["fits"] and result.data["gpus"]["product"] == "NVIDIA-L4"
    assert result.data["gpus"]["memory_gib"] == pytest.approx(22.49, abs=0.01)
    assert "FITS" in result.text
    overridden = fit(ctx, namespace="llm", pod="vllm-0", max_model_len=131072, model="meta-llama/Llama-3.1-8B")
    assert overridden.data["failure"] == "max_model_len_exceeds_kv_cache"
    assert overridden.data["root_cause"] == "model.max_model_len_exceeds_kv_cache"


def test_mig_slice_memory_comes_from_its_feature_discovery_label(replay: Replay) -> None:
    serving = {"name": "vllm", "image": "vllm/vllm-openai:v0.8.5", "args": ["--model", "Qwen/Qwen2.5-7B-Instruct"],
               "resources": {"limits": {"nvidia.com/mig-1g.10gb": "1"}}}
    ctx = replay([pod("qwen-0", containers=[serving], node="gpu-node-1"),
                  node("gpu-node-1", labels={"nvidia.com/gpu.memory": "81920",
                                             "nvidia.com/mig-1g.10gb.memory": "9728"})])
    result = fit(ctx, namespace="llm", pod="qwen-0")
    assert result.data["gpus"]["memory_gib"] == 9.5
    assert result.data["failure"] == "weights_exceed_gpu"  # 7.62B × 2 B = 14.2 GiB on a 9.5 GiB slice


def test_dra_devices_give_the_memory_of_the_gpus_the_pod_got(replay: Replay) -> None:
    allocated = claim("vllm-0-gpu", "llm", "gpu.nvidia.com", count=2, node_name="gpu-node-1",
                      allocation=[{"request": "gpu", "driver": "gpu.nvidia.com", "pool": "gpu-node-1", "device": d}
                                  for d in ("gpu-0", "gpu-1")])
    running = claim_pod("vllm-0", "llm", "vllm-0-gpu")
    running["spec"]["containers"][0]["args"] = ["--model", "meta-llama/Meta-Llama-3-70B-Instruct", "-tp", "2"]
    ctx = replay([running, allocated,
                  resource_slice("gpu-node-1", "gpu.nvidia.com",
                                 [gpu_device("gpu-0", memory="80Gi"), gpu_device("gpu-1", memory="80Gi")])])
    result = fit(ctx, namespace="llm", pod="vllm-0")
    assert result.data["gpus"] == {"memory_gib": 80.0, "count": 2, "on_node": None, "product": ""}
    assert result.data["pod"]["dra_devices"] == 2
    assert result.data["fits"]  # 65.7 GiB of weights per GPU under 72 GiB usable


def test_unknown_model_needs_its_facts() -> None:
    ctx = ToolContext(now=NOW)
    missing = fit(ctx, model="acme/secret-model-13b", gpu_memory_gib=40)
    assert missing.status == "error" and "params_b" in (missing.error or "")
    given = fit(ctx, model="acme/secret-model-13b", gpu_memory_gib=40, params_b=13, layers=40, kv_heads=40,
                head_dim=128, hidden_size=5120, max_model_len=4096)
    assert given.status == "ok" and given.data["fits"]


def test_configured_models_extend_the_catalog() -> None:
    ctx = ToolContext(now=NOW, extras={"gpu_models": {"acme-13b": {
        "names": ["acme/secret-model-13b"], "params_b": 13, "layers": 40, "hidden_size": 5120,
        "attention_heads": 40, "kv_heads": 40, "head_dim": 128, "vocab_size": 32000, "max_context": 4096}}})
    result = fit(ctx, model="acme/secret-model-13b", gpu_memory_gib=24)
    assert result.data["model"] == "acme-13b" and result.data["failure"] == "weights_exceed_gpu"


def test_unknown_dtype_is_an_error_result() -> None:
    result = fit(ToolContext(now=NOW), model="meta-llama/Meta-Llama-3-8B", gpu_memory_gib=80, dtype="float7")
    assert result.status == "error" and "unknown dtype" in (result.error or "")


def test_pod_that_does_not_exist_is_an_error_result(replay: Replay) -> None:
    ctx = replay([node("gpu-node-1")])
    result = fit(ctx, namespace="llm", pod="ghost")
    assert result.status == "error" and "not found" in (result.error or "")


def test_node_without_memory_label_asks_for_it(replay: Replay) -> None:
    serving = {"name": "vllm", "image": "vllm/vllm-openai:v0.8.5", "args": ["--model", "facebook/opt-125m"],
               "resources": {"limits": {"nvidia.com/gpu": "1"}}}
    ctx = replay([pod("opt-0", containers=[serving]), node("gpu-node-1")])
    result = fit(ctx, namespace="llm", pod="opt-0")
    assert result.status == "error" and "gpu_memory_gib" in (result.error or "")
