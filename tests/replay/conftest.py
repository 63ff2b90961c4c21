"""A small but representative bundle written into a temp dir, served once per test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from holmes.bundle.loader import load_bundle
from holmes.bundle.model import Bundle
from holmes.replay import serve_bundle

INCIDENT = """\
id: {id}
title: vLLM pod crashing on a GPU node
captured_at: "2025-03-14T10:20:00Z"
trigger:
  subject: pod llm/vllm-0
expected:
  root_cause: model.gpu_oom
"""

CLUSTER = {
    "pods.yaml": """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: vllm-0
    namespace: llm
    uid: 6f1c0d0e-0000-4000-8000-000000000001
    resourceVersion: "1000"
    creationTimestamp: "2025-03-14T09:00:00Z"
    labels: {app: vllm, tier: serving, gpu: "true"}
  spec:
    nodeName: gpu-node-1
    containers: [{name: vllm, image: vllm/vllm-openai:v0.6.3}]
    resourceClaims: [{name: gpu, resourceClaimName: vllm-0-gpu}]
  status:
    phase: Running
    containerStatuses:
    - name: vllm
      image: vllm/vllm-openai:v0.6.3
      imageID: ""
      ready: false
      started: false
      restartCount: 4
      state: {waiting: {reason: CrashLoopBackOff, message: back-off 1m20s restarting failed container}}
      lastState: {terminated: {exitCode: 1, reason: Error, startedAt: "2025-03-14T10:17:00Z",
                               finishedAt: "2025-03-14T10:19:31Z"}}
- apiVersion: v1
  kind: Pod
  metadata:
    name: router-5c9d-abcde
    namespace: llm
    uid: 6f1c0d0e-0000-4000-8000-000000000002
    resourceVersion: "1001"
    creationTimestamp: "2025-03-14T09:00:00Z"
    labels: {app: router, tier: frontend}
  spec:
    nodeName: cpu-node-1
    initContainers: [{name: fetch-config, image: busybox:1.36}]
    containers: [{name: router, image: example/router:1.0}, {name: sidecar, image: example/proxy:1.0}]
  status: {phase: Running}
- apiVersion: v1
  kind: Pod
  metadata:
    name: kvcache-helper
    namespace: cache
    uid: 6f1c0d0e-0000-4000-8000-000000000003
    resourceVersion: "1002"
    creationTimestamp: "2025-03-14T09:00:00Z"
    labels: {app: kvcache}
  spec:
    containers: [{name: helper, image: example/kvcache:1.0}]
  status:
    phase: Pending
    containerStatuses:
    - {name: helper, image: example/kvcache:1.0, imageID: "", ready: false, restartCount: 0,
       state: {waiting: {reason: ContainerCreating}}}
""",
    "nodes.yaml": """\
apiVersion: v1
kind: Node
metadata:
  name: gpu-node-1
  uid: 6f1c0d0e-0000-4000-8000-0000000000a1
  resourceVersion: "900"
  creationTimestamp: "2025-03-01T00:00:00Z"
  labels: {nvidia.com/gpu.present: "true", kubernetes.io/hostname: gpu-node-1}
spec:
  taints: [{key: nvidia.com/gpu, value: present, effect: NoSchedule}]
status:
  capacity: {nvidia.com/gpu: "8", cpu: "96"}
  allocatable: {nvidia.com/gpu: "8", cpu: "95"}
---
apiVersion: v1
kind: Node
metadata:
  name: cpu-node-1
  uid: 6f1c0d0e-0000-4000-8000-0000000000a2
  resourceVersion: "901"
  creationTimestamp: "2025-03-01T00:00:00Z"
  labels: {kubernetes.io/hostname: cpu-node-1}
spec: {unschedulable: true}
status: {capacity: {cpu: "16"}, allocatable: {cpu: "15"}}
""",
    "events.yaml": """\
apiVersion: v1
kind: Event
metadata: {name: vllm-0.182c0a1b2c3d4e5f, namespace: llm, uid: e-1, resourceVersion: "1100",
           creationTimestamp: "2025-03-14T10:05:00Z"}
involvedObject: {apiVersion: v1, kind: Pod, name: vllm-0, namespace: llm,
                 uid: 6f1c0d0e-0000-4000-8000-000000000001, fieldPath: "spec.containers{vllm}"}
reason: BackOff
message: Back-off restarting failed container vllm in pod vllm-0_llm(6f1c0d0e-0000-4000-8000-000000000001)
type: Warning
count: 12
firstTimestamp: "2025-03-14T10:05:00Z"
lastTimestamp: "2025-03-14T10:19:40Z"
source: {component: kubelet, host: gpu-node-1}
---
apiVersion: v1
kind: Event
metadata: {name: vllm-0.182c0a1b2c3d4e60, namespace: llm, uid: e-2, resourceVersion: "1101",
           creationTimestamp: "2025-03-14T09:00:01Z"}
involvedObject: {apiVersion: v1, kind: Pod, name: vllm-0, namespace: llm,
                 uid: 6f1c0d0e-0000-4000-8000-000000000001}
