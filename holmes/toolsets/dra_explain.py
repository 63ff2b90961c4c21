"""Why a pod's DRA claims are (not) allocated: pod -> claim -> requests -> class -> slices -> devices -> node."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from holmes.sources.kube import KubeReader
from holmes.toolsets import dra_shapes as shapes
from holmes.toolsets.access import list_all, meta
from holmes.toolsets.redact import redact
from holmes.toolsets.render import parse_time, slim


@dataclass
class Cluster:
    """The DRA inventory an explanation needs, read once."""

    classes: dict[str, dict[str, Any]]
    slices: list[dict[str, Any]]
    claims: list[dict[str, Any]]  # every claim in the cluster, to find devices held by others
    nodes: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    @classmethod
    def read(cls, reader: KubeReader) -> Cluster:
        classes = {meta(c).get("name", ""): c for c in list_all(reader, "deviceclass")}
        return cls(classes, list_all(reader, "resourceslice"), list_all(reader, "resourceclaim"))

    def node(self, reader: KubeReader, name: str) -> dict[str, Any] | None:
        if name not in self.nodes:
            self.nodes[name] = reader.get("node", name)
        return self.nodes[name]


def pod_claim_refs(pod: dict[str, Any]) -> list[dict[str, Any]]:
    """Each spec.resourceClaims entry with the ResourceClaim it resolves to (status for templates)."""
    generated = {s.get("name"): s.get("resourceClaimName")
                 for s in (pod.get("status") or {}).get("resourceClaimStatuses") or []}
    refs = []
    for entry in (pod.get("spec") or {}).get("resourceClaims") or []:
        source = entry.get("source") or entry  # alpha manifests nested the reference under `source`
        refs.append({"name": entry.get("name", ""),
                     "claim": source.get("resourceClaimName") or generated.get(entry.get("name")),
                     "template": source.get("resourceClaimTemplateName")})
    return refs


def explain_pod(reader: KubeReader, pod: dict[str, Any]) -> dict[str, Any]:
    """The brief's dra_explain_pod data: each claim's requests, allocation, candidate devices and reasons."""
    cluster = Cluster.read(reader)
    claims = [explain_claim(reader, cluster, pod, ref) for ref in pod_claim_refs(pod)]
    return {"pod": slim(redact(pod)),
            "claims": claims,
            "device_classes": [{"name": name, "driver": shapes.class_driver(c),
                                "selectors": shapes.cel_expressions((c.get("spec") or {}).get("selectors"))}
                               for name, c in sorted(cluster.classes.items())],
            "slices_summary": slices_summary(cluster.slices)}


def slices_summary(slices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for s in slices:
        devices = shapes.slice_devices(s)
        partitions = sum(1 for d in devices if shapes.is_partition(d))
        notes = []
        if not devices:
            notes.append("publishes no devices")
        if 0 < partitions < len(devices):
            notes.append(f"mixes {len(devices) - partitions} whole GPUs with {partitions} MIG partitions")
        out.append({"name": meta(s).get("name"), "node": shapes.slice_node(s), "driver": shapes.slice_driver(s),
                    "pool": shapes.slice_pool(s), "devices": len(devices), "created": meta(s).get("creationTimestamp"),
                    "note": "; ".join(notes)})
    return out


def explain_claim(reader: KubeReader, cluster: Cluster, pod: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    namespace = meta(pod).get("namespace")
    result: dict[str, Any] = {"name": ref["name"], "claim": ref["claim"], "template": ref["template"],
                              "requests": [], "allocated": False, "allocation": None, "candidate_devices": [],
                              "reasons": []}
    spec, claim = _claim_spec(reader, namespace, ref, result)
    if spec is None:
        return result
    requests = shapes.claim_requests(spec)
    for request in requests:
        request["class_exists"] = request["device_class"] in cluster.classes
    result["requests"] = requests
    if claim is not None and (claim.get("status") or {}).get("allocation"):
        _allocated(claim, result)
        return result
    for request in requests:
        _why_unallocated(reader, cluster, pod, claim, request, result)
    return result


def _claim_spec(reader: KubeReader, namespace: str | None, ref: dict[str, Any],
                result: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The claim's spec, or the template's when the claim is not created yet; reasons say what is missing."""
    if ref["claim"]:
        claim = reader.get("resourceclaim", ref["claim"], namespace)
        if claim is not None:
            return dict(claim.get("spec") or {}), claim
        result["reasons"].append(f"ResourceClaim {namespace}/{ref['claim']} does not exist")
    if not ref["template"]:
        if not ref["claim"]:
            result["reasons"].append(f"pod claim {ref['name']!r} names neither resourceClaimName nor "
                                     "resourceClaimTemplateName")
        return None, None
    template = reader.get("resourceclaimtemplate", ref["template"], namespace)
    if template is None:
        result["reasons"].append(f"ResourceClaimTemplate {namespace}/{ref['template']} does not exist")
        return None, None
    if not ref["claim"]:
        result["reasons"].append(f"ResourceClaim not created yet from template {ref['template']} "
                                 "(no status.resourceClaimStatuses entry)")
    return dict((template.get("spec") or {}).get("spec") or {}), None


