"""Recorded incidents whose cause shows only in metrics: diagnosed from a real Prometheus, unknown without it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from holmes.bundle.loader import load_bundle
from holmes.config import Settings
from holmes.domain import Diagnosis
from holmes.investigation import investigate, open_sources
from holmes.replay import metrics as replay_metrics

INCIDENTS = Path(__file__).resolve().parents[2] / "evals" / "incidents"
METRICS_ONLY = sorted(p.parent.name for p in INCIDENTS.glob("*/incident.yaml")
                      if "metrics-only" in load_bundle(p.parent).spec.tags)


def _diagnose(name: str) -> tuple[Diagnosis, str]:
    bundle_dir = INCIDENTS / name
    spec = load_bundle(bundle_dir).spec
    settings = Settings()
    with open_sources(settings, bundle_dir) as sources:
        diagnosis = investigate(spec.trigger, settings, sources, use_llm=False)
    return diagnosis, spec.expected.root_cause


def test_there_are_incidents_whose_cause_only_metrics_show() -> None:
    assert len(METRICS_ONLY) >= 3


@pytest.mark.prometheus
@pytest.mark.skipif(not (shutil.which("prometheus") and shutil.which("promtool")), reason="needs Debian prometheus")
@pytest.mark.parametrize("name", METRICS_ONLY)
def test_metrics_only_incident_is_diagnosed_from_prometheus_citing_the_metric(name: str) -> None:
    diagnosis, expected = _diagnose(name)
    assert diagnosis.root_cause == expected
    cited = [e for e in diagnosis.evidence if e.tool == "gpu_metrics"]
    assert cited and all(e.call_id for e in cited)
    assert not any("prometheus" in gap for gap in diagnosis.gaps)


@pytest.mark.parametrize("name", METRICS_ONLY)
def test_without_a_prometheus_binary_the_gap_is_named_and_no_cause_is_claimed(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay_metrics.shutil, "which", lambda _binary: None)
    diagnosis, expected = _diagnose(name)
    assert diagnosis.root_cause != expected
    assert "prometheus: prometheus binary not found; metrics of this bundle not loaded" in diagnosis.gaps