reason: Scheduled
message: Successfully assigned llm/vllm-0 to gpu-node-1
type: Normal
eventTime: "2025-03-14T09:00:01.123456Z"
firstTimestamp: null
lastTimestamp: null
reportingComponent: default-scheduler
reportingInstance: default-scheduler-control-plane-1
action: Binding
source: {}
---
apiVersion: v1
kind: Event
metadata: {name: kvcache-helper.182c0a1b2c3d4e61, namespace: cache, uid: e-3, resourceVersion: "1102",
           creationTimestamp: "2025-03-14T09:00:02Z"}
involvedObject: {apiVersion: v1, kind: Pod, name: kvcache-helper, namespace: cache,
                 uid: 6f1c0d0e-0000-4000-8000-000000000003}
reason: FailedScheduling
message: "0/2 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present},
  1 node(s) were unschedulable."
type: Warning
eventTime: "2025-03-14T09:00:02.000000Z"
series: {count: 30, lastObservedTime: "2025-03-14T10:19:00.000000Z"}
reportingComponent: default-scheduler
source: {}
---
apiVersion: v1
kind: Event
metadata: {name: gpu-node-1.182c0a1b2c3d4e62, namespace: default, uid: e-4, resourceVersion: "1103",
           creationTimestamp: "2025-03-14T09:30:00Z"}
involvedObject: {kind: Node, name: gpu-node-1, uid: gpu-node-1}
reason: NodeHasSufficientMemory
message: "Node gpu-node-1 status is now: NodeHasSufficientMemory"
type: Normal
count: 1
source: {component: kubelet, host: gpu-node-1}
""",
    "dra.yaml": """\
apiVersion: resource.k8s.io/v1
kind: DeviceClass
metadata: {name: gpu.nvidia.com, uid: dc-1, resourceVersion: "10", creationTimestamp: "2025-03-01T00:00:00Z"}
spec:
  selectors: [{cel: {expression: "device.driver == 'gpu.nvidia.com'"}}]
---
apiVersion: resource.k8s.io/v1beta1
kind: ResourceClaim
metadata: {name: vllm-0-gpu, namespace: llm, uid: rc-1, resourceVersion: "990",
           creationTimestamp: "2025-03-14T09:00:00Z"}
spec:
  devices:
    requests: [{name: gpu, deviceClassName: gpu.nvidia.com, allocationMode: ExactCount, count: 1}]
status: {}
""",
    "kserve.yaml": """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: llama, namespace: llm, uid: is-1, resourceVersion: "700", creationTimestamp: "2025-03-14T08:00:00Z"}
spec: {predictor: {model: {modelFormat: {name: huggingface}}}}
status: {conditions: [{type: Ready, status: "False"}]}
---
apiVersion: example.com/v1alpha1
kind: Widget
metadata: {name: w-1, uid: w-1, resourceVersion: "5", creationTimestamp: "2025-03-14T08:00:00Z"}
spec: {size: 3}
---
apiVersion: v1
kind: Secret
metadata: {name: hf-token, namespace: llm, uid: s-1, resourceVersion: "6", creationTimestamp: "2025-03-14T08:00:00Z"}
type: Opaque
data: {token: aGZfc2VjcmV0X3ZhbHVl}
stringData: {other: plain-secret-value}
""",
}

PREVIOUS_LOG = """\
2025-03-14T10:17:00.000000001Z INFO 03-14 10:17:00 api_server.py:585] vLLM API server version 0.6.3
2025-03-14T10:18:30.500000000Z INFO 03-14 10:18:30 model_runner.py:1056] Loading model weights took 14.99 GB
2025-03-14T10:19:30.123456789Z torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.
2025-03-14T10:19:30.123456790Z   File "/usr/lib/python3/site-packages/vllm/worker.py", line 12, in load
2025-03-14T10:19:31.000000000Z ERROR engine exited
"""

CURRENT_LOG = "2025-03-14T10:19:50.000000000Z INFO 03-14 10:19:50 api_server.py:585] vLLM API server version 0.6.3\n"


def write_bundle(root: Path, incident_id: str = "vllm-gpu-oom") -> Path:
    """Write the representative bundle under root/<id> and return its directory."""
    bundle = root / incident_id
    (bundle / "cluster").mkdir(parents=True)
    (bundle / "incident.yaml").write_text(INCIDENT.format(id=incident_id))
    for name, text in CLUSTER.items():
        (bundle / "cluster" / name).write_text(text)
    logs = bundle / "logs" / "llm" / "vllm-0"
    logs.mkdir(parents=True)
    (logs / "vllm.previous.log").write_text(PREVIOUS_LOG)
    (logs / "vllm.log").write_text(CURRENT_LOG)
    router = bundle / "logs" / "llm" / "router-5c9d-abcde"
    router.mkdir(parents=True)
    (router / "router.log").write_text("listening on :8080\nrouted 10 requests\n")
    (router / "fetch-config.log").write_text("fetched config\n")
    return bundle


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    return load_bundle(write_bundle(tmp_path_factory.mktemp("bundles")))


@pytest.fixture(scope="module")
def url(bundle: Bundle) -> Iterator[str]:
    with serve_bundle(bundle) as served:
        yield served


@pytest.fixture(scope="module")
def http(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=10) as client:
        yield client
