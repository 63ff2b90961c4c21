"""Choose the runbooks that apply to a trigger, ranked, each with the reasons it was chosen."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from holmes.domain import Alert, Trigger
from holmes.runbooks.facts import Facts
from holmes.runbooks.library import Library
from holmes.runbooks.schema import AlertMatch, Runbook

# How much each kind of hit counts; a subject kind alone never selects a runbook.
WEIGHTS = {"alert": 5, "waiting": 3, "terminated": 3, "reason": 3, "event": 2, "phase": 2, "keyword": 1}


@dataclass
class RunbookMatch:
    """A selected runbook, its score and the reasons ('alert KubePodNotReady', 'pod phase Pending')."""

    runbook: Runbook
    reasons: list[str]
    score: int

    def explain(self) -> str:
        return f"matched: {', '.join(self.reasons)}"


def select_runbooks(trigger: Trigger, facts: Facts, library: Library) -> list[RunbookMatch]:
    """Every runbook with at least one hit, best first (score, then id for a stable order)."""
    matches = [m for m in (match_runbook(rb, trigger, facts) for rb in library) if m is not None]
    return sorted(matches, key=lambda m: (-m.score, m.runbook.id))


def match_runbook(runbook: Runbook, trigger: Trigger, facts: Facts) -> RunbookMatch | None:
    match = runbook.match
    subject = facts.subject
    kinds = {k.lower() for k in match.subject_kinds}
    if kinds and subject is not None and subject.kind not in kinds and not (facts.pod and "pod" in kinds):
        return None
    hits: list[tuple[str, str]] = []
    if trigger.alert is not None:
        hits += [("alert", f"alert {trigger.alert.name}") for rule in match.alerts if _alert_hits(rule, trigger.alert)]
    if facts.phase and facts.phase in match.pod_phases:
        hits.append(("phase", f"pod phase {facts.phase}"))
    hits += [("reason", f"pod reason {r}") for r in sorted(facts.pod_reasons & set(match.pod_reasons))]
    hits += [("waiting", f"container waiting {r}")
             for r in sorted(facts.waiting_reasons & set(match.container_waiting_reasons))]
    hits += [("terminated", f"container terminated {r}")
             for r in sorted(facts.terminated_reasons & set(match.container_terminated_reasons))]
    hits += [("event", f"event {r}") for r in sorted(facts.event_reasons & set(match.event_reasons))]
    if trigger.question:
        hits += [("keyword", f"keyword '{k}'") for k in match.question_keywords if _mentions(trigger.question, k)]
    if not hits:
        return None
    return RunbookMatch(runbook, [reason for _, reason in hits], sum(WEIGHTS[kind] for kind, _ in hits))


def _alert_hits(rule: AlertMatch, alert: Alert) -> bool:
    if rule.name != alert.name:
        return False
    if any(alert.labels.get(k) != v for k, v in rule.labels.items()):
        return False
    return all(re.fullmatch(p, alert.labels.get(k, "")) for k, p in rule.label_patterns.items())


@lru_cache(maxsize=1024)
def _keyword(keyword: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w])" + re.escape(keyword.lower()))  # a word prefix: "taint" finds "taints"


def _mentions(question: str, keyword: str) -> bool:
    return bool(_keyword(keyword).search(question.lower()))
