"""The built-in runbooks on small synthetic clusters: each failure class found from its mechanism's signals,
and the look-alike that must not be blamed."""

from __future__ import annotations

from typing import Any

from holmes.domain import Subject, Trigger
from holmes.runbooks.engine import EngineReport, diagnose
from holmes.runbooks.library import load_library
from holmes.toolsets.base import ToolContext

from .canned import pod
from .fake_cluster import FakeCluster, event, gpu_node

LIBRARY = load_library()
SUBJECT = Trigger(subject=Subject.parse("pod ml/server-0"))


def waiting(reason: str, message: str = "", restarts: int = 4, last: str | None = "Error") -> dict[str, Any]:
    status: dict[str, Any] = {"name": "server", "ready": False, "restartCount": restarts,
                              "state": {"waiting": {"reason": reason, "message": message}}}
    if last:
        status["lastState"] = {"terminated": {"reason": last, "exitCode": 1}}
    return status


def pending(message: str) -> dict[str, Any]:
    return pod("server-0", "ml", "Pending", conditions=[
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message}])


def crashing(last: str = "Error", **spec: Any) -> dict[str, Any]:
    body = pod("server-0", "ml", "Running", containerStatuses=[waiting("CrashLoopBackOff", last=last)])
    body["spec"].update({"nodeName": "gpu-node-1", **spec})
    return body


def run(cluster: FakeCluster, trigger: Trigger = SUBJECT) -> EngineReport:
    return diagnose(trigger, cluster.tools().registry, ToolContext(), LIBRARY)


def test_image_pull_failure() -> None:
    body = pod("server-0", "ml", "Pending", containerStatuses=[waiting("ImagePullBackOff", restarts=0, last=None)])
    cluster = FakeCluster([body], [event("server-0", "Failed", 'Failed to pull image "vllm/vllm-openai:v9.9": '
                                                      "rpc error: code = NotFound desc = manifest unknown")])
    assert run(cluster).diagnosis.root_cause == "runtime.image_pull_failed"


def test_oomkilled_is_host_memory_not_gpu_oom() -> None:
    cluster = FakeCluster([crashing(last="OOMKilled")], logs={("server", True): ["Loading safetensors checkpoint"]})
    diagnosis = run(cluster).diagnosis
    assert diagnosis.root_cause == "runtime.container_oomkilled"
    assert "model.gpu_oom" not in [f.root_cause for f in diagnosis.alternatives]


def test_unbound_pvc() -> None:
    claim = {"kind": "PersistentVolumeClaim", "metadata": {"name": "models"}, "status": {"phase": "Pending"},
             "spec": {"storageClassName": "fast"}}
    body = pending("0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: ...")
    body["spec"]["volumes"] = [{"name": "m", "persistentVolumeClaim": {"claimName": "models"}}]
    cluster = FakeCluster([body, claim])
    assert run(cluster).diagnosis.root_cause == "storage.pvc_pending"


def test_quota_exceeded_on_a_deployment_with_no_pods() -> None:
    deployment = {"kind": "Deployment", "metadata": {"name": "server", "namespace": "ml"},
                  "spec": {"selector": {"matchLabels": {"app": "server"}}}}
    message = ('pods "server-5d9-abcde" is forbidden: exceeded quota: gpu-quota, requested: '
               "requests.nvidia.com/gpu=2, used: requests.nvidia.com/gpu=7, limited: requests.nvidia.com/gpu=8")
    cluster = FakeCluster([deployment], [event("server-5d9", "FailedCreate", message, kind="ReplicaSet")])
    report = run(cluster, Trigger(subject=Subject.parse("deployment ml/server")))
    assert report.diagnosis.root_cause == "quota.exceeded"
    assert "gpu-quota" in report.diagnosis.summary


def test_selector_matching_no_node_unless_an_autoscaler_is_on_it() -> None:
    body = pending("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.")
    body["spec"]["nodeSelector"] = {"cloud.google.com/gke-accelerator": "nvidia-h100-80gb"}
    events = [event("server-0", "FailedScheduling", body["status"]["conditions"][0]["message"])]
    cluster = FakeCluster([body], events, nodes=[gpu_node("gpu-node-1")])
    assert run(cluster).diagnosis.root_cause == "scheduling.node_selector_mismatch"
    events.append(event("server-0", "Nominated", "Pod should schedule on: nodeclaim/gpu-h100-x7k2", type_="Normal"))
    assert run(cluster).diagnosis.root_cause != "scheduling.node_selector_mismatch"


