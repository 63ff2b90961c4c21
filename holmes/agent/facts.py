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
_USEFUL_TOKENS = 160  # an output gets at least this much (or all of it) when it is shown at all
_BRIEF_TOKENS = 40  # a no-data or error result this short is shown on one line, without a wrapper
MAX_RUNBOOKS = 4  # the engine may match dozens; the model gets the instructions of the few that matter


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


def relevant_runbooks(report: Any, findings: list[Finding], limit: int = MAX_RUNBOOKS) -> list[RunbookView]:
    """The runbooks whose checks concluded, then the best-scored others; only those with instructions to give."""
    views = [v for v in matched_runbooks(report) if v.instructions.strip()]
    concluded = [f.runbook for f in findings if f.runbook]
    views.sort(key=lambda v: concluded.index(v.name) if v.name in concluded else len(concluded))
    return views[:limit]


def build_facts(trigger: Trigger, now: str, report: Any, counter: TokenCounter, budget: int, share: int,
                narrowing: Callable[[str], list[str]]) -> Facts:
    """Trigger, engine conclusion, findings, runbook instructions, then engine outputs (cited first) within budget."""
    findings = engine_findings(report)
    head = "\n\n".join(part for part in (
        describe_trigger(trigger, now),
        _diagnosis_section(engine_diagnosis(report)),
        _findings_section(findings),
        _runbooks_section(relevant_runbooks(report, findings), counter, budget // 5),
    ) if part)
    results = _by_priority(engine_results(report), findings)
    brief = [r for r in results if r.status != "ok" and counter.count(_message(r)) <= _BRIEF_TOKENS]
    full = [r for r in results if r not in brief]
    brief_text = "\n".join(f"- {one_line(r)}: {' '.join(_message(r).split())}" for r in brief)
    room = budget - counter.count(head) - counter.count(brief_text) - 80
    shares = _shares(full, room, share, counter)
    facts = Facts(text="", shown=[r.call_id for r in brief])
    outputs = []
    for result in full:
        if shares[result.call_id] < _MIN_OUTPUT_TOKENS:
            facts.listed.append(result.call_id)
            continue
        fitted = fit_result(result, shares[result.call_id], counter, narrowing(result.tool))
        outputs.append(wrap_output(result, fitted.text, fitted.cut))
        facts.shown.append(result.call_id)
        if fitted.cut:
            facts.cuts[result.call_id] = fitted.cut
    parts = [head]
    if outputs:
        parts.append("Outputs of the checks' tool calls (cite these call ids):\n" + "\n".join(outputs))
    if brief:
        parts.append(f"Calls that found nothing or failed:\n{brief_text}")
    if facts.listed:
        by_id = {r.call_id: r for r in results}
        listed = "\n".join(f"- {one_line(by_id[i])}" for i in facts.listed)
        parts.append(f"Other calls already made (call one again to see its output):\n{listed}")
    facts.text = "\n\n".join(parts)
    return facts


def _message(result: ToolResult) -> str:
    return (result.error or result.text or result.status) if result.status == "error" else (result.text or "no data")


def _shares(results: list[ToolResult], room: int, share: int, counter: TokenCounter) -> dict[str, int]:
    """Token shares: outputs are taken in priority order while each can get a useful minimum; the chosen ones then
    split the room by water-filling (small outputs whole, large ones equal parts, each within `share`)."""
    wrapper = {r.call_id: counter.count(wrap_output(r, "", "x" * 60)) for r in results}
    size = {r.call_id: counter.count(_message(r)) for r in results}
    chosen, needed = [], 0
    for result in results:
        need = wrapper[result.call_id] + min(size[result.call_id], _USEFUL_TOKENS)
        if needed + need <= room:
            chosen.append(result)
            needed += need
    shares = dict.fromkeys((r.call_id for r in results), 0)
    ordered = sorted(chosen, key=lambda r: size[r.call_id])
    for left, result in zip(range(len(ordered), 0, -1), ordered, strict=True):
        fair = max(room, 0) // left - wrapper[result.call_id]
        shares[result.call_id] = max(min(size[result.call_id], fair, share), 0)
        room -= shares[result.call_id] + wrapper[result.call_id]
    return shares


def _by_priority(results: list[ToolResult], findings: list[Finding]) -> list[ToolResult]:
    """Outputs the findings cite come first, in finding order; then errors and the rest as the engine ran them."""
    cited = dict.fromkeys(e.call_id for f in findings for e in f.evidence if e.call_id)
    rank = {call_id: i for i, call_id in enumerate(cited)}
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
