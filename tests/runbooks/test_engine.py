"""The engine end to end over canned tools: selection, one call per distinct step, ranking, unknown, gaps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from holmes.domain import Alert, Subject, Trigger
from holmes.runbooks.engine import diagnose
from holmes.runbooks.library import Library, load_library
from holmes.toolsets.base import ToolContext

from .canned import CannedTools, events, pod, unschedulable

TAINT_RUNBOOK = """\
id: t.taint
title: taint
area: scheduling
match: {pod_phases: [Pending], pod_reasons: [Unschedulable], alerts: [KubePodNotReady]}
steps:
  - {id: pod, tool: kubernetes_get, params: {kind: pod, name: "{pod}", namespace: "{namespace}"}}
  - {id: events, tool: kubernetes_events, params: {namespace: "{namespace}", kind: Pod, name: "{pod}"}}
  - {id: nodes, tool: kubernetes_nodes_gpu, params: {}}
checks:
  - id: untolerated
    root_cause: scheduling.gpu_taint_untolerated
    confidence: 0.9
    summary: "{pod} does not tolerate {taint_key}"
    remediation: ["Add a toleration for {taint_key}"]
    when:
      all:
        - regex: {step: events, select: "events[?reason=='FailedScheduling'].message",
                  pattern: 'untolerated taint \\{(?P<taint_key>[^:}]+)'}
        - not: {field: {step: pod, select: "spec.tolerations[?key=='{taint_key}']", op: not_empty}}
    evidence:
      - {step: pod, select: "spec.tolerations", label: "pod tolerations"}
"""

INSUFFICIENT_RUNBOOK = """\
id: t.insufficient
title: insufficient
area: scheduling
match: {pod_phases: [Pending]}
steps:
  - {id: events, tool: kubernetes_events, params: {namespace: "{namespace}", kind: Pod, name: "{pod}"}}
  - {id: nodes, tool: kubernetes_nodes_gpu, params: {}}
checks:
  - id: insufficient
    root_cause: scheduling.insufficient_gpu
    confidence: 0.75
    when: {regex: {step: events, pattern: 'Insufficient nvidia\\.com/gpu'}}
  - id: weak
    root_cause: scheduling.node_selector_mismatch
    confidence: 0.2
    when: {regex: {step: events, pattern: "didn't match Pod's node affinity/selector"}}
"""

METRICS_RUNBOOK = """\
id: t.kv
title: kv
area: perf
match: {question_keywords: [latency]}
steps:
  - {id: kv, tool: prometheus_query, params: {query: "max(vllm:kv_cache_usage_perc)"}}
checks:
  - id: saturated
    root_cause: perf.kv_cache_saturated
    confidence: 0.8
    when: {field: {step: kv, select: "result[].value[1]", op: gt, value: 0.95}}
