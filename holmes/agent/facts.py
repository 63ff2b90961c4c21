"""The first message: what the deterministic engine already knows, so the model starts from facts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from holmes.agent.prompt import describe_trigger, one_line, wrap_output
from holmes.agent.tokens import TokenCounter
from holmes.agent.truncate import fit_result
from holmes.domain import Diagnosis, Finding, ToolResult, Trigger

_MIN_OUTPUT_TOKENS = 48  # below this a result is listed in one line instead of shown


@dataclass(frozen=True)
class RunbookView:
    name: str
    reason: str
    instructions: str


@dataclass
class Facts:
    """The facts message and which engine results it shows in full."""

    text: str
    shown: list[str] = field(default_factory=list)
    listed: list[str] = field(default_factory=list)
    cuts: dict[str, str] = field(default_factory=dict)


def engine_results(report: Any) -> list[ToolResult]:
    """The engine's tool results, whether it keeps them as a list or by call id."""
    results = getattr(report, "results", None) or []
    if isinstance(results, dict):
        results = list(results.values())
    return [r for r in results if isinstance(r, ToolResult)]


def engine_findings(report: Any) -> list[Finding]:
    findings = getattr(report, "findings", None) or []
    return sorted((f for f in findings if isinstance(f, Finding)), key=lambda f: -f.confidence)


def engine_diagnosis(report: Any) -> Diagnosis:
    diagnosis = getattr(report, "diagnosis", None)
    return diagnosis if isinstance(diagnosis, Diagnosis) else Diagnosis(gaps=["the runbook engine gave no diagnosis"])


def matched_runbooks(report: Any) -> list[RunbookView]:
    """Matched runbooks as (name, why it matched, instructions), from a match object, a pair or a runbook."""
    views = []
    for item in getattr(report, "matched", None) or []:
        runbook, reason = item, getattr(item, "reason", None) or getattr(item, "reasons", None)
        if isinstance(item, tuple | list) and len(item) == 2:
            runbook, reason = item
        elif hasattr(item, "runbook"):
            runbook = item.runbook
        if isinstance(reason, list | tuple):
            reason = "; ".join(str(r) for r in reason)
        name = getattr(runbook, "name", None) or getattr(runbook, "id", None) or str(runbook)
        views.append(RunbookView(str(name), str(reason or ""), str(getattr(runbook, "instructions", "") or "")))
    return views


def build_facts(trigger: Trigger, now: str, report: Any, counter: TokenCounter, budget: int, share: int,
                narrowing: Callable[[str], list[str]]) -> Facts:
    """Trigger, engine conclusion, findings, runbook instructions, then engine outputs (cited first) within budget."""
    findings = engine_findings(report)
    head = "\n\n".join(part for part in (
        describe_trigger(trigger, now),
        _diagnosis_section(engine_diagnosis(report)),
        _findings_section(findings),
        _runbooks_section(matched_runbooks(report), counter, budget // 4),
    ) if part)
    results = _by_priority(engine_results(report), findings)
    facts = Facts(text="")
    room = budget - counter.count(head) - 40 - 20 * len(results)  # keep room for the one-line list
    outputs = []
    for result in results:
        allotted = min(share, room)
        if allotted < _MIN_OUTPUT_TOKENS:
            facts.listed.append(result.call_id)
            continue
        fitted = fit_result(result, allotted, counter, narrowing(result.tool))
        outputs.append(wrap_output(result, fitted.text, fitted.cut))
        room -= fitted.tokens + 40
        facts.shown.append(result.call_id)
        if fitted.cut:
            facts.cuts[result.call_id] = fitted.cut
    parts = [head]
    if outputs:
        parts.append("Outputs of the checks' tool calls (cite these call ids):\n" + "\n".join(outputs))
    if facts.listed:
        by_id = {r.call_id: r for r in results}
        listed = "\n".join(f"- {one_line(by_id[i])}" for i in facts.listed)
        parts.append(f"Other calls already made (call one again to see its output):\n{listed}")
    facts.text = "\n\n".join(parts)
    return facts


def _by_priority(results: list[ToolResult], findings: list[Finding]) -> list[ToolResult]:
    """Outputs the findings cite come first, in finding order; then errors and the rest as the engine ran them."""
    cited = [e.call_id for f in findings for e in f.evidence if e.call_id]
    rank = {call_id: i for i, call_id in reversed(list(enumerate(cited)))}
    return sorted(results, key=lambda r: (rank.get(r.call_id, len(rank)), r.status == "ok"))


def _diagnosis_section(diagnosis: Diagnosis) -> str:
    lines = [f"Runbook engine's diagnosis: {diagnosis.root_cause} (confidence {diagnosis.confidence:.2f})"]
    if diagnosis.summary:
        lines.append(f"  {diagnosis.summary}")
    lines += [f"  gap: {gap}" for gap in diagnosis.gaps]
    return "\n".join(lines)


def _findings_section(findings: list[Finding]) -> str:
    if not findings:
        return "Candidate findings: none of the deterministic checks concluded."
    lines = ["Candidate findings from deterministic checks:"]
    for finding in findings:
        title = f" {finding.title}" if finding.title else ""
        lines.append(f"- {finding.root_cause} (confidence {finding.confidence:.2f}){title}")
        if finding.summary:
            lines.append(f"  {finding.summary}")
        lines += [f"  evidence [{e.call_id} {e.tool}]: {e.excerpt}" for e in finding.evidence]
        lines += [f"  fix: {step}" for step in finding.remediation]
    return "\n".join(lines)


def _runbooks_section(runbooks: list[RunbookView], counter: TokenCounter, budget: int) -> str:
    if not runbooks:
        return ""
    each = max(budget // len(runbooks), 60)
    lines = ["Matched runbooks (follow their instructions):"]
    for runbook in runbooks:
        why = f" (matched: {runbook.reason})" if runbook.reason else ""
        instructions = runbook.instructions.strip()
        short = counter.head(instructions, each)
        if short != instructions:
            short += " [instructions cut]"
        lines.append(f"### {runbook.name}{why}\n{short}")
    return "\n".join(lines)
