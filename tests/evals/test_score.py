from holmes.domain import Diagnosis, Evidence
from holmes.evals.score import Expected, score


def _diagnosis(root_cause: str, excerpts: list[str], remediation: list[str]) -> Diagnosis:
    return Diagnosis(root_cause=root_cause, summary="s", confidence=0.9,
                     evidence=[Evidence(tool="kubernetes_events", call_id="t1", excerpt=e) for e in excerpts],
                     remediation=remediation)


def test_right_root_cause_passes_and_counts_evidence_recall():
    expected = Expected(root_cause="a.b", evidence=["untolerated taint", "Insufficient nvidia.com/gpu"],
                        remediation=["toleration"])
    result = score(_diagnosis("a.b", ["0/3 nodes: 1 node(s) had UNTOLERATED  taint {x}"], ["Add a toleration"]),
                   expected)
    assert result.passed and result.root_cause_match
    assert result.evidence_recall == 0.5
    assert result.evidence_missing == ["Insufficient nvidia.com/gpu"]
    assert result.remediation_recall == 1.0


def test_wrong_root_cause_fails():
    result = score(_diagnosis("c.d", ["untolerated taint"], []), Expected(root_cause="a.b"))
    assert not result.passed and not result.root_cause_match


def test_forbidden_claim_fails_even_with_the_right_id():
    expected = Expected(root_cause="a.b", forbidden=["driver too old"])
    diagnosis = _diagnosis("a.b", [], [])
    diagnosis.summary = "The driver too old for this image"
    result = score(diagnosis, expected)
    assert result.forbidden_hits == ["driver too old"] and not result.passed


def test_unknown_expected_passes_only_on_unknown():
    assert score(_diagnosis("unknown", [], []), Expected(root_cause="unknown")).passed
    assert not score(_diagnosis("model.gpu_oom", [], []), Expected(root_cause="unknown")).passed
