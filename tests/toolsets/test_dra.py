"""DRA tools over the replay API: dra_explain_pod follows pod -> claim -> class -> slices -> devices -> node."""

from __future__ import annotations

from holmes.toolsets.base import run_tool
from holmes.toolsets.dra import TOOLS

from .objects import claim, claim_pod, device_class, gpu_device, metadata, resource_slice

TOOL = {t.name: t for t in TOOLS}
GPU = "gpu.nvidia.com"


def explain(ctx, name="vllm-0"):
    result = run_tool(TOOL["dra_explain_pod"], ctx, {"namespace": "llm", "name": name})
    assert result.status == "ok", result.error
    return result


def test_explain_pod_says_device_class_missing(replay):
    ctx = replay([
        claim_pod("vllm-0", "llm", "vllm-0-gpu-x7k2p", template="one-gpu"),
        claim("vllm-0-gpu-x7k2p", "llm", GPU),
        device_class("compute-domain-daemon.nvidia.com", "compute-domain.nvidia.com"),
        device_class("compute-domain-default-channel.nvidia.com", "compute-domain.nvidia.com"),
        resource_slice("gpu-node-1", "compute-domain.nvidia.com", [{"name": "channel-0", "attributes": {}}]),
    ])
    result = explain(ctx)
    [c] = result.data["claims"]
    assert c["claim"] == "vllm-0-gpu-x7k2p" and c["allocated"] is False
    assert c["requests"][0]["device_class"] == GPU and c["requests"][0]["class_exists"] is False
    assert c["reasons"] == ["request gpu: device class gpu.nvidia.com does not exist (existing device classes: "
                            "compute-domain-daemon.nvidia.com, compute-domain-default-channel.nvidia.com)"]
    assert c["candidate_devices"] == []
    assert "device class gpu.nvidia.com (MISSING)" in result.text


def test_explain_pod_says_slice_has_no_devices(replay):
    ctx = replay([claim_pod("vllm-0", "llm", "c1"), claim("c1", "llm", GPU), device_class(GPU, GPU),
                  resource_slice("gpu-node-1", GPU, devices=None)])
    result = explain(ctx)
    [reason] = result.data["claims"][0]["reasons"]
    assert reason.startswith("request gpu: ResourceSlices of driver gpu.nvidia.com publish no devices: ")
    assert "(node gpu-node-1)" in reason
    assert result.data["slices_summary"][0]["note"] == "publishes no devices"


def test_explain_pod_says_no_slice_from_the_class_driver(replay):
    ctx = replay([claim_pod("vllm-0", "llm", "c1"), claim("c1", "llm", GPU), device_class(GPU, GPU)])
    [reason] = explain(ctx).data["claims"][0]["reasons"]
    assert reason == ("request gpu: no ResourceSlice published by driver gpu.nvidia.com for device class "
                      "gpu.nvidia.com (drivers with slices: none)")


def test_explain_pod_says_devices_are_held_by_other_claims(replay):
    held = claim("other-0-gpu", "batch", GPU, allocation=[{"request": "gpu", "driver": GPU, "pool": "gpu-node-1",
                                                          "device": "gpu-0"}], node_name="gpu-node-1")
    ctx = replay([claim_pod("vllm-0", "llm", "c1"), claim("c1", "llm", GPU), device_class(GPU, GPU),
                  resource_slice("gpu-node-1", GPU, [gpu_device("gpu-0")]), held])
    [reason] = explain(ctx).data["claims"][0]["reasons"]
    assert reason == "request gpu: all 1 matching devices are allocated to other claims (batch/other-0-gpu)"


def test_explain_pod_evaluates_capacity_selectors(replay):
    big = "device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('100Gi')) >= 0"
    ctx = replay([claim_pod("vllm-0", "llm", "c1"), claim("c1", "llm", GPU, selectors=[big]), device_class(GPU, GPU),
                  resource_slice("gpu-node-1", GPU, [gpu_device("gpu-0"), gpu_device("gpu-1")])])
    [reason] = explain(ctx).data["claims"][0]["reasons"]
    assert reason.startswith("request gpu: none of the 2 devices of driver gpu.nvidia.com match the selectors")


def test_explain_pod_lists_candidates_and_spots_slices_newer_than_the_last_attempt(replay):
    fits = "device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('40Gi')) >= 0"
    ctx = replay([claim_pod("vllm-0", "llm", "c1", scheduled_minutes_ago=30),
                  claim("c1", "llm", GPU, selectors=[fits]),
                  device_class(GPU, GPU, extra_cel="device.attributes['gpu.nvidia.com'].type == 'gpu'"),
                  resource_slice("gpu-node-1", GPU, [gpu_device("gpu-0"), gpu_device("gpu-1", memory="24Gi")],
                                 age_minutes=10)])
    c = explain(ctx).data["claims"][0]
    assert [(d["node"], d["device"]) for d in c["candidate_devices"]] == [("gpu-node-1", "gpu-0")]
    assert len(c["reasons"]) == 1
    assert "matching devices were published after the scheduler last marked the pod unschedulable" in c["reasons"][0]


