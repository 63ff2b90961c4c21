"""Write a synthetic large-cluster incident bundle for bench/bench_replay.py.

Default size: 10,000 pods, 2,000 GPU nodes, 100,000 events (both real event shapes), 5,000 ResourceClaims,
a short log for every 10th pod and one 200 MB timestamped log. Deterministic (seeded), block-style YAML
like `kubectl get -o yaml` writes, several documents per file.

    .venv/bin/python bench/gen_large_bundle.py /tmp/large-bundle
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

CAPTURED_AT = datetime(2025, 3, 14, 10, 20, tzinfo=UTC)
NAMESPACES = 50
PER_FILE = 5000
LOG_EVERY = 10  # pods with logs: index % 10 == 4, the crash-looping ones (current and previous run)
SUBJECT = 4  # the incident's subject: crash looping, with a claim, and the large log
PRODUCTS = ("NVIDIA-H100-80GB-HBM3", "NVIDIA-A100-SXM4-80GB", "NVIDIA-L4")

Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def namespace(index: int) -> str:
    return f"team-{index % NAMESPACES:02d}"


def pod_name(index: int) -> str:
    return f"vllm-{index // 4:04d}-{index:05d}"


def node_name(index: int) -> str:
    return f"gpu-node-{index:04d}"


def node(index: int, rng: random.Random) -> dict[str, Any]:
    product = PRODUCTS[index % len(PRODUCTS)]
    tainted = index % 3 == 0
    created = CAPTURED_AT - timedelta(days=30)
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": node_name(index), "uid": uid(rng), "resourceVersion": str(1000 + index),
                     "creationTimestamp": stamp(created),
                     "labels": {"kubernetes.io/hostname": node_name(index), "kubernetes.io/os": "linux",
                                "node.kubernetes.io/instance-type": "p5.48xlarge",
                                "topology.kubernetes.io/zone": f"us-east-1{'abc'[index % 3]}",
                                "nvidia.com/gpu.present": "true", "nvidia.com/gpu.product": product,
                                "nvidia.com/gpu.count": "8", "nvidia.com/mig.strategy": "single"},
                     "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                     "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": {"providerID": f"aws:///us-east-1a/i-{index:017x}",
                 "taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}] if tainted else []},
        "status": {
            "capacity": {"cpu": "192", "memory": "2097152Mi", "nvidia.com/gpu": "8", "pods": "110",
                         "ephemeral-storage": "1Ti"},
            "allocatable": {"cpu": "191500m", "memory": "2000000Mi", "nvidia.com/gpu": "8" if index % 97 else "7",
                            "pods": "110", "ephemeral-storage": "900Gi"},
            "conditions": [{"type": kind, "status": "False" if kind != "Ready" else "True",
                            "lastHeartbeatTime": stamp(CAPTURED_AT - timedelta(seconds=30)),
                            "lastTransitionTime": stamp(created), "reason": f"Kubelet{kind}",
                            "message": f"kubelet reports {kind}"}
                           for kind in ("MemoryPressure", "DiskPressure", "PIDPressure", "Ready")],
            "addresses": [{"type": "InternalIP", "address": f"10.0.{index // 250}.{index % 250}"},
                          {"type": "Hostname", "address": node_name(index)}],
            "nodeInfo": {"kubeletVersion": "v1.34.1", "containerRuntimeVersion": "containerd://2.0.5",
                         "kernelVersion": "6.8.0-1021-aws", "osImage": "Ubuntu 24.04.2 LTS",
                         "architecture": "amd64", "operatingSystem": "linux"},
            "images": [{"names": [f"registry.example.com/ml/image-{n}@sha256:{rng.getrandbits(256):064x}"],
                        "sizeBytes": 1_000_000_000 + n} for n in range(8)],
        },
    }


def pod(index: int, nodes: int, rng: random.Random) -> dict[str, Any]:
    ns, name, owner = namespace(index), pod_name(index), f"vllm-{index // 4:04d}"
    has_claim = index % 2 == 0
    pending = index % 25 == 0
    created = CAPTURED_AT - timedelta(hours=2, seconds=index)
    container = {
        "name": "vllm", "image": "vllm/vllm-openai:v0.8.5",
        "args": ["--model", "meta-llama/Llama-3.1-8B-Instruct", "--tensor-parallel-size", "1",
                 "--gpu-memory-utilization", "0.9", "--max-model-len", "8192"],
        "env": [{"name": "HF_HOME", "value": "/models"},
                {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "token"}}}],
        "ports": [{"containerPort": 8000, "name": "http", "protocol": "TCP"}],
        "resources": {"limits": {"cpu": "8", "memory": "64Gi"} | ({} if has_claim else {"nvidia.com/gpu": "1"}),
                      "requests": {"cpu": "4", "memory": "48Gi"} | ({} if has_claim else {"nvidia.com/gpu": "1"})},
        "startupProbe": {"httpGet": {"path": "/health", "port": 8000}, "failureThreshold": 60, "periodSeconds": 10},
        "volumeMounts": [{"name": "models", "mountPath": "/models"}, {"name": "shm", "mountPath": "/dev/shm"}],
    }
    if has_claim:
        container["resources"]["claims"] = [{"name": "gpu"}]
    spec: dict[str, Any] = {
        "containers": [container, {"name": "metrics-proxy", "image": "example/proxy:1.4",
                                   "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}],
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
        "volumes": [{"name": "models", "persistentVolumeClaim": {"claimName": f"models-{index // 4:04d}"}},
                    {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "16Gi"}}],
        "schedulerName": "default-scheduler", "restartPolicy": "Always", "serviceAccountName": "default",
    }
    if has_claim:
        spec["resourceClaims"] = [{"name": "gpu", "resourceClaimName": f"{name}-gpu"}]
    if not pending:
        spec["nodeName"] = node_name((index * 7) % nodes)
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "uid": uid(rng), "resourceVersion": str(100_000 + index),
                     "creationTimestamp": stamp(created), "generateName": f"{owner}-",
                     "labels": {"app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": owner,
                                "model": "llama-3-1-8b"},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner,
                                          "uid": uid(rng), "controller": True, "blockOwnerDeletion": True}]},
        "spec": spec,
        "status": _pod_status(index, pending, created),
    }


def _pod_status(index: int, pending: bool, created: datetime) -> dict[str, Any]:
    if pending:
        return {"phase": "Pending", "qosClass": "Burstable",
                "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                "lastTransitionTime": stamp(created),
                                "message": "0/2000 nodes are available: 2000 Insufficient nvidia.com/gpu."}]}
    crashing = index % LOG_EVERY == SUBJECT % LOG_EVERY
    vllm_state: dict[str, Any] = (
        {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container=vllm"}}
        if crashing else {"running": {"startedAt": stamp(created + timedelta(minutes=3))}})
    return {
        "phase": "Running", "qosClass": "Burstable", "podIP": f"10.1.{index // 250}.{index % 250}",
        "startTime": stamp(created),
        "conditions": [{"type": kind, "status": "True", "lastTransitionTime": stamp(created)}
                       for kind in ("PodReadyToStartContainers", "Initialized", "ContainersReady", "PodScheduled")],
        "containerStatuses": [
            {"name": "vllm", "image": "vllm/vllm-openai:v0.8.5", "imageID": "docker.io/vllm/vllm-openai@sha256:ab",
             "ready": not crashing, "started": not crashing, "restartCount": 7 if crashing else 0,
             "state": vllm_state,
             "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": stamp(created),
                                          "finishedAt": stamp(created + timedelta(minutes=4))}} if crashing else {}},
            {"name": "metrics-proxy", "image": "example/proxy:1.4", "imageID": "example/proxy@sha256:cd",
             "ready": True, "started": True, "restartCount": 0,
             "state": {"running": {"startedAt": stamp(created)}}, "lastState": {}},
        ],
    }


def claim(index: int, nodes: int, rng: random.Random) -> dict[str, Any]:
    pod_index = index * 2  # the pods with claims are the even ones
    name, ns = f"{pod_name(pod_index)}-gpu", namespace(pod_index)
    allocated = pod_index % 25 != 0
    status: dict[str, Any] = {}
    if allocated:
        status = {"allocation": {"devices": {"results": [{"request": "gpu", "driver": "gpu.nvidia.com",
                                                          "pool": node_name((pod_index * 7) % nodes),
                                                          "device": f"gpu-{pod_index % 8}"}]},
                                 "nodeSelector": {"nodeSelectorTerms": [{"matchFields": [
                                     {"key": "metadata.name", "operator": "In",
                                      "values": [node_name((pod_index * 7) % nodes)]}]}]}},
                  "reservedFor": [{"resource": "pods", "name": pod_name(pod_index), "uid": uid(rng)}]}
    return {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaim",
            "metadata": {"name": name, "namespace": ns, "uid": uid(rng), "resourceVersion": str(200_000 + index),
                         "creationTimestamp": stamp(CAPTURED_AT - timedelta(hours=2))},
            "spec": {"devices": {"requests": [{"name": "gpu", "exactly": {
                "deviceClassName": "gpu.nvidia.com", "allocationMode": "ExactCount", "count": 1}}]}},
            "status": status}


def event(index: int, pods: int, rng: random.Random) -> dict[str, Any]:
    pod_index = index % pods
    ns, name = namespace(pod_index), pod_name(pod_index)
    seen = CAPTURED_AT - timedelta(seconds=(index * 37) % 7200)
    involved = {"apiVersion": "v1", "kind": "Pod", "name": name, "namespace": ns, "uid": uid(rng),
                "resourceVersion": str(100_000 + pod_index)}
    base = {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{name}.{rng.getrandbits(64):016x}", "namespace": ns, "uid": uid(rng),
                         "resourceVersion": str(300_000 + index), "creationTimestamp": stamp(seen)}}
    if index % 2:
        return base | {"involvedObject": involved | {"fieldPath": "spec.containers{vllm}"}, "reason": "BackOff",
                       "message": f"Back-off restarting failed container vllm in pod {name}_{ns}({involved['uid']})",
                       "type": "Warning", "count": 1 + index % 40, "firstTimestamp": stamp(seen - timedelta(hours=1)),
                       "lastTimestamp": stamp(seen), "source": {"component": "kubelet", "host": node_name(pod_index)},
                       "eventTime": None, "reportingComponent": "kubelet", "reportingInstance": node_name(pod_index)}
    return base | {"involvedObject": involved, "reason": "FailedScheduling", "action": "Scheduling",
                   "message": "0/2000 nodes are available: 1334 Insufficient nvidia.com/gpu, 666 node(s) had "
                              "untolerated taint {nvidia.com/gpu: present}. preemption: 0/2000 nodes are available: "
                              "2000 No preemption victims found for incoming pod.",
                   "type": "Warning", "eventTime": seen.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                   "firstTimestamp": None, "lastTimestamp": None, "source": {},
                   "series": {"count": 1 + index % 60, "lastObservedTime": seen.strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
                   "reportingComponent": "default-scheduler", "reportingInstance": "default-scheduler-cp-1"}


def write_documents(directory: Path, stem: str, documents: Iterable[dict[str, Any]]) -> int:
    """Write documents into stem-000.yaml, stem-001.yaml, ... of PER_FILE documents each."""
    count, batch, part = 0, [], 0
    for document in documents:
        batch.append(document)
        count += 1
        if len(batch) == PER_FILE:
            _dump(directory / f"{stem}-{part:03d}.yaml", batch)
            batch, part = [], part + 1
    if batch:
        _dump(directory / f"{stem}-{part:03d}.yaml", batch)
    return count


def _dump(path: Path, documents: list[dict[str, Any]]) -> None:
    with path.open("w") as stream:
        yaml.dump_all(documents, stream, Dumper=Dumper, sort_keys=False, default_flow_style=False, width=120)


def log_lines(count: int, start: datetime) -> Iterator[str]:
    for n in range(count):
        moment = start + timedelta(milliseconds=n * 50)
        yield (f"{moment.strftime('%Y-%m-%dT%H:%M:%S.%f')}000Z INFO {moment.strftime('%m-%d %H:%M:%S')} "
               f"metrics.py:439] Avg prompt throughput: {n % 900}.0 tokens/s, Avg generation throughput: "
               f"{n % 2000}.0 tokens/s, Running: {n % 64} reqs, Waiting: {n % 7} reqs, GPU KV cache usage: "
               f"{n % 100}.0%\n")


def write_logs(root: Path, pods: int, big_log_mb: int) -> None:
    start = CAPTURED_AT - timedelta(minutes=5)
    for index in range(SUBJECT % LOG_EVERY, pods, LOG_EVERY):
        directory = root / "logs" / namespace(index) / pod_name(index)
        directory.mkdir(parents=True, exist_ok=True)
        if index == SUBJECT and big_log_mb:
            _write_big_log(directory / "vllm.log", big_log_mb)
        else:
            (directory / "vllm.log").write_text("".join(log_lines(40, start)))
        (directory / "vllm.previous.log").write_text(
                "".join(log_lines(20, start - timedelta(hours=1)))
                + f"{stamp(start - timedelta(minutes=30))} torch.OutOfMemoryError: CUDA out of memory. "
                  "Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.10 GiB\n")


def _write_big_log(path: Path, megabytes: int) -> None:
    """A log of about `megabytes` MB whose last line is stamped just before the capture time."""
    line_bytes = len(next(log_lines(1, CAPTURED_AT)))
    count = megabytes * 1_000_000 // line_bytes
    start = CAPTURED_AT - timedelta(milliseconds=count * 50)
    with path.open("w") as stream:
        batch: list[str] = []
        for line in log_lines(count, start):
            batch.append(line)
            if len(batch) == 10_000:
                stream.write("".join(batch))
                batch = []
        stream.write("".join(batch))


def write_incident(root: Path, pods: int) -> None:
    subject = SUBJECT if pods > SUBJECT else 0
    spec = {"id": root.name, "title": "Synthetic large cluster for the replay benchmark",
            "captured_at": stamp(CAPTURED_AT), "tags": ["bench"],
            "trigger": {"question": "why is this vLLM pod crash looping?",
                        "subject": f"pod {namespace(subject)}/{pod_name(subject)}"},
            "expected": {"root_cause": "unknown"}}
    (root / "incident.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))


def generate(root: Path, pods: int, nodes: int, events: int, claims: int, big_log_mb: int) -> None:
    rng = random.Random(20250314)
    cluster = root / "cluster"
    cluster.mkdir(parents=True, exist_ok=False)
    write_incident(root, pods)
    steps = [
        ("nodes", (node(i, rng) for i in range(nodes))),
        ("pods", (pod(i, nodes, rng) for i in range(pods))),
        ("resourceclaims", (claim(i, nodes, rng) for i in range(min(claims, (pods + 1) // 2)))),
        ("events", (event(i, pods, rng) for i in range(events))),
    ]
    for stem, documents in steps:
        started = time.perf_counter()
        count = write_documents(cluster, stem, documents)
        print(f"{stem:>15}: {count:>7} objects in {time.perf_counter() - started:5.1f} s", flush=True)
    device_class = {"apiVersion": "resource.k8s.io/v1", "kind": "DeviceClass",
                    "metadata": {"name": "gpu.nvidia.com", "uid": uid(rng), "resourceVersion": "10",
                                 "creationTimestamp": stamp(CAPTURED_AT - timedelta(days=30))},
                    "spec": {"selectors": [{"cel": {"expression": "device.driver == 'gpu.nvidia.com'"}}]}}
    _dump(cluster / "deviceclasses.yaml", [device_class])
    started = time.perf_counter()
    write_logs(root, pods, big_log_mb)
    print(f"{'logs':>15}: every {LOG_EVERY}th pod (current + previous), one {big_log_mb} MB log, in "
          f"{time.perf_counter() - started:5.1f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("directory", type=Path, help="where to write the bundle (must not exist)")
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--nodes", type=int, default=2_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--claims", type=int, default=5_000)
    parser.add_argument("--big-log-mb", type=int, default=200)
    args = parser.parse_args(argv)
    if args.directory.exists():
        print(f"gen_large_bundle: {args.directory} already exists", file=sys.stderr)
        return 2
    generate(args.directory, args.pods, args.nodes, args.events, args.claims, args.big_log_mb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
