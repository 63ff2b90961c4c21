"""kubernetes_nodes_gpu over the replay API: capacity vs allocatable, taints, GPU labels, flags."""

from __future__ import annotations

from holmes.toolsets.base import run_tool
from holmes.toolsets.nodes import TOOLS

from .objects import node

NODES = TOOLS[0]


def _cluster():
    unhealthy = node("gpu-node-1", capacity={"nvidia.com/gpu": "8"}, allocatable={"nvidia.com/gpu": "0"},
                     labels={"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3", "nvidia.com/gpu.count": "8",
                             "nvidia.com/cuda.driver.major": "550", "node.kubernetes.io/instance-type": "p5.48xlarge"},
                     taints=[{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}])
    sliced = node("gpu-node-2", capacity={"nvidia.com/gpu": "16"}, allocatable={"nvidia.com/gpu": "16"},
                  labels={"nvidia.com/gpu.count": "4", "nvidia.com/gpu.replicas": "4",
                          "nvidia.com/gpu.product": "NVIDIA-L4-SHARED"})
    cpu = node("cpu-node-1")
    return [unhealthy, sliced, cpu]


def test_nodes_gpu_flags_capacity_without_allocatable(replay):
    ctx = replay(_cluster())
    result = run_tool(NODES, ctx, {})
    assert result.status == "ok", result.error
    names = [n["name"] for n in result.data["nodes"]]
    assert sorted(names) == ["gpu-node-1", "gpu-node-2"]  # the CPU node is left out
    first = next(n for n in result.data["nodes"] if n["name"] == "gpu-node-1")
    assert "nvidia.com/gpu: capacity 8 but allocatable 0" in first["flags"]
    assert first["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]
    assert first["labels"]["nvidia.com/cuda.driver.major"] == "550"
    assert "kubernetes.io/hostname" not in first["labels"]
    assert "taints: nvidia.com/gpu=present:NoSchedule" in result.text
    assert "! nvidia.com/gpu: capacity 8 but allocatable 0" in result.text
    assert "2 GPU nodes (of 3 nodes)" in result.text


def test_nodes_gpu_flags_time_slicing_oversubscription(replay):
    ctx = replay(_cluster())
    result = run_tool(NODES, ctx, {"name": "gpu-node-2"})
    [summary] = result.data["nodes"]
    assert any(f.startswith("time-slicing: 4 physical GPUs advertised as nvidia.com/gpu=16") for f in summary["flags"])


def test_nodes_gpu_label_selector_narrows_on_the_server(replay):
    ctx = replay(_cluster())
    result = run_tool(NODES, ctx, {"label_selector": "nvidia.com/gpu.replicas=4"})
    assert [n["name"] for n in result.data["nodes"]] == ["gpu-node-2"]


def test_nodes_gpu_without_gpu_nodes_is_no_data(replay):
    ctx = replay([node("cpu-node-1")])
    result = run_tool(NODES, ctx, {})
    assert result.status == "no_data"
    assert result.text == "no GPU nodes among 1 node"
