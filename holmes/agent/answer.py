"""Turns the model's answer into a Diagnosis: evidence checked against the cited outputs, the rest hypotheses."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from holmes.agent.facts import engine_diagnosis, engine_findings, matched_runbooks
from holmes.agent.protocol import AgentAnswer
from holmes.agent.redact import Redactor
from holmes.domain import Diagnosis, Evidence, Finding, ToolResult, Usage

UNSUPPORTED_CONFIDENCE = 0.3  # the most a root cause with no supporting evidence may claim
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*")


def diagnosis_from_answer(answer: AgentAnswer, results: Mapping[str, ToolResult], report: Any,
                          root_causes: Mapping[str, str], usage: Usage, notes: list[str]) -> Diagnosis:
    """The agent's diagnosis; unsupported claims become hypotheses and cap the confidence."""
    hypotheses: list[str] = []
    root_cause = answer.root_cause.strip() or "unknown"
    if root_cause not in root_causes:
        hypotheses.append(f"the model named root cause {root_cause!r}, which is not in the taxonomy")
        root_cause = "unknown"
    evidence = []
    for cited in answer.evidence:
        problem = unsupported(cited.call_id, cited.excerpt, results)
        if problem:
            hypotheses.append(f"claim {cited.excerpt!r} is unsupported: {problem}")
        else:
            evidence.append(Evidence(tool=results[cited.call_id].tool, call_id=cited.call_id, excerpt=cited.excerpt))
    findings = engine_findings(report)
    agreeing = [f for f in findings if f.root_cause == root_cause]
    evidence += [e for f in agreeing for e in f.evidence if e not in evidence]
    confidence = answer.confidence
    if root_cause != "unknown" and not evidence:
        hypotheses.insert(0, f"{root_cause} is a hypothesis: no cited tool output supports it")
        confidence = min(confidence, UNSUPPORTED_CONFIDENCE)
    engine = engine_diagnosis(report)
    first_agreeing: Finding | None = agreeing[0] if agreeing else None
    return Diagnosis(
        root_cause=root_cause,
        title=root_causes.get(root_cause, "") or (first_agreeing.title if first_agreeing else ""),
        summary=answer.summary or (first_agreeing.summary if first_agreeing else ""),
        confidence=confidence,
        evidence=evidence,
        remediation=answer.remediation or (first_agreeing.remediation if first_agreeing else []),
        affected_resources=answer.affected_resources or engine.affected_resources,
        runbooks_used=_runbooks_used(report, engine),
        alternatives=[f for f in findings if f.root_cause != root_cause],
        hypotheses=hypotheses,
        gaps=engine.gaps + notes,
        source="agent",
        usage=usage,
    )


def fallback_diagnosis(report: Any, why: str, usage: Usage, notes: list[str]) -> Diagnosis:
    """The engine's diagnosis, marked degraded, saying why the model's answer was not used."""
    engine = engine_diagnosis(report)
    gaps = [*engine.gaps, f"the agent's answer was not used ({why}); this is the runbook engine's diagnosis", *notes]
    return engine.model_copy(update={"gaps": gaps, "degraded": True, "source": "engine", "usage": usage,
                                     "runbooks_used": _runbooks_used(report, engine)})


def unsupported(call_id: str, excerpt: str, results: Mapping[str, ToolResult]) -> str | None:
    """Why a cited excerpt does not support a claim; None when the cited output contains it."""
    result = results.get(call_id)
    if not call_id:
        return "it cites no tool call"
    if result is None:
        return f"call {call_id} does not exist"
    parts = [p for p in (_normal(part) for part in _ELLIPSIS.split(excerpt)) if p]
    if not parts or sum(len(p) for p in parts) < 4:
        return "the excerpt is empty or too short to check"
    haystack = _haystack(result)
    missing = [p for p in parts if p not in haystack]
    return f"the output of {call_id} does not contain it" if missing else None


def _haystack(result: ToolResult) -> str:
    data = json.dumps(result.data, ensure_ascii=False, default=str) if result.data is not None else ""
    text = "\n".join(t for t in (result.text, result.error or "", data) if t)
    return _normal(text) + "\n" + _normal(Redactor().redact(text))


def _normal(text: str) -> str:
    """Whitespace collapsed, case folded, quotes and escapes ignored: a model quoting JSON still matches."""
    text = text.replace('\\"', '"').replace("\\n", " ")
    return " ".join(text.split()).casefold().strip("\"'` ")


def _runbooks_used(report: Any, engine: Diagnosis) -> list[str]:
    names = list(engine.runbooks_used)
    names += [view.name for view in matched_runbooks(report) if view.name not in names]
    return names