"""


def library_of(tmp_path: Path, *texts: str) -> Library:
    for index, text in enumerate(texts):
        (tmp_path / f"rb{index}.yaml").write_text(text, encoding="utf-8")
    return load_library([tmp_path], builtin=False)


def pending_cluster(tools: CannedTools, messages: list[str], tolerations: list[dict[str, Any]] | None = None) -> None:
    body = pod(**unschedulable(messages[0]))
    if tolerations is not None:
        body["spec"]["tolerations"] = tolerations
    tools.add("kubernetes_get", lambda p: body if p["name"] == "vllm-0" else None)
    tools.add("kubernetes_events", lambda p: events(*[("Warning", "FailedScheduling", m) for m in messages]))
    tools.add("kubernetes_nodes_gpu", lambda p: {"nodes": []})


TRIGGER = Trigger(subject=Subject.parse("pod llm/vllm-0"))
TAINT_MSG = ("0/2 nodes are available: 1 Insufficient nvidia.com/gpu, 1 node(s) had untolerated taint "
             "{nvidia.com/gpu: present}. preemption: 0/2 nodes are available: 2 Preemption is not helpful.")


def test_pending_pod_with_untolerated_gpu_taint_names_the_taint(tools: CannedTools, tmp_path: Path) -> None:
    pending_cluster(tools, [TAINT_MSG])
    report = diagnose(TRIGGER, tools.registry, ToolContext(), library_of(tmp_path, TAINT_RUNBOOK))
    diagnosis = report.diagnosis
    assert diagnosis.root_cause == "scheduling.gpu_taint_untolerated"
    assert diagnosis.summary.startswith("vllm-0 does not tolerate nvidia.com/gpu")
    assert diagnosis.remediation == ["Add a toleration for nvidia.com/gpu"]
    cited = {e.call_id: e.excerpt for e in diagnosis.evidence}
    events_call = next(r.call_id for r in report.results if r.tool == "kubernetes_events")
    assert "untolerated taint {nvidia.com/gpu: present}" in cited[events_call]
    assert "pod tolerations: none" in cited.values()
    assert [m.runbook.id for m in report.matched] == ["t.taint"]
    assert report.matched[0].explain() == "matched: pod phase Pending, pod reason Unschedulable"


def test_identical_steps_across_runbooks_and_facts_run_once(tools: CannedTools, tmp_path: Path) -> None:
    pending_cluster(tools, [TAINT_MSG])
    report = diagnose(TRIGGER, tools.registry, ToolContext(), library_of(tmp_path, TAINT_RUNBOOK, INSUFFICIENT_RUNBOOK))
    assert sorted(name for name, _ in tools.calls) == ["kubernetes_events", "kubernetes_get", "kubernetes_nodes_gpu"]
    assert len(report.results) == 3 and report.diagnosis.usage.tool_calls == 3


def test_competing_findings_are_ranked_and_the_evidence_for_each_is_named(tools: CannedTools, tmp_path: Path) -> None:
    pending_cluster(tools, [TAINT_MSG])
    report = diagnose(TRIGGER, tools.registry, ToolContext(), library_of(tmp_path, TAINT_RUNBOOK, INSUFFICIENT_RUNBOOK))
    causes = [f.root_cause for f in report.findings]
    assert causes == ["scheduling.gpu_taint_untolerated", "scheduling.insufficient_gpu"]
    [versus] = report.diagnosis.hypotheses
    assert versus.startswith("scheduling.gpu_taint_untolerated (0.90) is favoured over scheduling.insufficient_gpu")
    assert "Insufficient nvidia.com/gpu" in versus.split("for scheduling.insufficient_gpu:")[1]
    assert [f.root_cause for f in report.diagnosis.alternatives] == ["scheduling.insufficient_gpu"]


def test_a_tolerated_taint_is_not_blamed(tools: CannedTools, tmp_path: Path) -> None:
    pending_cluster(tools, [TAINT_MSG], tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists"}])
    report = diagnose(TRIGGER, tools.registry, ToolContext(), library_of(tmp_path, TAINT_RUNBOOK, INSUFFICIENT_RUNBOOK))
    assert report.diagnosis.root_cause == "scheduling.insufficient_gpu"


def test_nothing_matching_gives_unknown_with_the_key_lines(tools: CannedTools, tmp_path: Path) -> None:
    pending_cluster(tools, ["0/2 nodes are available: 2 node(s) had volume node affinity conflict."])
    report = diagnose(TRIGGER, tools.registry, ToolContext(), library_of(tmp_path, TAINT_RUNBOOK, INSUFFICIENT_RUNBOOK))
    diagnosis = report.diagnosis
    assert diagnosis.root_cause == "unknown" and diagnosis.confidence == 0.0
    assert "none of their checks matched" in diagnosis.summary
    assert any("volume node affinity conflict" in e.excerpt for e in diagnosis.evidence)


def test_a_low_confidence_finding_is_only_a_hypothesis(tools: CannedTools, tmp_path: Path) -> None:
    pending_cluster(tools, ["0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."])
    diagnosis = diagnose(TRIGGER, tools.registry, ToolContext(), library_of(tmp_path, INSUFFICIENT_RUNBOOK)).diagnosis
    assert diagnosis.root_cause == "unknown"
    assert diagnosis.hypotheses[0].startswith("possible scheduling.node_selector_mismatch (0.20), unconfirmed")


def test_a_healthy_pod_selects_no_runbook_and_says_so(tools: CannedTools, tmp_path: Path) -> None:
    healthy = pod(phase="Running", conditions=[{"type": "Ready", "status": "True"}],
                  containerStatuses=[{"name": "server", "ready": True, "state": {"running": {}}}])
    tools.add("kubernetes_get", lambda p: healthy)
    tools.add("kubernetes_events", lambda p: {"events": []})
    report = diagnose(TRIGGER, tools.registry, ToolContext(), library_of(tmp_path, TAINT_RUNBOOK))
    assert report.matched == [] and report.diagnosis.root_cause == "unknown"
    assert report.diagnosis.summary.startswith("No runbook applies to this trigger (pod llm/vllm-0: phase Running")
    assert "nothing is failing right now" in report.diagnosis.summary


def test_a_failed_tool_is_a_gap_and_its_negated_check_does_not_fire(tools: CannedTools, tmp_path: Path) -> None:
    tools.add("kubernetes_get", lambda p: pod(**unschedulable(TAINT_MSG)) if p["kind"] == "pod" else None)
    tools.add("kubernetes_events", lambda p: events(("Warning", "FailedScheduling", TAINT_MSG)))
    tools.failing("kubernetes_nodes_gpu", "nodes is forbidden: User cannot list resource nodes")
    report = diagnose(TRIGGER, tools.registry, ToolContext(), library_of(tmp_path, TAINT_RUNBOOK))
    assert report.diagnosis.root_cause == "scheduling.gpu_taint_untolerated"
    assert any(g.startswith("kubernetes_nodes_gpu() failed [") and "forbidden" in g for g in report.diagnosis.gaps)


def test_a_tool_that_is_not_configured_is_a_gap_not_a_call(tools: CannedTools, tmp_path: Path) -> None:
    trigger = Trigger(question="why is latency so high?")
    report = diagnose(trigger, tools.registry, ToolContext(), library_of(tmp_path, METRICS_RUNBOOK))
    assert tools.calls == []
    assert report.diagnosis.root_cause == "unknown"
    assert any(g.startswith("tool prometheus_query is not available") and "t.kv" in g for g in report.diagnosis.gaps)


def test_numeric_checks_over_metric_data(tools: CannedTools, tmp_path: Path) -> None:
    tools.add("prometheus_query", lambda p: {"result": [{"metric": {}, "value": [1700000000, "0.997"]}]})
    report = diagnose(Trigger(question="latency is high"), tools.registry, ToolContext(),
                      library_of(tmp_path, METRICS_RUNBOOK))
    assert report.diagnosis.root_cause == "perf.kv_cache_saturated"
    assert report.diagnosis.evidence[0].excerpt == 'result[].value[1]: 0.997'


def test_an_alert_names_the_subject_and_selects_by_alert_name(tools: CannedTools, tmp_path: Path) -> None:
    pending_cluster(tools, [TAINT_MSG])
    alert = Alert(labels={"alertname": "KubePodNotReady", "namespace": "llm", "pod": "vllm-0"})
    report = diagnose(Trigger(alert=alert), tools.registry, ToolContext(), library_of(tmp_path, TAINT_RUNBOOK))
    assert report.matched[0].reasons[0] == "alert KubePodNotReady"
    assert report.diagnosis.root_cause == "scheduling.gpu_taint_untolerated"
    assert "pod llm/vllm-0" in report.diagnosis.affected_resources


def test_a_missing_subject_is_reported(tools: CannedTools, tmp_path: Path) -> None:
    pending_cluster(tools, [TAINT_MSG])
    report = diagnose(Trigger(subject=Subject.parse("pod llm/ghost")), tools.registry, ToolContext(),
                      library_of(tmp_path, TAINT_RUNBOOK))
    assert report.diagnosis.root_cause == "unknown"
    assert "pod llm/ghost was not found (deleted, renamed, or not readable)" in report.diagnosis.gaps
