"""DRA objects read the same way across API versions (v1 `exactly`, v1beta1 flat requests, `basic` devices).

Also a small matcher for the CEL selector forms drivers and users actually write; anything else is "unknown".
"""

from __future__ import annotations

import re
from typing import Any

from holmes.toolsets.render import quantity


def cel_expressions(selectors: list[dict[str, Any]] | None) -> list[str]:
    return [str((s.get("cel") or {}).get("expression", "")) for s in selectors or [] if s.get("cel")]


def _request(name: str, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "device_class": body.get("deviceClassName", ""),
            "selectors": cel_expressions(body.get("selectors")), "count": int(body.get("count") or 1),
            "allocation_mode": body.get("allocationMode") or "ExactCount",
            "admin_access": bool(body.get("adminAccess")), **extra}


def claim_requests(claim_spec: dict[str, Any]) -> list[dict[str, Any]]:
    """A claim's (or template's) device requests, one entry per alternative for firstAvailable."""
    out = []
    for req in (claim_spec.get("devices") or {}).get("requests") or []:
        name = req.get("name", "")
        if req.get("exactly"):
            out.append(_request(name, req["exactly"]))
        elif req.get("firstAvailable"):
            for sub in req["firstAvailable"]:
                out.append(_request(f"{name}/{sub.get('name', '')}", sub, first_available=True))
        else:  # v1beta1: the fields sit on the request itself
            out.append(_request(name, req))
    return out


def allocation_results(claim: dict[str, Any]) -> list[dict[str, Any]]:
    allocation = (claim.get("status") or {}).get("allocation") or {}
    return list((allocation.get("devices") or {}).get("results") or [])


def allocated_node(claim: dict[str, Any]) -> str | None:
    """The node an allocation is bound to (matchFields metadata.name), when it names one."""
    allocation = (claim.get("status") or {}).get("allocation") or {}
    for term in (allocation.get("nodeSelector") or {}).get("nodeSelectorTerms") or []:
        for field in term.get("matchFields") or []:
            if field.get("key") == "metadata.name" and field.get("values"):
                return str(field["values"][0])
    return None


def claim_state(claim: dict[str, Any]) -> str:
    """kubectl's STATE column for a ResourceClaim."""
    status = claim.get("status") or {}
    parts = []
    if (claim.get("metadata") or {}).get("deletionTimestamp"):
        parts.append("deleted")
    if status.get("allocation"):
        parts.append("allocated")
    if status.get("reservedFor"):
        parts.append("reserved")
    return ",".join(parts) or "pending"


def _scalar(value: Any) -> Any:
    if isinstance(value, dict):
        for key in ("string", "int", "bool", "version"):
            if key in value:
                return value[key]
    return value


def slice_devices(resource_slice: dict[str, Any]) -> list[dict[str, Any]]:
    """Devices with plain attribute values and capacities, whatever the API version nested them under."""
    out = []
    for device in (resource_slice.get("spec") or {}).get("devices") or []:
        body = device.get("basic") or device
        capacity = {k: (v.get("value") if isinstance(v, dict) else v) for k, v in (body.get("capacity") or {}).items()}
        out.append({"name": device.get("name", ""),
                    "attributes": {k: _scalar(v) for k, v in (body.get("attributes") or {}).items()},
                    "capacity": capacity})
    return out


def slice_node(resource_slice: dict[str, Any]) -> str:
    spec = resource_slice.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    if spec.get("allNodes"):
        return "<all nodes>"
    return "<node selector>" if spec.get("nodeSelector") else "<none>"


def slice_driver(resource_slice: dict[str, Any]) -> str:
    return str((resource_slice.get("spec") or {}).get("driver", ""))


def slice_pool(resource_slice: dict[str, Any]) -> str:
    return str(((resource_slice.get("spec") or {}).get("pool") or {}).get("name", ""))


def class_driver(device_class: dict[str, Any]) -> str | None:
    """The driver a DeviceClass selects (`device.driver == '...'`), or None when its CEL does not say."""
    for expression in cel_expressions((device_class.get("spec") or {}).get("selectors")):
        match = re.search(r"device\.driver\s*==\s*['\"]([^'\"]+)['\"]", expression)
        if match:
            return match.group(1)
    return None


