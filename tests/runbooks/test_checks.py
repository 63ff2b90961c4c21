"""Condition evaluation over step results: regex captures, field comparisons, three-valued logic."""

from __future__ import annotations

from typing import Any

import pytest

from holmes.domain import ToolResult
from holmes.runbooks.checks import Scope, compare, evaluate
from holmes.runbooks.schema import Condition


def result(tool: str, data: Any, status: str = "ok", call_id: str = "t1", text: str = "") -> ToolResult:
    return ToolResult(call_id=call_id, tool=tool, status=status, data=data, text=text)  # type: ignore[arg-type]


def cond(raw: dict[str, Any]) -> Condition:
    return Condition.model_validate(raw)


EVENTS = result("kubernetes_events", {"events": [
    {"type": "Normal", "reason": "Scheduled", "message": "Successfully assigned llm/x to gpu-node-2"},
    {"type": "Warning", "reason": "FailedScheduling",
     "message": "0/3 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}, "
                "2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful."},
]}, call_id="t7")
POD = result("kubernetes_get", {"spec": {"tolerations": [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}]}}, call_id="t8")
TAINT = {"regex": {"step": "events", "select": "events[?reason=='FailedScheduling'].message",
                   "pattern": r"untolerated taint \{(?P<taint_key>[^:}]+)(?::\s*(?P<taint_value>[^}]*))?\}"}}


def test_regex_captures_named_groups_and_cites_the_matched_line_with_its_call_id() -> None:
    outcome = evaluate(cond(TAINT), Scope({"events": EVENTS}, {}))
    assert outcome.holds is True
    assert outcome.captures == {"taint_key": "nvidia.com/gpu", "taint_value": "present"}
    assert outcome.evidence[0].call_id == "t7"
    assert "untolerated taint {nvidia.com/gpu: present}" in outcome.evidence[0].excerpt


