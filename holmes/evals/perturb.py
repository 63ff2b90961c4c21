"""Write variants of a bundle (renamed objects, noise, shuffled order, shifted clock) to test robustness.

A diagnosis that survives these was reached from the mechanism, not from names, order or dates.
"""

from __future__ import annotations

import random
import re
import shutil
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from holmes.errors import UserError

# kinds whose names are incidental (renaming them must not change a diagnosis)
RENAMABLE = {"Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "Service", "ResourceClaim",
             "ResourceClaimTemplate", "InferenceService", "Node", "PersistentVolumeClaim", "RayCluster"}
KEEP_NAMES = {"default", "kube-system", "kube-public", "gpu-operator", "nvidia-gpu-operator"}
TIMESTAMP = re.compile(r"\b(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z\b")
VARIANTS = ("renamed", "noise", "shuffled", "shifted")


def perturb(bundle: Path, out_dir: Path, variants: tuple[str, ...] = VARIANTS, seed: int = 7) -> list[Path]:
    """Write one variant directory per name in `variants` under out_dir; returns their paths."""
    if not (bundle / "incident.yaml").is_file():
        raise UserError(f"{bundle}: not a bundle (no incident.yaml)")
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        raise UserError(f"unknown variant(s) {', '.join(sorted(unknown))}; choose from {', '.join(VARIANTS)}")
    written = []
    for variant in variants:
        target = out_dir / f"{bundle.name}--{variant}"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(bundle, target)
        rng = random.Random(f"{seed}-{variant}")
        {"renamed": _rename, "noise": _add_noise, "shuffled": _shuffle, "shifted": _shift}[variant](target, rng)
        _retitle(target, variant)
        written.append(target)
    return written


def _text_files(bundle: Path) -> list[Path]:
    return [p for p in sorted(bundle.rglob("*")) if p.is_file() and p.suffix in {".yaml", ".yml", ".log", ".om"}]


def _objects(bundle: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted((bundle / "cluster").glob("*.y*ml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict):
                found.extend(doc.get("items") or [] if doc.get("kind") == "List" else [doc])
    return found


def _rename(bundle: Path, rng: random.Random) -> None:
    names = sorted({o["metadata"]["name"] for o in _objects(bundle)
                    if o.get("kind") in RENAMABLE and o.get("metadata", {}).get("name")
                    and o["metadata"]["name"] not in KEEP_NAMES and len(o["metadata"]["name"]) >= 4},
                   key=len, reverse=True)
    mapping = {name: f"{name}-{rng.choice('bcdfghjkmnpqrstvwxz')}{rng.randrange(100, 999)}" for name in names}
    if not mapping:
        return
    # a name may follow "ns/" (subjects, log paths) but not precede "/" or "." (images, hostnames, modules)
    pattern = re.compile(r"(?<![\w.-])(" + "|".join(re.escape(n) for n in names) + r")(?![\w./-])")
    for path in _text_files(bundle):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        path.write_text(pattern.sub(lambda m: mapping[m.group(1)], text), encoding="utf-8", errors="surrogateescape")
    for path in sorted((bundle / "logs").rglob("*"), key=lambda p: len(p.parts), reverse=True) \
            if (bundle / "logs").exists() else []:
        if path.name in mapping:
            path.rename(path.with_name(mapping[path.name]))


def _add_noise(bundle: Path, rng: random.Random) -> None:
    """A healthy workload with normal events, and an unrelated warning long resolved."""
    captured = _captured_at(bundle)
    ns = f"noise-{rng.randrange(1000, 9999)}"
    namespace = {"name": ns, "uid": f"uid-{ns}", "creationTimestamp": _ts(captured, -9000)}
    docs: list[dict[str, Any]] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": namespace,
                                   "status": {"phase": "Active"}}]
    for i in range(3):
        pod = f"web-{rng.randrange(10000, 99999)}-{i}"
        docs.append(_healthy_pod(ns, pod, captured))
        for reason, message, age in (("Scheduled", f"Successfully assigned {ns}/{pod} to cpu-node-{i}", 8000),
                                     ("Pulled", 'Container image "nginx:1.27" already present on machine', 7990),
                                     ("Started", "Started container web", 7980)):
            docs.append(_event(ns, pod, "Normal", reason, message, captured, age))
    docs.append(_event(ns, docs[1]["metadata"]["name"], "Warning", "Unhealthy",
                       "Readiness probe failed: HTTP probe failed with statuscode: 503", captured, 7000))
    (bundle / "cluster" / "zz-noise.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")


def _shuffle(bundle: Path, rng: random.Random) -> None:
    for path in sorted((bundle / "cluster").glob("*.y*ml")):
        docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
        flat: list[Any] = []
        for doc in docs:
            flat.extend(doc.get("items") or [] if isinstance(doc, dict) and doc.get("kind") == "List" else [doc])
        rng.shuffle(flat)
        path.write_text(yaml.safe_dump_all(flat, sort_keys=False), encoding="utf-8")


def _shift(bundle: Path, rng: random.Random) -> None:
    """Move the whole incident in time, capture time included: ages and windows stay the same."""
    delta = timedelta(days=rng.randrange(30, 400), hours=rng.randrange(0, 23), minutes=rng.randrange(0, 59))

    def move(match: re.Match[str]) -> str:
        if int(match.group(1)[:4]) < 1971:  # Go's zero time (endsAt: 0001-01-01) means "unset": keep it
            return match.group(0)
        when = datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}+00:00") + delta
        return when.strftime("%Y-%m-%dT%H:%M:%S") + (match.group(3) or "") + "Z"

    for path in _text_files(bundle):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        if path.suffix == ".om":
            text = _shift_openmetrics(text, delta.total_seconds())
        path.write_text(TIMESTAMP.sub(move, text), encoding="utf-8", errors="surrogateescape")


