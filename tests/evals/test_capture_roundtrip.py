"""A capture of a replayed incident replays to the same diagnosis: capture reads what the runbooks need."""

from __future__ import annotations

from pathlib import Path

import pytest

from holmes.bundle.loader import load_bundle
from holmes.config import Settings
from holmes.domain import Subject
from holmes.evals.capture import capture
from holmes.investigation import investigate, open_sources
from holmes.paths import builtin_incidents

BUNDLES = sorted(p for p in builtin_incidents().iterdir() if (p / "incident.yaml").exists())
WITH_METRICS = [b for b in BUNDLES if (b / "metrics").is_dir()]
SAMPLE = sorted(set(BUNDLES[::3]) | set(WITH_METRICS[:2]))


def _resolved_scope(affected: list[str]) -> Subject | None:
    """What a user capturing a question- or alert-triggered incident names: the object the diagnosis is about."""
    for ref in affected:
        try:
            subject = Subject.parse(ref)
        except ValueError:
            continue
        if subject.namespace:
            return subject
    return None


@pytest.mark.parametrize("bundle", SAMPLE, ids=lambda p: p.name)
def test_capture_of_a_replayed_incident_replays_to_the_same_diagnosis(bundle: Path, tmp_path: Path):
    settings = Settings()
    trigger = load_bundle(bundle).spec.trigger
    out = tmp_path / f"{bundle.name}-captured"
    with open_sources(settings, bundle) as sources:
        original = investigate(trigger, settings, sources, use_llm=False)
        capture(sources.kube, out, trigger, prometheus=sources.prometheus, now=sources.now,
                scope=None if trigger.subject else _resolved_scope(original.affected_resources))
    captured = load_bundle(out)
    assert captured.spec.captured_at == load_bundle(bundle).spec.captured_at
    if (bundle / "metrics").is_dir() and original.root_cause != "unknown":
        assert captured.metrics, "metrics of the window were not captured"
    with open_sources(settings, out) as sources:
        replayed = investigate(captured.spec.trigger, settings, sources, use_llm=False)
    assert replayed.root_cause == original.root_cause
    assert {e.excerpt for e in replayed.evidence} & {e.excerpt for e in original.evidence} or not original.evidence