def attribute(device: dict[str, Any], driver: str, domain: str, name: str) -> Any:
    """An attribute by CEL domain and name: unqualified keys belong to the driver's own domain."""
    attrs = device["attributes"]
    if f"{domain}/{name}" in attrs:
        return attrs[f"{domain}/{name}"]
    if domain == driver and name in attrs:
        return attrs[name]
    return None


def _capacity(device: dict[str, Any], driver: str, domain: str, name: str) -> Any:
    caps = device["capacity"]
    if f"{domain}/{name}" in caps:
        return caps[f"{domain}/{name}"]
    return caps.get(name) if domain == driver else None


_DRIVER = re.compile(r"^device\.driver\s*(==|!=)\s*['\"]([^'\"]*)['\"]$")
_ATTR = re.compile(r"^device\.attributes\[['\"]([^'\"]+)['\"]\]\.(\w+)\s*(==|!=)\s*"
                   r"(['\"][^'\"]*['\"]|true|false|-?\d+)$")
_CAP = re.compile(r"^device\.capacity\[['\"]([^'\"]+)['\"]\]\.(\w+)\.compareTo\(quantity\(['\"]([^'\"]+)['\"]\)\)"
                  r"\s*(>=|>|<=|<|==|!=)\s*0$")


def cel_matches(expression: str, device: dict[str, Any], driver: str) -> bool | None:
    """True/False for conjunctions of driver, attribute and capacity comparisons; None when it cannot tell."""
    text = expression.strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    if "||" in text or "!(" in text:
        return None
    verdicts = [_clause(part.strip(), device, driver) for part in text.split("&&")]
    if False in verdicts:
        return False
    return None if None in verdicts else True


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _clause(clause: str, device: dict[str, Any], driver: str) -> bool | None:
    while clause.startswith("(") and clause.endswith(")") and _balanced(clause[1:-1]):
        clause = clause[1:-1].strip()
    if m := _DRIVER.match(clause):
        return (driver == m.group(2)) == (m.group(1) == "==")
    if m := _ATTR.match(clause):
        value = attribute(device, driver, m.group(1), m.group(2))
        literal = m.group(4).strip("'\"") if m.group(4)[0] in "'\"" else m.group(4)
        equal = str(value).lower() == literal.lower() if value is not None else False
        return equal == (m.group(3) == "==")
    if m := _CAP.match(clause):
        have, want = quantity(_capacity(device, driver, m.group(1), m.group(2))), quantity(m.group(3))
        if have is None or want is None:
            return False if have is None else None
        diff = (have > want) - (have < want)
        return {">=": diff >= 0, ">": diff > 0, "<=": diff <= 0, "<": diff < 0, "==": diff == 0,
                "!=": diff != 0}[m.group(4)]
    return None


def device_matches(device: dict[str, Any], driver: str, expressions: list[str]) -> bool | None:
    """All selectors (class and request) together: False if any says no, None if any cannot be judged."""
    verdicts = [cel_matches(e, device, driver) for e in expressions]
    if False in verdicts:
        return False
    return None if None in verdicts else True


def is_partition(device: dict[str, Any]) -> bool:
    """A MIG (or other) partition of a GPU rather than a whole one."""
    attrs = device["attributes"]
    kind = str(next((v for k, v in attrs.items() if k.split("/")[-1] == "type"), "")).lower()
    return kind == "mig" or any(k.split("/")[-1] == "parentUUID" for k in attrs)


def short_attributes(device: dict[str, Any], limit: int = 6) -> str:
    """The attributes a person looks at first, then capacities."""
    preferred = ("type", "productName", "profile", "parentUUID", "uuid", "architecture", "driverVersion")
    attrs = device["attributes"]
    keys = sorted(attrs, key=lambda k: (preferred.index(k.split("/")[-1]) if k.split("/")[-1] in preferred else 99, k))
    parts = [f"{k}={attrs[k]}" for k in keys[:limit]]
    parts += [f"{k}={v}" for k, v in device["capacity"].items()]
    return " ".join(parts)
