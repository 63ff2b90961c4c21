"""kubernetes_describe_pod over the replay API: what a person checks first, and never a Secret value."""

from __future__ import annotations

from holmes.toolsets.base import run_tool
from holmes.toolsets.pods import TOOLS

from .objects import classic_event, metadata, pod

DESCRIBE = TOOLS[0]


def _vllm_pod(**overrides):
    container = {
        "name": "vllm", "image": "vllm/vllm-openai:v0.8.5",
        "args": ["--model", "meta-llama/Llama-3.1-8B-Instruct", "--tensor-parallel-size", "2"],
        "resources": {"requests": {"cpu": "8", "nvidia.com/gpu": "2"}, "limits": {"nvidia.com/gpu": "2"}},
        "env": [{"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf-secret", "key": "token"}}},
                {"name": "HUGGING_FACE_HUB_TOKEN", "value": "hf_literalSecretValue123"},
                {"name": "VLLM_LOGGING_LEVEL", "value": "DEBUG"}],
        "startupProbe": {"httpGet": {"path": "/health", "port": 8000}, "initialDelaySeconds": 30,
                         "periodSeconds": 10, "failureThreshold": 12},
        "volumeMounts": [{"name": "cache", "mountPath": "/root/.cache/huggingface"}],
    }
    statuses = [{"name": "vllm", "ready": False, "restartCount": 5, "image": container["image"], "imageID": "",
                 "state": {"waiting": {"reason": "CrashLoopBackOff",
                                       "message": "back-off 5m0s restarting failed container=vllm"}},
                 "lastState": {"terminated": {"reason": "Error", "exitCode": 1, "startedAt": "2025-03-14T10:10:00Z",
                                              "finishedAt": "2025-03-14T10:12:30Z"}}}]
    return pod("vllm-7c9d-x2x4q", containers=[container], statuses=statuses,
               spec={"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
                     "nodeSelector": {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"},
                     "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                         {"labelSelector": {"matchLabels": {"app": "vllm"}, "matchExpressions": [
                             {"key": "tier", "operator": "In", "values": ["serving"]}]},
                          "topologyKey": "kubernetes.io/hostname"}]}},
                     "volumes": [{"name": "cache", "emptyDir": {"sizeLimit": "50Gi"}}]},
               labels={"app": "vllm", "pod-template-hash": "7c9d"},
               ownerReferences=[{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "vllm-7c9d",
                                 "uid": "rs-uid", "controller": True}], **overrides)


def _owners():
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
          "metadata": metadata("vllm-7c9d", "llm", ownerReferences=[
              {"apiVersion": "apps/v1", "kind": "Deployment", "name": "vllm", "uid": "d-uid", "controller": True}]),
          "spec": {"replicas": 1}, "status": {"replicas": 1}}
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata("vllm", "llm"),
              "spec": {"replicas": 1}, "status": {"replicas": 1}}
    return [rs, deploy]


def test_describe_pod_never_shows_secret_values(replay):
    ctx = replay([_vllm_pod()])
    result = run_tool(DESCRIBE, ctx, {"namespace": "llm", "name": "vllm-7c9d-x2x4q"})
    assert result.status == "ok", result.error
    assert "hf_literalSecretValue123" not in result.text
    assert "hf_literalSecretValue123" not in str(result.data)
    assert "HF_TOKEN from Secret hf-secret key token" in result.text
    assert "holmes does not read Secrets" in result.text
    assert "VLLM_LOGGING_LEVEL=DEBUG" in result.text  # plain settings stay visible


def test_describe_pod_shows_crash_state_probe_budget_and_missing_shm(replay):
    ctx = replay([_vllm_pod(), *_owners(),
                  classic_event("llm", "Pod", "vllm-7c9d-x2x4q", "BackOff", "Back-off restarting failed container vllm",
                                9, 30, 1, component="kubelet")])
    text = run_tool(DESCRIBE, ctx, {"namespace": "llm", "name": "vllm-7c9d-x2x4q"}).text
    assert "state: Waiting CrashLoopBackOff" in text
    assert "last termination: Terminated Error exit code 1" in text
    assert "restarts 5" in text
    assert "nvidia.com/gpu=2" in text
    assert "nvidia.com/gpu Exists:NoSchedule" in text
    assert "Node selector: nvidia.com/gpu.product=NVIDIA-A100-SXM4-80GB" in text
    assert "PodAntiAffinity (required): pods app=vllm,tier In (serving) per kubernetes.io/hostname" in text
    assert "failureThreshold=12 -> gives up after about 150s" in text
    assert "/dev/shm: not mounted" in text
    assert "cache: emptyDir medium=disk sizeLimit=50Gi" in text
    assert "runtimeClassName: <none>" in text
    assert "Controlled by: ReplicaSet/vllm-7c9d -> Deployment/vllm" in text
    assert "x9 over 30m" in text and "BackOff" in text


def test_describe_pod_notes_shm_mount_and_memory_medium(replay):
    shm_pod = _vllm_pod()
    shm_pod["spec"]["containers"][0]["volumeMounts"].append({"name": "dshm", "mountPath": "/dev/shm"})
    shm_pod["spec"]["volumes"].append({"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "20Gi"}})
    shm_pod["spec"]["runtimeClassName"] = "nvidia"
    ctx = replay([shm_pod])
    result = run_tool(DESCRIBE, ctx, {"namespace": "llm", "name": "vllm-7c9d-x2x4q"})
    assert "/dev/shm: not mounted" not in result.text
    assert "/dev/shm <- dshm" in result.text
    assert "dshm: emptyDir medium=Memory sizeLimit=20Gi" in result.text
    assert "runtimeClassName: nvidia" in result.text
    assert result.data["owner_chain"] == [{"kind": "ReplicaSet", "name": "vllm-7c9d"}]


def test_describe_pod_names_the_inferenceservice_from_labels(replay):
    predictor = pod("llama-predictor-00001-deployment-5f7b-abcde",
                    labels={"serving.kserve.io/inferenceservice": "llama", "component": "predictor"})
    ctx = replay([predictor])
    result = run_tool(DESCRIBE, ctx, {"namespace": "llm", "name": predictor["metadata"]["name"]})
    assert {"kind": "InferenceService", "name": "llama", "via": "label serving.kserve.io/inferenceservice"} \
        in result.data["owner_chain"]


def test_describe_missing_pod_is_no_data(replay):
    ctx = replay([_vllm_pod()])
    result = run_tool(DESCRIBE, ctx, {"namespace": "llm", "name": "gone"})
    assert result.status == "no_data"
    assert result.text == "pod llm/gone not found"


def test_describe_pod_names_keys_of_configmaps_loaded_as_env(replay):
    loaded = _vllm_pod()
    loaded["spec"]["containers"][0]["envFrom"] = [{"configMapRef": {"name": "tgi-config"}},
                                                  {"secretRef": {"name": "hf-secret"}}]
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata("tgi-config", "llm"),
              "data": {"MAX_INPUT_LENGTH": "1024", "HF_TOKEN": "placeholder"}}
    ctx = replay([loaded, config])
    text = run_tool(DESCRIBE, ctx, {"namespace": "llm", "name": "vllm-7c9d-x2x4q"}).text
    assert "  tgi-config: HF_TOKEN, MAX_INPUT_LENGTH" in text
    assert "all keys of Secret hf-secret" in text
    assert "placeholder" not in text  # key names only; values need an explicit kubernetes_get
