"""The deterministic diagnosis engine: select runbooks, run their steps at once, evaluate checks, rank findings."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from holmes.domain import Diagnosis, Finding, ToolResult, Trigger, Usage
from holmes.runbooks.checks import Scope, evaluate
from holmes.runbooks.facts import Facts, read_facts
from holmes.runbooks.findings import Candidate, make_finding
from holmes.runbooks.library import Library
from holmes.runbooks.matching import RunbookMatch, select_runbooks
from holmes.runbooks.plan import CallKey, Plan, call_key, plan_steps
from holmes.runbooks.ranking import build_diagnosis, rank
from holmes.runbooks.taxonomy import Taxonomy, load_taxonomy
from holmes.toolsets.base import ToolContext, ToolRegistry

Progress = Callable[[str], None]


@dataclass
class EngineReport:
    """Everything the engine learned; the agent seeds its loop from it."""

    diagnosis: Diagnosis
    results: list[ToolResult] = field(default_factory=list)  # every tool result gathered, facts first
    matched: list[RunbookMatch] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # ranked, one per root cause
    facts: Facts = field(default_factory=Facts)


def diagnose(trigger: Trigger, registry: ToolRegistry, ctx: ToolContext, library: Library,
             progress: Progress | None = None, taxonomy: Taxonomy | None = None) -> EngineReport:
    """Diagnose a trigger with runbook checks only (no LLM): same input, same answer."""
    started = time.perf_counter()
    say = progress or (lambda _message: None)
    taxonomy = taxonomy or load_taxonomy()
    facts = read_facts(trigger, registry, ctx)
    say(f"read {facts.describe()}")
    matches = select_runbooks(trigger, facts, library)
    say(f"selected {len(matches)} runbook(s): " + "; ".join(f"{m.runbook.id} ({m.explain()})" for m in matches[:5]))
    known = {call_key(r.tool, r.params): r for r in facts.results}
    plan = plan_steps(matches, facts.values, registry, known)
    say(f"running {len(plan.calls)} tool call(s)")
    fresh = registry.run_many(ctx, plan.calls) if plan.calls else []
    results = [*facts.results, *fresh]
    by_key = {**known, **{call_key(r.tool, r.params): r for r in fresh}}
    ranked = rank(_candidates(matches, plan, by_key, facts, taxonomy))
    diagnosis = build_diagnosis(ranked, facts, matches, results, _gaps(facts, plan, results), taxonomy)
    diagnosis.usage = Usage(steps=2 if plan.calls else 1, tool_calls=len(results),
                            wall_s=round(time.perf_counter() - started, 4))
    say(f"diagnosis: {diagnosis.root_cause} ({diagnosis.confidence:.2f})")
    return EngineReport(diagnosis=diagnosis, results=results, matched=matches,
                        findings=[c.finding for c in ranked], facts=facts)


def _candidates(matches: list[RunbookMatch], plan: Plan, by_key: dict[CallKey, ToolResult], facts: Facts,
                taxonomy: Taxonomy) -> list[Candidate]:
    candidates = []
    for match in matches:
        runbook = match.runbook
        results = {step.id: _result(plan.step_calls.get((runbook.id, step.id)), by_key) for step in runbook.steps}
        for check in runbook.checks:
            outcome = evaluate(check.when, Scope(results, dict(facts.values)))
            if outcome.holds:
                finding = make_finding(runbook, check, outcome, results, facts, taxonomy)
                candidates.append(Candidate(finding, outcome.tests, match.score))
    return candidates


def _result(key: CallKey | None, by_key: dict[CallKey, ToolResult]) -> ToolResult | None:
    return by_key.get(key) if key is not None else None


def _gaps(facts: Facts, plan: Plan, results: list[ToolResult]) -> list[str]:
    """What the engine could not see: the subject missing, tools not enabled, calls that failed."""
    gaps = []
    if facts.subject is None:
        gaps.append("no subject (pod, node...) was named, so only question keywords and alerts could select runbooks")
    elif not facts.found:
        gaps.append(f"{facts.subject.ref()} was not found (deleted, renamed, or not readable)")
    for tool, runbooks in sorted(plan.missing_tools.items()):
        gaps.append(f"tool {tool} is not available (its data source is not configured or the toolset is disabled); "
                    f"needed by {', '.join(sorted(set(runbooks)))}")
    for result in results:
        if result.status == "error" and call_key(result.tool, result.params) not in plan.optional:
            if result.tool == "kubernetes_get" and facts.subject is not None and not facts.found:
                continue
            gaps.append(f"{result.tool}({_brief(result.params)}) failed [{result.call_id}]: {result.error}")
    return gaps


def _brief(params: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())
