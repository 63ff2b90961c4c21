"""Rank findings into one Diagnosis: the best cause, competing ones with the evidence for each, and the gaps."""

from __future__ import annotations

import re

from holmes.domain import Diagnosis, Evidence, Finding, ToolResult
from holmes.runbooks.checks import EXCERPT_CHARS
from holmes.runbooks.facts import Facts
from holmes.runbooks.findings import Candidate
from holmes.runbooks.matching import RunbookMatch
from holmes.runbooks.taxonomy import UNKNOWN, Taxonomy

MIN_CONFIDENCE = 0.35  # below this a finding is only a hypothesis; the root cause stays unknown
CLOSE = 0.2  # alternatives within this much confidence of the best are called out as competing
_ERROR_LINE = re.compile(r"\b(error|exception|fatal|failed|traceback|refused|denied|killed|unable|cannot)\b", re.I)


def rank(candidates: list[Candidate]) -> list[Candidate]:
    """Best first (confidence, then specificity, then runbook match); one candidate per root cause."""
    best: dict[str, Candidate] = {}
    for candidate in sorted(candidates, key=Candidate.rank_key):
        best.setdefault(candidate.finding.root_cause, candidate)
    return sorted(best.values(), key=Candidate.rank_key)


def build_diagnosis(ranked: list[Candidate], facts: Facts, matches: list[RunbookMatch], results: list[ToolResult],
                    gaps: list[str], taxonomy: Taxonomy) -> Diagnosis:
    # the runbooks that found something first (best first), then the rest of those that ran
    used = list(dict.fromkeys([c.finding.runbook for c in ranked] + [m.runbook.id for m in matches]))
    if ranked and ranked[0].finding.confidence >= MIN_CONFIDENCE:
        return _confident(ranked, used, gaps)
    return _unknown(ranked, facts, matches, results, gaps, taxonomy)


def _confident(ranked: list[Candidate], used: list[str], gaps: list[str]) -> Diagnosis:
    top = ranked[0].finding
    others = [c.finding for c in ranked[1:]]
    competing = [f for f in others if top.confidence - f.confidence <= CLOSE]
    hypotheses = [_versus(top, other) for other in competing]
    summary = top.summary
    if competing:
        summary += f" Competing explanation{'s' if len(competing) > 1 else ''}: " + "; ".join(
            f"{f.root_cause} ({f.confidence:.2f})" for f in competing) + "."
    return Diagnosis(root_cause=top.root_cause, title=top.title, summary=summary, confidence=top.confidence,
                     evidence=top.evidence, remediation=top.remediation, affected_resources=top.affected_resources,
                     runbooks_used=used, alternatives=others, hypotheses=hypotheses, gaps=gaps, source="engine")


def _versus(top: Finding, other: Finding) -> str:
    """Say which evidence favours which of two competing findings."""
    return (f"{top.root_cause} ({top.confidence:.2f}) is favoured over {other.root_cause} ({other.confidence:.2f}): "
            f"for {top.root_cause}: {_first(top)}; for {other.root_cause}: {_first(other)}")


def _first(finding: Finding) -> str:
    if not finding.evidence:
        return "no cited evidence"
    item = finding.evidence[0]
    return f"'{item.excerpt[:160]}' [{item.call_id}]"


def _unknown(ranked: list[Candidate], facts: Facts, matches: list[RunbookMatch], results: list[ToolResult],
             gaps: list[str], taxonomy: Taxonomy) -> Diagnosis:
    if not matches:
        summary = f"No runbook applies to this trigger ({facts.describe()}); the root cause is not determined."
    else:
        areas = sorted({m.runbook.id.split(".")[0] for m in matches})
        summary = (f"{len(matches)} runbook(s) ({', '.join(areas)}) ran but none of their checks matched "
                   f"({facts.describe()}); the root cause is not determined.")
    if facts.healthy():
        summary += " The pod is Running with every container ready: nothing is failing right now."
    weak = [c.finding for c in ranked]
    hypotheses = [f"possible {f.root_cause} ({f.confidence:.2f}), unconfirmed: {_first(f)}" for f in weak]
    if weak:
        summary += " Weak hypotheses: " + ", ".join(f.root_cause for f in weak) + "."
    elif key_evidence(results):
        summary += " The key lines gathered are cited as evidence."
    cause = taxonomy.get(UNKNOWN)
    remediation = list(cause.remediation if cause else [])
    if facts.healthy() and not weak:
        remediation = ["Nothing to fix now. If the problem comes back, ask again while it is happening, or name the "
                       "failing pod, alert or time."]
    return Diagnosis(root_cause=UNKNOWN, title=cause.title if cause else "", summary=summary, confidence=0.0,
                     evidence=key_evidence(results), remediation=remediation,
                     affected_resources=[facts.subject.ref()] if facts.subject else [],
                     runbooks_used=list(dict.fromkeys([f.runbook for f in weak] + [m.runbook.id for m in matches])),
                     alternatives=weak, hypotheses=hypotheses,
                     gaps=gaps, source="engine")


def key_evidence(results: list[ToolResult], limit: int = 8) -> list[Evidence]:
    """What an engineer would look at first: warning events, then error-looking log lines."""
    found: list[Evidence] = []
    seen: set[str] = set()
    for result in results:
        for line in _key_lines(result):
            if line not in seen and len(found) < limit:
                seen.add(line)
                found.append(Evidence(tool=result.tool, call_id=result.call_id, excerpt=line[:EXCERPT_CHARS]))
    return found


def _key_lines(result: ToolResult) -> list[str]:
    data = result.data if result.status == "ok" and isinstance(result.data, dict) else {}
    if result.tool == "kubernetes_events":
        return [f"{e.get('reason', '')}: {e.get('message', '')}".strip()
                for e in data.get("events", []) if e.get("type") == "Warning"][:4]
    if result.tool == "kubernetes_logs":
        lines = [str(line) for line in data.get("lines", []) if _ERROR_LINE.search(str(line))]
        return lines[-3:]
    return []
