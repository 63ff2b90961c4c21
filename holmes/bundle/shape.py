"""A light shape check of the object fields holmes reads, so a hand-written bundle fails at load, not mid-run."""

from __future__ import annotations

from typing import Any

from holmes.errors import UserError

# Fields the API always serves as lists of mappings, by where they sit.
_POD_SPEC_LISTS = ("containers", "initContainers", "tolerations", "volumes")
_STATUS_LISTS = ("conditions", "containerStatuses", "initContainerStatuses")
_WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"}


def check_shape(obj: dict[str, Any], where: str) -> None:
    """Raise UserError naming the field when a field holmes reads has the wrong type."""
    spec = _mapping(obj, "spec", where, "spec")
    status = _mapping(obj, "status", where, "status")
    for name in _STATUS_LISTS:
        _list_of_mappings(status, name, where, f"status.{name}")
    kind = obj["kind"]
    if spec is None:
        return
    if kind == "Pod":
        _pod_spec(spec, where, "spec")
    if kind in _WORKLOAD_KINDS or kind == "CronJob":
        _mapping(spec, "selector", where, "spec.selector")
    template_at = "spec.template"
    if kind == "CronJob":
        job = _mapping(spec, "jobTemplate", where, "spec.jobTemplate")
        job_spec = _mapping(job, "spec", where, "spec.jobTemplate.spec") if job else None
        spec, template_at = (job_spec or {}), "spec.jobTemplate.spec.template"
    if kind in _WORKLOAD_KINDS or kind == "CronJob":
        template = _mapping(spec, "template", where, template_at)
        pod_spec = _mapping(template, "spec", where, f"{template_at}.spec") if template else None
        if pod_spec:
            _pod_spec(pod_spec, where, f"{template_at}.spec")


def _pod_spec(spec: dict[str, Any], where: str, at: str) -> None:
    for name in _POD_SPEC_LISTS:
        _list_of_mappings(spec, name, where, f"{at}.{name}")


def _mapping(parent: dict[str, Any] | None, name: str, where: str, at: str) -> dict[str, Any] | None:
    value = parent.get(name) if parent else None
    if value is not None and not isinstance(value, dict):
        raise UserError(f"{where}: field {at}: expected a mapping, got {_type(value)}")
    return value


def _list_of_mappings(parent: dict[str, Any] | None, name: str, where: str, at: str) -> None:
    value = parent.get(name) if parent else None
    if value is None:
        return
    if not isinstance(value, list):
        raise UserError(f"{where}: field {at}: expected a list, got {_type(value)}")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise UserError(f"{where}: field {at}[{index}]: expected a mapping, got {_type(item)}")


def _type(value: Any) -> str:
    return {str: "a string", int: "a number", float: "a number", bool: "a boolean", list: "a list"}.get(
        type(value), type(value).__name__)
