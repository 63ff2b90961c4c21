"""kserve_inferenceservice over the replay API: the CR's view and its pods' view side by side."""

from __future__ import annotations

from holmes.toolsets.base import run_tool
from holmes.toolsets.kserve import TOOLS

from .objects import metadata, pod

ISVC = TOOLS[0]


def _isvc(ready: str = "True"):
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "metadata": metadata("llama", "llm"),
            "spec": {"predictor": {"model": {"modelFormat": {"name": "huggingface"},
                                             "storageUri": "hf://meta-llama/Llama-3.1-8B-Instruct",
                                             "resources": {"limits": {"nvidia.com/gpu": "1"}}}}},
            "status": {"url": "http://llama.llm.example.com",
                       "conditions": [{"type": "PredictorReady", "status": ready},
                                      {"type": "Ready", "status": ready}]}}


def test_inferenceservice_ready_while_its_pod_crashes_is_flagged(replay):
    crashing = pod("llama-predictor-00001-deployment-abc", phase="Pending",
                   labels={"serving.kserve.io/inferenceservice": "llama", "component": "predictor"},
                   status={"initContainerStatuses": [{"name": "storage-initializer", "ready": False,
                                                      "restartCount": 356, "image": "kserve/storage-initializer",
                                                      "imageID": "",
                                                      "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]},
                   spec={"initContainers": [{"name": "storage-initializer", "image": "kserve/storage-initializer"}]})
    ctx = replay([_isvc(), crashing, pod("other-app")])
    result = run_tool(ISVC, ctx, {"namespace": "llm", "name": "llama"})
    assert result.status == "ok", result.error
    [summary] = result.data["pods"]["llama"]
    assert (summary["status"], summary["restarts"]) == ("Init:CrashLoopBackOff", 356)
    assert "the CR says Ready but a pod is not healthy" in result.text
    assert "storageUri hf://meta-llama/Llama-3.1-8B-Instruct" in result.text
    assert "nvidia.com/gpu=1" in result.text


def test_inferenceservice_missing_is_no_data(replay):
    ctx = replay([_isvc()])
    result = run_tool(ISVC, ctx, {"namespace": "llm", "name": "mistral"})
    assert (result.status, result.text) == ("no_data", "InferenceService llm/mistral not found")
