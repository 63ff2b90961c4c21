"""Generic reads and inventory views over the replay API."""

from __future__ import annotations

from holmes.toolsets.base import run_tool
from holmes.toolsets.kubernetes import TOOLS

from .objects import classic_event, metadata, pod

TOOL = {t.name: t for t in TOOLS}


def test_get_returns_the_object_without_managed_fields(replay):
    p = pod("vllm-0")
    p["metadata"]["managedFields"] = [{"manager": "kubectl", "operation": "Apply"}]
    ctx = replay([p])
    result = run_tool(TOOL["kubernetes_get"], ctx, {"kind": "pods", "name": "vllm-0", "namespace": "llm"})
    assert result.status == "ok", result.error
    assert result.data["metadata"]["name"] == "vllm-0"
    assert "managedFields" not in result.data["metadata"]
    assert "kind: Pod" in result.text and "managedFields" not in result.text


def test_get_refuses_secrets(replay):
    ctx = replay([pod("vllm-0")])
    result = run_tool(TOOL["kubernetes_get"], ctx, {"kind": "secret", "name": "hf-secret", "namespace": "llm"})
    assert result.status == "error"
    assert result.error == "holmes does not read Secrets"


def test_get_missing_object_is_no_data(replay):
    ctx = replay([pod("vllm-0")])
    result = run_tool(TOOL["kubernetes_get"], ctx, {"kind": "deploy", "name": "nope", "namespace": "llm"})
    assert (result.status, result.text) == ("no_data", "deployment llm/nope not found")


def test_list_says_how_many_exist_when_limited(replay):
    ctx = replay([pod(f"worker-{i:02d}", phase="Pending", node=None) for i in range(30)])
    result = run_tool(TOOL["kubernetes_list"], ctx, {"kind": "pod", "namespace": "llm", "limit": 10})
    assert result.data["shown"] == 10 and result.data["total"] == 30
    assert result.cut == "showing 10 of 30 pod objects; narrow with label_selector= or field_selector="
    header = result.text.splitlines()[0].split()
    assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "NODE"]


def test_list_field_selector_narrows_on_the_server(replay):
    ctx = replay([pod("a", phase="Pending", node=None), pod("b")])
    result = run_tool(TOOL["kubernetes_list"], ctx, {"kind": "pod", "field_selector": "status.phase=Pending"})
    assert [i["metadata"]["name"] for i in result.data["items"]] == ["a"]
    assert result.text.splitlines()[0].split()[:2] == ["NAMESPACE", "NAME"]


def test_quotas_mark_a_full_quota(replay):
    quota = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": metadata("gpu-quota", "llm"),
             "spec": {"hard": {"requests.nvidia.com/gpu": "4"}},
             "status": {"hard": {"requests.nvidia.com/gpu": "4"}, "used": {"requests.nvidia.com/gpu": "4"}}}
    ctx = replay([quota])
    result = run_tool(TOOL["kubernetes_quotas"], ctx, {"namespace": "llm"})
    assert "requests.nvidia.com/gpu   4      4 (full)" in result.text
    empty = run_tool(TOOL["kubernetes_quotas"], ctx, {"namespace": "kube-system"})
    assert empty.text == "no ResourceQuota in namespace kube-system" and empty.data == {"quotas": []}


def test_daemonsets_show_why_pods_are_missing(replay):
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": metadata("dra-kubelet-plugin", "nvidia-dra"),
          "spec": {"template": {"spec": {"priorityClassName": "system-node-critical",
                                         "nodeSelector": {"nvidia.com/gpu.present": "true"},
                                         "containers": [{"name": "plugin", "image": "dra:v25"}]}}},
          "status": {"desiredNumberScheduled": 1, "currentNumberScheduled": 0, "numberReady": 0,
                     "numberAvailable": 0, "numberMisscheduled": 0}}
    message = ("Error creating: insufficient quota to match these scopes: [{PriorityClass In [system-node-critical "
               "system-cluster-critical]}]")
    event = classic_event("nvidia-dra", "DaemonSet", "dra-kubelet-plugin", "FailedCreate", message, 12, 60, 3,
                          component="daemonset-controller")
    ctx = replay([ds, event])
    result = run_tool(TOOL["kubernetes_daemonsets"], ctx, {"namespace": "nvidia-dra"})
    assert "nvidia-dra/dra-kubelet-plugin: fewer pods than desired" in result.text
    assert "insufficient quota to match these scopes" in result.text
    row = result.text.splitlines()[1].split()
    assert row[:6] == ["nvidia-dra", "dra-kubelet-plugin", "1", "0", "0", "0"]


def test_runtimeclasses_absent_is_said(replay):
    ctx = replay([pod("a")])
    result = run_tool(TOOL["kubernetes_runtimeclasses"], ctx, {})
    assert result.text == "no RuntimeClass objects: every pod uses the node's default runtime"
    rc = {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": metadata("nvidia"), "handler": "nvidia"}
    ctx = replay([rc])
    result = run_tool(TOOL["kubernetes_runtimeclasses"], ctx, {})
    assert result.text.splitlines()[1].split()[:2] == ["nvidia", "nvidia"]


def test_list_of_cluster_scoped_kind_has_no_namespace_column(replay):
    rc = {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": metadata("nvidia"), "handler": "nvidia"}
    ctx = replay([rc])
    result = run_tool(TOOL["kubernetes_list"], ctx, {"kind": "runtimeclass"})
    assert result.text.splitlines()[0].split() == ["NAME", "STATUS", "AGE"]