def _shift_openmetrics(text: str, seconds: float) -> str:
    out = []
    for line in text.splitlines():
        parts = line.rsplit(" ", 2)
        if not line.startswith("#") and len(parts) == 3 and re.fullmatch(r"\d+(\.\d+)?", parts[2]):
            stamp = float(parts[2]) + seconds
            line = f"{parts[0]} {parts[1]} {stamp:.3f}".rstrip("0").rstrip(".")
        out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def _retitle(bundle: Path, variant: str) -> None:
    path = bundle / "incident.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec["id"] = bundle.name
    spec["tags"] = [*spec.get("tags", []), f"variant:{variant}"]
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")


def _captured_at(bundle: Path) -> datetime:
    spec = yaml.safe_load((bundle / "incident.yaml").read_text(encoding="utf-8"))
    value = spec.get("captured_at")
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _ts(base: datetime, offset_s: int) -> str:
    return (base + timedelta(seconds=offset_s)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _healthy_pod(ns: str, name: str, captured: datetime) -> dict[str, Any]:
    started = _ts(captured, -7980)
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "uid": f"uid-{name}", "labels": {"app": "web"},
                         "creationTimestamp": _ts(captured, -8000)},
            "spec": {"nodeName": "cpu-node-0", "containers": [{"name": "web", "image": "nginx:1.27",
                                                               "resources": {"requests": {"cpu": "100m"}}}]},
            "status": {"phase": "Running", "startTime": started,
                       "conditions": [{"type": t, "status": "True", "lastTransitionTime": started}
                                      for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready")],
                       "containerStatuses": [{"name": "web", "ready": True, "restartCount": 0, "started": True,
                                              "image": "nginx:1.27", "imageID": "", "containerID": "",
                                              "state": {"running": {"startedAt": started}}}]}}


def _event(ns: str, pod: str, kind: str, reason: str, message: str, captured: datetime, age_s: int) -> dict[str, Any]:
    when = _ts(captured, -age_s)
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{pod}.{zlib.crc32((reason + str(age_s)).encode()):x}", "namespace": ns,
                         "creationTimestamp": when},
            "involvedObject": {"kind": "Pod", "name": pod, "namespace": ns, "apiVersion": "v1"},
            "reason": reason, "message": message, "type": kind, "count": 1,
            "firstTimestamp": when, "lastTimestamp": when, "source": {"component": "kubelet"}}