def test_a_capture_feeds_a_later_selection_in_the_same_all() -> None:
    tolerated = {"field": {"step": "pod", "op": "not_empty",
                           "select": "spec.tolerations[?key=='{taint_key}' || (operator=='Exists' && !key)]"}}
    missing = cond({"all": [TAINT, {"not": tolerated}]})
    assert evaluate(missing, Scope({"events": EVENTS, "pod": POD}, {})).holds is True
    tolerating = result("kubernetes_get", {"spec": {"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}]}})
    assert evaluate(missing, Scope({"events": EVENTS, "pod": tolerating}, {})).holds is False


def test_a_captured_value_with_quotes_cannot_break_out_of_the_jmespath_string() -> None:
    data = result("kubernetes_get", {"items": [{"name": "a'] || `true` || ['"}, {"name": "b"}]})
    check = cond({"field": {"step": "s", "select": "items[?name=='{who}']", "op": "not_empty"}})
    assert evaluate(check, Scope({"s": data}, {"who": "zzz' || `true` || '"})).holds is False
    assert evaluate(check, Scope({"s": data}, {"who": "a'] || `true` || ['"})).holds is True


def test_a_failed_step_makes_the_test_unknown_and_negation_keeps_it_unknown() -> None:
    failed = result("kubernetes_get", None, status="error")
    check = cond({"not": {"field": {"step": "pod", "select": "spec.tolerations", "op": "not_empty"}}})
    assert evaluate(check, Scope({"pod": failed}, {})).holds is None
    assert evaluate(check, Scope({"pod": None}, {})).holds is None  # skipped step
    assert evaluate(cond({"all": [TAINT, check.model_dump(by_alias=True, exclude_none=True)]}),
                    Scope({"events": EVENTS, "pod": failed}, {})).holds is None


def test_any_is_true_when_one_branch_holds_even_if_another_is_unknown() -> None:
    check = cond({"any": [{"field": {"step": "gone", "select": "x", "op": "exists"}}, TAINT]})
    assert evaluate(check, Scope({"events": EVENTS, "gone": None}, {})).holds is True


def test_no_data_is_read_as_empty_not_unknown() -> None:
    logs = result("kubernetes_logs", {"lines": []}, status="no_data")
    check = cond({"regex": {"step": "logs", "pattern": "CUDA out of memory"}})
    assert evaluate(check, Scope({"logs": logs}, {})).holds is False


def test_regex_defaults_to_log_lines_and_a_missing_template_value_is_unknown() -> None:
    logs = result("kubernetes_logs", {"lines": ["INFO start", "torch.OutOfMemoryError: CUDA out of memory. Tried"]})
    assert evaluate(cond({"regex": {"step": "logs", "pattern": "CUDA out of memory"}}),
                    Scope({"logs": logs}, {})).evidence[0].excerpt.startswith("torch.OutOfMemoryError")
    templated = cond({"regex": {"step": "logs", "pattern": "node {node}"}})
    assert evaluate(templated, Scope({"logs": logs}, {})).holds is None


def test_field_compares_kubernetes_quantities_as_numbers_and_captures_the_witness() -> None:
    nodes = result("kubernetes_nodes_gpu", {"nodes": [
        {"name": "gpu-node-1", "capacity": {"nvidia.com/gpu": "8"}, "allocatable": {"nvidia.com/gpu": "8"}},
        {"name": "gpu-node-2", "capacity": {"nvidia.com/gpu": "16"}, "allocatable": {"nvidia.com/gpu": "0"}},
    ]})
    check = cond({"field": {"step": "nodes", "op": "not_empty", "capture": "node_name",
                            "select": "nodes[?quantity(capacity.\"nvidia.com/gpu\") > "
                                      "quantity(allocatable.\"nvidia.com/gpu\")].name"}})
    outcome = evaluate(check, Scope({"nodes": nodes}, {}))
    assert outcome.holds is True
    assert outcome.captures["node_name"] == "gpu-node-2"
    memory = cond({"field": {"step": "nodes", "select": "nodes[].capacity.memory", "op": "gt", "value": "64Gi"}})
    big = result("x", {"nodes": [{"capacity": {"memory": "80Gi"}}, {"capacity": {"memory": "16Gi"}}]})
    assert evaluate(memory, Scope({"nodes": big}, {})).holds is True
    every = cond({"field": {"step": "nodes", "select": "nodes[].capacity.memory", "op": "gt", "value": "64Gi",
                            "quantifier": "all"}})
    assert evaluate(every, Scope({"nodes": big}, {})).holds is False


@pytest.mark.parametrize(("op", "selected", "expected", "holds"), [
    ("eq", "16", 16, True), ("eq", "Pending", "Pending", True), ("ne", "Running", "Pending", True),
    ("gt", "0.97", 0.95, True), ("lt", "500m", 1, True), ("ge", "99.7%", 99.7, True), ("gt", "abc", 1, False),
    ("contains", "device class gpu.nvidia.com does not exist", "does not exist", True),
    ("contains", ["a", "b"], "b", True), ("not_contains", ["a"], "b", True),
    ("in", "mixed", ["single", "mixed"], True), ("matches", "cuda>=12.4", r"cuda>=\d+", True),
    ("exists", None, None, False), ("exists", False, None, True), ("missing", None, None, True),
    ("empty", [], None, True), ("empty", {}, None, True), ("not_empty", ["x"], None, True),
    ("eq", True, "true", False), ("eq", None, "x", False),
])
def test_compare_operators(op: str, selected: Any, expected: Any, holds: bool) -> None:
    assert compare(op, selected, expected)[0] is holds


def test_status_test_reads_the_call_outcome() -> None:
    failed = result("dra_device_classes", None, status="error")
    assert evaluate(cond({"status": {"step": "s", "status": "error"}}), Scope({"s": failed}, {})).holds is True
    assert evaluate(cond({"status": {"step": "s", "status": "ok"}}), Scope({"s": failed}, {})).holds is False


def test_last_matches_the_newest_line_first() -> None:
    logs = result("kubernetes_logs", {"lines": ["Pending: 3 reqs, GPU KV cache usage: 96.0%",
                                                "Pending: 740 reqs, GPU KV cache usage: 99.7%"]})
    check = cond({"regex": {"step": "logs", "last": True, "pattern": r"Pending: (?P<waiting>\d+) reqs"}})
    assert evaluate(check, Scope({"logs": logs}, {})).captures == {"waiting": "740"}
