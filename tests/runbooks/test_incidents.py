"""Every recorded incident gets its expected root cause from the runbook engine alone (no LLM).

Each bundle is replayed through the real path: replay API over HTTP, the official client, the toolset
registry (and a real Prometheus when the bundle has metrics), then `diagnose`. Noisy and shuffled variants
of each bundle must give the same answer, so no check can lean on object order or unrelated objects.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from holmes.bundle.loader import load_spec
from holmes.config import Settings
from holmes.evals.perturb import perturb
from holmes.investigation import open_sources, tool_context
from holmes.runbooks.engine import EngineReport, diagnose
from holmes.runbooks.library import Library, load_library
from holmes.toolsets.catalog import build_registry

INCIDENTS = Path(__file__).resolve().parents[2] / "evals" / "incidents"
BUNDLES = sorted(p for p in INCIDENTS.iterdir() if (p / "incident.yaml").is_file()) if INCIDENTS.is_dir() else []


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library()


def replay(bundle: Path, library: Library) -> EngineReport:
    settings = Settings()
    spec = load_spec(bundle)
    with open_sources(settings, bundle) as sources:
        ctx = tool_context(settings, sources)
        return diagnose(spec.trigger, build_registry(settings, ctx), ctx, library)


def assert_expected(bundle: Path, report: EngineReport) -> None:
    expected = load_spec(bundle).expected
    diagnosis = report.diagnosis
    assert diagnosis.root_cause == expected.root_cause, (
        f"{bundle.name}: got {diagnosis.root_cause} ({diagnosis.confidence}), expected {expected.root_cause}; "
        f"runbooks {[m.runbook.id for m in report.matched]}; facts {report.facts.describe()}; gaps {diagnosis.gaps}")
    assert diagnosis.root_cause not in expected.forbidden
    if diagnosis.root_cause == "unknown":
        assert diagnosis.confidence == 0.0
    else:
        assert diagnosis.evidence and all(e.call_id for e in diagnosis.evidence), "a diagnosis cites its tool calls"
        assert diagnosis.remediation


def test_there_are_recorded_incidents_to_check() -> None:
    assert len(BUNDLES) >= 20


@pytest.mark.parametrize("bundle", BUNDLES, ids=[b.name for b in BUNDLES])
def test_recorded_incident_gets_its_expected_root_cause(bundle: Path, library: Library) -> None:
    assert_expected(bundle, replay(bundle, library))


@pytest.mark.parametrize("bundle", BUNDLES, ids=[b.name for b in BUNDLES])
def test_noisy_and_shuffled_variants_keep_the_root_cause(bundle: Path, library: Library, tmp_path: Path) -> None:
    for variant in perturb(bundle, tmp_path, ("noise", "shuffled")):
        assert_expected(variant, replay(variant, library))