def _allocated(claim: dict[str, Any], result: dict[str, Any]) -> None:
    status = claim.get("status") or {}
    results = shapes.allocation_results(claim)
    node = shapes.allocated_node(claim)
    result["allocated"] = True
    result["allocation"] = {"results": results, "node": node, "reserved_for": status.get("reservedFor") or [],
                            "devices_status": status.get("devices") or []}
    devices = ", ".join(f"{r.get('driver')}/{r.get('pool')}/{r.get('device')}" for r in results)
    result["reasons"].append(f"allocated: {devices or 'no device results'}" + (f" on node {node}" if node else ""))
    for device in status.get("devices") or []:
        for cond in device.get("conditions") or []:
            if cond.get("status") != "True":
                result["reasons"].append(f"driver reports {device.get('device')}: {cond.get('type')}="
                                         f"{cond.get('status')} {cond.get('message', '')}".rstrip())


def _held_by_others(cluster: Cluster, claim: dict[str, Any] | None) -> dict[tuple[str, str, str], str]:
    own = (meta(claim).get("namespace"), meta(claim).get("name")) if claim else None
    held = {}
    for other in cluster.claims:
        if (meta(other).get("namespace"), meta(other).get("name")) == own:
            continue
        for r in shapes.allocation_results(other):
            held[(r.get("driver", ""), r.get("pool", ""), r.get("device", ""))] = \
                f"{meta(other).get('namespace')}/{meta(other).get('name')}"
    return held


def _why_unallocated(reader: KubeReader, cluster: Cluster, pod: dict[str, Any], claim: dict[str, Any] | None,
                     request: dict[str, Any], result: dict[str, Any]) -> None:
    reasons: list[str] = result["reasons"]
    name, class_name = request["name"], request["device_class"]
    if not request["class_exists"]:
        known = ", ".join(sorted(cluster.classes)) or "none"
        reasons.append(f"request {name}: device class {class_name} does not exist (existing device classes: {known})")
        return
    device_class = cluster.classes[class_name]
    driver = shapes.class_driver(device_class)
    slices = [s for s in cluster.slices if driver is None or shapes.slice_driver(s) == driver]
    if not slices:
        publishing = sorted({shapes.slice_driver(s) for s in cluster.slices}) or ["none"]
        reasons.append(f"request {name}: no ResourceSlice published by driver {driver} for device class {class_name} "
                       f"(drivers with slices: {', '.join(publishing)})")
        return
    devices = [(s, d) for s in slices for d in shapes.slice_devices(s)]
    empty = [s for s in slices if not shapes.slice_devices(s)]
    names = ", ".join(f"{meta(s).get('name')} (node {shapes.slice_node(s)})" for s in empty)
    if not devices:
        reasons.append(f"request {name}: ResourceSlices of driver {driver} publish no devices: {names}")
        return
    if empty:
        reasons.append(f"request {name}: some ResourceSlices of driver {driver} publish no devices, so their nodes "
                       f"offer nothing: {names}")
    _match_devices(reader, cluster, pod, claim, request, driver, device_class, devices, result)


