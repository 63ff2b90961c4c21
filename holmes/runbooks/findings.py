"""Turn a check that held into a Finding: summary, cited evidence, remediation and affected resources."""

from __future__ import annotations

import re
from dataclasses import dataclass

from holmes.domain import Evidence, Finding, ToolResult
from holmes.runbooks.checks import EXCERPT_CHARS, Outcome, capture_text, excerpt, lines_of
from holmes.runbooks.facts import Facts
from holmes.runbooks.schema import Check, Cite, Runbook
from holmes.runbooks.select import select
from holmes.runbooks.taxonomy import Taxonomy
from holmes.runbooks.templates import MissingValue, jmespath_escape, render, render_lenient


@dataclass
class Candidate:
    """A finding plus what ranks it: how many tests held (specificity) and how well its runbook matched."""

    finding: Finding
    tests: int
    match_score: int

    def rank_key(self) -> tuple[float, int, int]:
        return (-self.finding.confidence, -self.tests, -self.match_score)


def make_finding(runbook: Runbook, check: Check, outcome: Outcome, results: dict[str, ToolResult | None],
                 facts: Facts, known: dict[str, str], taxonomy: Taxonomy) -> Finding:
    values = {**known, **outcome.captures}
    cause = taxonomy.get(check.root_cause)
    title = cause.title if cause else check.root_cause
    evidence = _dedupe([*outcome.evidence, *(_cite(c, results, values) for c in check.evidence)])
    remediation = [render_lenient(r, values) for r in check.remediation] or list(cause.remediation if cause else [])
    return Finding(
        root_cause=check.root_cause, title=title, confidence=check.confidence,
        summary=render_lenient(check.summary, values) if check.summary else title,
        evidence=evidence, remediation=remediation, runbook=runbook.id,
        affected_resources=_affected(check, facts, values),
    )


def _cite(cite: Cite, results: dict[str, ToolResult | None], values: dict[str, str]) -> Evidence | None:
    result = results.get(cite.step)
    if result is None or result.status == "error":
        return None
    try:
        expression = render(cite.select, values, jmespath_escape) if cite.select else None
    except MissingValue:
        return None
    if cite.pattern is not None:
        return _cite_line(cite.pattern, result, expression, cite.last)
    value = select(expression, result.data) if expression else result.text.splitlines()[:1]
    label = render_lenient(cite.label, values) if cite.label else (cite.select or result.tool)
    shown = "none" if value in (None, [], {}, "") else capture_text(value)
    return Evidence(tool=result.tool, call_id=result.call_id, excerpt=f"{label}: {shown}"[:EXCERPT_CHARS])


def _cite_line(pattern: str, result: ToolResult, expression: str | None, last: bool) -> Evidence | None:
    compiled = re.compile(pattern)
    lines = lines_of(result, expression)
    for line in reversed(lines) if last else lines:
        found = compiled.search(line)
        if found:
            return Evidence(tool=result.tool, call_id=result.call_id, excerpt=excerpt(line, found))
    return None


def _dedupe(evidence: list[Evidence | None]) -> list[Evidence]:
    seen: set[str] = set()
    kept = []
    for item in evidence:
        if item is not None and item.excerpt not in seen:  # the same line from log and previous log: cite once
            seen.add(item.excerpt)
            kept.append(item)
    return kept


def _affected(check: Check, facts: Facts, values: dict[str, str]) -> list[str]:
    resources = [facts.subject.ref()] if facts.subject else []
    if facts.subject and facts.subject.kind != "pod" and facts.pod and facts.subject.namespace:
        resources.append(f"pod {facts.subject.namespace}/{facts.pod}")
    if facts.subject and facts.subject.kind != "node" and values.get("node"):
        resources.append(f"node {values['node']}")
    for template in check.affected:
        text = render_lenient(template, values)
        if text not in resources:
            resources.append(text)
    return resources
