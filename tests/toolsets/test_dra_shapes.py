"""DRA objects read alike across API versions, and the CEL forms holmes can judge."""

from __future__ import annotations

from holmes.toolsets import dra_shapes as shapes


def test_v1beta1_flat_request_and_basic_devices_read_like_v1():
    v1beta1_claim = {"devices": {"requests": [{"name": "gpu", "deviceClassName": "gpu.example.com",
                                               "allocationMode": "ExactCount", "count": 2,
                                               "selectors": [{"cel": {"expression": "device.driver == 'x'"}}]}]}}
    [request] = shapes.claim_requests(v1beta1_claim)
    assert (request["name"], request["device_class"], request["count"]) == ("gpu", "gpu.example.com", 2)
    assert request["selectors"] == ["device.driver == 'x'"]
    v1beta1_slice = {"spec": {"driver": "gpu.example.com", "nodeName": "n1", "devices": [
        {"name": "gpu-0", "basic": {"attributes": {"model": {"string": "LATEST-GPU-MODEL"}, "index": {"int": 0}},
                                    "capacity": {"memory": {"value": "80Gi"}}}}]}}
    [device] = shapes.slice_devices(v1beta1_slice)
    assert device == {"name": "gpu-0", "attributes": {"model": "LATEST-GPU-MODEL", "index": 0},
                      "capacity": {"memory": "80Gi"}}


def test_first_available_yields_each_alternative():
    spec = {"devices": {"requests": [{"name": "gpu", "firstAvailable": [
        {"name": "big", "deviceClassName": "gpu.nvidia.com", "count": 1},
        {"name": "mig", "deviceClassName": "mig.nvidia.com", "count": 2}]}]}}
    requests = shapes.claim_requests(spec)
    assert [(r["name"], r["device_class"], r["count"], r.get("first_available")) for r in requests] == [
        ("gpu/big", "gpu.nvidia.com", 1, True), ("gpu/mig", "mig.nvidia.com", 2, True)]


def test_cel_matcher_judges_driver_attribute_and_capacity_clauses():
    device = {"name": "gpu-0", "attributes": {"type": "gpu", "gpu.nvidia.com/productName": "NVIDIA A100"},
              "capacity": {"memory": "80Gi"}}
    driver = "gpu.nvidia.com"
    assert shapes.cel_matches("device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'gpu'",
                              device, driver) is True
    assert shapes.cel_matches("device.attributes['gpu.nvidia.com'].type == 'mig'", device, driver) is False
    assert shapes.cel_matches("(device.attributes['gpu.nvidia.com'].productName != 'NVIDIA A100')", device,
                              driver) is False
    assert shapes.cel_matches("device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('40Gi')) >= 0", device,
                              driver) is True
    assert shapes.cel_matches("device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('81Gi')) >= 0", device,
                              driver) is False
    assert shapes.cel_matches("device.attributes['gpu.nvidia.com'].type == 'gpu' || true", device, driver) is None
    assert shapes.cel_matches("device.attributes['x'].y.startsWith('z')", device, driver) is None


def test_claim_state_follows_kubectl():
    assert shapes.claim_state({"status": {}}) == "pending"
    assert shapes.claim_state({"status": {"allocation": {"devices": {}}, "reservedFor": [{"name": "p"}]}}) == \
        "allocated,reserved"