def _match_devices(reader: KubeReader, cluster: Cluster, pod: dict[str, Any], claim: dict[str, Any] | None,
                   request: dict[str, Any], driver: str | None, device_class: dict[str, Any],
                   devices: list[tuple[dict[str, Any], dict[str, Any]]], result: dict[str, Any]) -> None:
    reasons: list[str] = result["reasons"]
    name = request["name"]
    expressions = shapes.cel_expressions((device_class.get("spec") or {}).get("selectors")) + request["selectors"]
    verdicts = [(s, d, shapes.device_matches(d, shapes.slice_driver(s), expressions)) for s, d in devices]
    matching = [(s, d, v) for s, d, v in verdicts if v is not False]
    if not matching:
        reasons.append(f"request {name}: none of the {len(devices)} devices of driver {driver} match the selectors "
                       f"({' && '.join(expressions)})")
        return
    held = _held_by_others(cluster, claim)
    free = [(s, d, v) for s, d, v in matching
            if (shapes.slice_driver(s), shapes.slice_pool(s), d["name"]) not in held]
    if not free:
        owners = sorted({held[(shapes.slice_driver(s), shapes.slice_pool(s), d["name"])] for s, d, _ in matching})
        reasons.append(f"request {name}: all {len(matching)} matching devices are allocated to other claims "
                       f"({', '.join(owners[:5])})")
        return
    placed = [(s, d, v) for s, d, v in free if _node_fits(reader, cluster, pod, shapes.slice_node(s))]
    if not placed:
        nodes = sorted({shapes.slice_node(s) for s, _, _ in free})
        reasons.append(f"request {name}: free matching devices exist only on nodes {', '.join(nodes)}, "
                       "which the pod's nodeName/nodeSelector excludes")
        return
    if request["allocation_mode"] == "ExactCount" and len(placed) < request["count"]:
        reasons.append(f"request {name}: needs {request['count']} devices, only {len(placed)} free matching devices")
    if any(v is None for _, _, v in placed):
        reasons.append(f"request {name}: some selectors could not be evaluated by holmes; candidates may not all fit")
    for s, d, _ in placed:
        result["candidate_devices"].append({"request": name, "slice": meta(s).get("name"), "node": shapes.slice_node(s),
                                            "driver": shapes.slice_driver(s), "pool": shapes.slice_pool(s),
                                            "device": d["name"], "attributes": d["attributes"],
                                            "capacity": d["capacity"]})
    _stale_scheduling(pod, [s for s, _, _ in placed], name, reasons)


def _node_fits(reader: KubeReader, cluster: Cluster, pod: dict[str, Any], node_name: str) -> bool:
    spec = pod.get("spec") or {}
    if node_name.startswith("<"):  # allNodes or a node selector on the slice: holmes cannot rule it out
        return True
    if spec.get("nodeName"):
        return bool(spec["nodeName"] == node_name)
    selector = spec.get("nodeSelector") or {}
    if not selector:
        return True
    node = cluster.node(reader, node_name)
    labels = meta(node).get("labels") or {} if node else {}
    return all(labels.get(k) == v for k, v in selector.items())


def _stale_scheduling(pod: dict[str, Any], slices: list[dict[str, Any]], name: str, reasons: list[str]) -> None:
    """Devices fit but the pod is still unscheduled: say if the slices appeared after the scheduler last tried."""
    scheduled = next((c for c in (pod.get("status") or {}).get("conditions") or [] if c.get("type") == "PodScheduled"),
                     None)
    if not scheduled or scheduled.get("status") == "True":
        reasons.append(f"request {name}: {len(slices)} slice(s) offer free matching devices; the claim is not "
                       "allocated yet")
        return
    tried = parse_time(scheduled.get("lastTransitionTime"))
    created = [t for t in (parse_time(meta(s).get("creationTimestamp")) for s in slices) if t]
    if tried and created and min(created) > tried:
        reasons.append(f"request {name}: matching devices were published after the scheduler last marked the pod "
                       f"unschedulable ({scheduled.get('lastTransitionTime')} < slice created "
                       f"{min(created).isoformat().replace('+00:00', 'Z')}); the scheduler has not retried the pod")
    else:
        reasons.append(f"request {name}: free matching devices exist, yet the pod is unschedulable "
                       f"({scheduled.get('reason', '')}: {scheduled.get('message', '')}); see the scheduler events")