def test_explain_pod_reports_the_allocation(replay):
    allocation = [{"request": "gpu", "driver": GPU, "pool": "gpu-node-1", "device": "gpu-0"}]
    pod = claim_pod("vllm-0", "llm", "c1")
    ctx = replay([pod, claim("c1", "llm", GPU, allocation=allocation, node_name="gpu-node-1", reserved_for="vllm-0"),
                  device_class(GPU, GPU), resource_slice("gpu-node-1", GPU, [gpu_device("gpu-0")])])
    result = explain(ctx)
    assert result.data["pod"]["metadata"]["name"] == "vllm-0"  # the pod as the API serves it
    c = result.data["claims"][0]
    assert c["allocated"] is True
    assert c["allocation"]["node"] == "gpu-node-1"
    assert c["reasons"] == ["allocated: gpu.nvidia.com/gpu-node-1/gpu-0 on node gpu-node-1"]
    assert "ResourceClaim c1: allocated" in result.text


def test_explain_pod_reads_the_template_when_the_claim_is_not_created(replay):
    pod = claim_pod("vllm-0", "llm", "unused", template="one-gpu")
    pod["status"].pop("resourceClaimStatuses")
    request = {"name": "gpu", "exactly": {"deviceClassName": "missing.example.com"}}
    template = {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaimTemplate",
                "metadata": metadata("one-gpu", "llm"), "spec": {"spec": {"devices": {"requests": [request]}}}}
    ctx = replay([pod, template, device_class(GPU, GPU)])
    c = explain(ctx).data["claims"][0]
    assert c["claim"] is None and c["template"] == "one-gpu"
    assert c["reasons"][0] == ("ResourceClaim not created yet from template one-gpu "
                               "(no status.resourceClaimStatuses entry)")
    assert c["reasons"][1].startswith("request gpu: device class missing.example.com does not exist")


def test_slices_say_when_a_slice_has_no_devices_and_when_it_mixes_mig(replay):
    mig = gpu_device("gpu-0-mig-1g10gb-0", type={"string": "mig"}, parentUUID={"string": "GPU-abc"})
    ctx = replay([resource_slice("gpu-node-1", GPU, devices=None),
                  resource_slice("gpu-node-2", GPU, [gpu_device("gpu-0"), mig])])
    result = run_tool(TOOL["dra_slices"], ctx, {"driver": GPU})
    assert result.status == "ok", result.error
    assert "! this slice publishes no devices" in result.text
    assert "! mixes 1 whole GPUs and 1 MIG partitions in one pool" in result.text
    narrowed = run_tool(TOOL["dra_slices"], ctx, {"node": "gpu-node-2"})
    assert [s["spec"]["nodeName"] for s in narrowed.data["slices"]] == ["gpu-node-2"]


def test_claims_for_a_pod_show_state_and_requests(replay):
    ctx = replay([claim_pod("vllm-0", "llm", "c1"), claim("c1", "llm", GPU), claim("unrelated", "llm", GPU)])
    result = run_tool(TOOL["dra_claims"], ctx, {"namespace": "llm", "pod": "vllm-0"})
    assert [c["metadata"]["name"] for c in result.data["claims"]] == ["c1"]
    assert result.text.splitlines()[1].split()[:3] == ["c1", "pending", "gpu:gpu.nvidia.com"]


def test_device_classes_show_driver_and_cel(replay):
    ctx = replay([device_class(GPU, GPU, extra_cel="device.attributes['gpu.nvidia.com'].type == 'gpu'")])
    result = run_tool(TOOL["dra_device_classes"], ctx, {})
    assert "gpu.nvidia.com   gpu.nvidia.com   device.driver == 'gpu.nvidia.com' && " in result.text


def test_explain_pod_names_an_empty_slice_even_when_other_nodes_have_devices(replay):
    held = claim("other-gpu", "llm", GPU, allocation=[{"request": "gpu", "driver": GPU, "pool": "gpu-node-2",
                                                      "device": "gpu-0"}], node_name="gpu-node-2")
    ctx = replay([claim_pod("vllm-0", "llm", "c1"), claim("c1", "llm", GPU), device_class(GPU, GPU), held,
                  resource_slice("gpu-node-1", GPU, devices=None),
                  resource_slice("gpu-node-2", GPU, [gpu_device("gpu-0")])])
    reasons = explain(ctx).data["claims"][0]["reasons"]
    assert len(reasons) == 2
    assert reasons[0].startswith("request gpu: some ResourceSlices of driver gpu.nvidia.com publish no devices")
    assert "(node gpu-node-1)" in reasons[0]
    assert reasons[1] == "request gpu: all 1 matching devices are allocated to other claims (llm/other-gpu)"
