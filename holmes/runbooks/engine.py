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
from holmes.runbooks.plan import Plan, call_key, run_plan
from holmes.runbooks.ranking import MIN_CONFIDENCE, build_diagnosis, rank
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
    shown = ", ".join(m.runbook.id for m in matches[:4]) + (" ..." if len(matches) > 4 else "")
    say(f"selected {len(matches)} runbook(s) ({matches[0].explain()}): {shown}" if matches else "no runbook applies")
    known = {call_key(r.tool, r.params): r for r in facts.results}
    plan = run_plan(matches, facts.values, registry, ctx, known)
    results = list(plan.results.values())
    say(f"ran {len(results) - len(known)} tool call(s) in {plan.waves} wave(s)")
    ranked = rank(_candidates(matches, plan, facts, taxonomy))
    winner = ranked[0].finding.runbook if ranked and ranked[0].finding.confidence >= MIN_CONFIDENCE else None
    diagnosis = build_diagnosis(ranked, facts, matches, results, _gaps(facts, plan, results, winner), taxonomy)
    diagnosis.usage = Usage(steps=facts.rounds + plan.waves, tool_calls=len(results),
                            wall_s=round(time.perf_counter() - started, 4))
    say(f"diagnosis: {diagnosis.root_cause} ({diagnosis.confidence:.2f})")
    return EngineReport(diagnosis=diagnosis, results=results, matched=matches,
                        findings=[c.finding for c in ranked], facts=facts)


def _candidates(matches: list[RunbookMatch], plan: Plan, facts: Facts, taxonomy: Taxonomy) -> list[Candidate]:
    candidates = []
    for match, state in zip(matches, plan.states, strict=True):
        results = plan.step_results(state)
        for check in match.runbook.checks:
            outcome = evaluate(check.when, Scope(results, dict(state.values)))
            if outcome.holds:
                finding = make_finding(match.runbook, check, outcome, results, facts, state.values, taxonomy)
                candidates.append(Candidate(finding, outcome.tests, match.score))
    return candidates


def _gaps(facts: Facts, plan: Plan, results: list[ToolResult], winner: str | None) -> list[str]:
    """What the engine could not see: the subject missing, tools not enabled, calls that failed.

    With a confident answer only the winning runbook's missing data counts; otherwise every required step's.
    """
    gaps = []
    if facts.subject is None:
        gaps.append("no subject (pod, node...) was named, so only question keywords and alerts could select runbooks")
    elif not facts.found:
        gaps.append(f"{facts.subject.ref()} was not found (deleted, renamed, or not readable)")
    for tool, wanted in sorted(plan.missing_tools.items()):
        runbooks = sorted({rb for rb, optional in wanted if (rb == winner if winner else not optional)})
        if runbooks:
            gaps.append(f"tool {tool} is not available (its data source is not configured or the toolset is "
                        f"disabled); needed by {', '.join(runbooks)}")
    answered = {r.tool for r in results if r.status != "error"}
    winner_calls = {key for state in plan.states if state.runbook.id == winner for key in state.step_calls.values()}
    for result in results:
        if result.status != "error":
            continue
        if winner and call_key(result.tool, result.params) not in winner_calls:
            continue  # another runbook's missing data does not weaken a confident answer
        optional = call_key(result.tool, result.params) in plan.optional
        if (optional and result.tool in answered) or (result.tool == "kubernetes_get" and not facts.found):
            continue  # an optional call failing beside working ones (e.g. no previous log) is expected
        gaps.append(f"{result.tool}({_brief(result.params)}) failed [{result.call_id}]: {result.error}")
        answered.add(result.tool) if optional else None
    return gaps


def _brief(params: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())
