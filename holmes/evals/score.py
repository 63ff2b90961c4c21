"""Score a diagnosis against an incident's `expected` block, deterministically: no judge needed."""

from __future__ import annotations

from pydantic import BaseModel

from holmes.domain import Diagnosis


class Expected(BaseModel):
    root_cause: str
    evidence: list[str] = []
    remediation: list[str] = []
    forbidden: list[str] = []


class Score(BaseModel):
    root_cause_match: bool
    evidence_recall: float  # share of expected evidence strings found in the cited evidence
    evidence_missing: list[str]
    remediation_recall: float  # share of remediation keywords found in the remediation text
    forbidden_hits: list[str]  # forbidden root causes or claims the diagnosis made
    passed: bool


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def score(diagnosis: Diagnosis, expected: Expected) -> Score:
    """Pass: the expected root cause is named and nothing forbidden is claimed."""
    cited = _norm(" \n ".join(e.excerpt for e in diagnosis.evidence))
    missing = [s for s in expected.evidence if _norm(s) not in cited]
    evidence_recall = 1.0 if not expected.evidence else 1 - len(missing) / len(expected.evidence)
    remedy = _norm(" ".join(diagnosis.remediation))
    found_keywords = [k for k in expected.remediation if _norm(k) in remedy]
    remediation_recall = 1.0 if not expected.remediation else len(found_keywords) / len(expected.remediation)
    claims = _norm(" ".join([diagnosis.root_cause, diagnosis.title, diagnosis.summary]))
    forbidden = [f for f in expected.forbidden if f == diagnosis.root_cause or ("." not in f and _norm(f) in claims)]
    match = diagnosis.root_cause == expected.root_cause
    return Score(root_cause_match=match, evidence_recall=round(evidence_recall, 3), evidence_missing=missing,
                 remediation_recall=round(remediation_recall, 3), forbidden_hits=forbidden,
                 passed=match and not forbidden)