def test_a_partial_selector_mismatch_is_not_blamed() -> None:
    message = "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector."
    body = pending(message)
    body["spec"]["nodeSelector"] = {"pool": "gpu"}
    cluster = FakeCluster([body], [event("server-0", "FailedScheduling", message)], nodes=[gpu_node("gpu-node-1")])
    assert run(cluster).diagnosis.root_cause == "scheduling.insufficient_cpu_memory"


def test_cordoned_gpu_node() -> None:
    message = "0/2 nodes are available: 1 node(s) were unschedulable, 1 node(s) didn't match Pod's node affinity."
    cordoned = {**gpu_node("gpu-node-1"), "unschedulable": True}
    cluster = FakeCluster([pending(message)], [event("server-0", "FailedScheduling", message)], nodes=[cordoned])
    assert run(cluster).diagnosis.root_cause == "scheduling.node_unschedulable"


def test_plain_insufficient_gpu_when_devices_are_healthy_and_all_requested() -> None:
    message = "0/2 nodes are available: 2 Insufficient nvidia.com/gpu. preemption: 0/2 nodes are available."
    body = pending(message)
    body["spec"]["containers"][0]["resources"] = {"limits": {"nvidia.com/gpu": "4"}}
    cluster = FakeCluster([body], [event("server-0", "FailedScheduling", message)],
                          nodes=[gpu_node("gpu-node-1"), gpu_node("gpu-node-2")])
    assert run(cluster).diagnosis.root_cause == "scheduling.insufficient_gpu"


def test_gpu_nodes_without_the_device_plugin() -> None:
    message = "0/1 nodes are available: 1 Insufficient nvidia.com/gpu."
    bare = {**gpu_node("gpu-node-1"), "capacity": {"cpu": "96"}, "allocatable": {"cpu": "95"}}
    plugin = {"kind": "DaemonSet", "metadata": {"name": "nvidia-device-plugin-daemonset", "namespace": "kube-system"},
              "status": {"desiredNumberScheduled": 1, "numberReady": 0}}
    body = pending(message)
    body["spec"]["containers"][0]["resources"] = {"limits": {"nvidia.com/gpu": "1"}}
    cluster = FakeCluster([body, plugin], [event("server-0", "FailedScheduling", message)], nodes=[bare])
    assert run(cluster).diagnosis.root_cause == "gpu.device_plugin_unavailable"


def test_runtimeclass_that_does_not_exist() -> None:
    body = pod("server-0", "ml", "Pending", containerStatuses=[waiting("ContainerCreating", restarts=0, last=None)])
    body["spec"].update({"runtimeClassName": "nvidia", "nodeName": "gpu-node-1"})
    message = 'Failed to create pod sandbox: RuntimeClass "nvidia" not found'
    cluster = FakeCluster([body], [event("server-0", "FailedCreatePodSandBox", message)])
    assert run(cluster).diagnosis.root_cause == "runtime.runtimeclass_missing"


def test_failed_mount_while_container_creating() -> None:
    body = pod("server-0", "ml", "Pending", containerStatuses=[waiting("ContainerCreating", restarts=0, last=None)])
    body["spec"]["nodeName"] = "gpu-node-1"
    message = 'MountVolume.SetUp failed for volume "chat-template" : configmap "chat-template" not found'
    cluster = FakeCluster([body], [event("server-0", "FailedMount", message)])
    assert run(cluster).diagnosis.root_cause == "storage.volume_mount_failed"


def test_dra_prepare_failure() -> None:
    body = pod("server-0", "ml", "Pending", containerStatuses=[waiting("ContainerCreating", restarts=0, last=None)])
    body["spec"]["nodeName"] = "gpu-node-1"
    message = ("Failed to prepare dynamic resources: NodePrepareResources failed for ResourceClaim server-0-gpu: "
               "error preparing devices: device gpu-3 is unhealthy")
    cluster = FakeCluster([body], [event("server-0", "FailedPrepareDynamicResources", message)])
    assert run(cluster).diagnosis.root_cause == "dra.prepare_failed"


def test_nccl_watchdog_timeout() -> None:
    line = ("[Rank 1] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=12, OpType=ALLREDUCE, "
            "NumelIn=4096, Timeout(ms)=600000) ran for 600011 milliseconds before timing out.")
    cluster = FakeCluster([crashing()], logs={("server", True): ["INFO starting", line]})
    assert run(cluster).diagnosis.root_cause == "runtime.nccl_collective_timeout"


def test_rejected_engine_arguments() -> None:
    line = "api_server.py: error: unrecognized arguments: --enable-chunked-prefil"
    cluster = FakeCluster([crashing()], logs={("server", True): ["usage: api_server.py [-h] ...", line]})
    diagnosis = run(cluster).diagnosis
    assert diagnosis.root_cause == "model.invalid_engine_args"
    assert "--enable-chunked-prefil" in diagnosis.summary


def test_hub_404_and_a_401_that_the_hub_client_reports_as_not_found() -> None:
    not_found = ("huggingface_hub.errors.RepositoryNotFoundError: 404 Client Error. Repository Not Found for url: "
                 "https://huggingface.co/api/models/org/no-such-model")
    cluster = FakeCluster([crashing()], logs={("server", True): [not_found]})
    assert run(cluster).diagnosis.root_cause == "model.hf_model_not_found"
    gated = ("huggingface_hub.errors.RepositoryNotFoundError: 401 Client Error. Repository Not Found for url: "
             "https://huggingface.co/api/models/org/private-model. Invalid credentials in Authorization header")
    cluster.logs[("server", True)] = [gated]
    assert run(cluster).diagnosis.root_cause == "model.hf_token_missing"


def test_ephemeral_storage_eviction() -> None:
    body = pod("server-0", "ml", "Failed", reason="Evicted",
               message="The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 2Gi.")
    cluster = FakeCluster([body], [event("server-0", "Evicted", body["status"]["message"])])
    assert run(cluster).diagnosis.root_cause == "storage.node_disk_pressure_evicted"


def test_missing_claim_template() -> None:
    message = "0/2 nodes are available: pod \"ml/server-0\": ResourceClaim not created yet."
    body = pending(message)
    body["spec"]["resourceClaims"] = [{"name": "gpu", "resourceClaimTemplateName": "one-gpu"}]
    cluster = FakeCluster([body], [event("server-0", "FailedScheduling", message)])
    assert run(cluster).diagnosis.root_cause == "dra.claim_template_missing"
    cluster.objects.append({"kind": "ResourceClaimTemplate", "metadata": {"name": "one-gpu", "namespace": "ml"}})
    assert run(cluster).diagnosis.root_cause != "dra.claim_template_missing"


def test_failed_mig_reconfiguration() -> None:
    message = "0/1 nodes are available: 1 Insufficient nvidia.com/mig-2g.20gb."
    node = gpu_node("gpu-node-1", gpus="0", **{"nvidia.com/mig.config": "all-2g.20gb",
                                               "nvidia.com/mig.config.state": "failed"})
    cluster = FakeCluster([pending(message)], [event("server-0", "FailedScheduling", message)], nodes=[node])
    report = run(cluster, Trigger(subject=SUBJECT.subject, question="mig profile pending"))
    assert "gpu.mig_reconfig_failed" in [f.root_cause for f in report.findings]


def test_a_running_healthy_pod_with_an_old_scheduling_warning_is_not_blamed_on_scheduling() -> None:
    body = pod("server-0", "ml", "Running", containerStatuses=[{"name": "server", "ready": True, "restartCount": 0,
                                                                "state": {"running": {}}}])
    body["spec"]["nodeName"] = "gpu-node-1"
    old = event("server-0", "FailedScheduling", "0/2 nodes are available: 2 Insufficient nvidia.com/gpu.")
    cluster = FakeCluster([body], [old], nodes=[gpu_node("gpu-node-1")])
    assert run(cluster).diagnosis.root_cause == "unknown"
