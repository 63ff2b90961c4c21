"""Every recorded incident under evals/incidents loads and serves each of its objects and logs unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from holmes.bundle.kinds import split_api_version
from holmes.bundle.loader import load_bundle
from holmes.replay import serve_bundle
from holmes.sources.kube import KINDS, KubeReader

INCIDENTS = Path(__file__).resolve().parents[2] / "evals" / "incidents"
BUNDLES = sorted(p for p in INCIDENTS.glob("*") if (p / "incident.yaml").is_file()) if INCIDENTS.is_dir() else []


def test_recorded_incidents_exist() -> None:
    assert BUNDLES, f"no bundles under {INCIDENTS}"


@pytest.mark.parametrize("bundle_dir", BUNDLES, ids=[p.name for p in BUNDLES])
def test_bundle_serves_every_object_and_log_as_recorded(bundle_dir: Path) -> None:
    bundle = load_bundle(bundle_dir)
    assert bundle.spec.id == bundle_dir.name
    with serve_bundle(bundle) as url:
        reader = KubeReader.for_url(url)
        if bundle.spec.trigger.subject is not None:
            subject = bundle.spec.trigger.subject
            assert reader.get(subject.kind, subject.name, subject.namespace) is not None, subject.ref()
        for obj in bundle.objects:
            kind = obj["kind"].lower()
            if kind not in KINDS or KINDS[kind][0] != split_api_version(obj["apiVersion"])[0]:
                continue  # KubeReader only names the kinds the toolsets read
            served = reader.get(kind, obj["metadata"]["name"], obj["metadata"].get("namespace"))
            assert served == obj, f"{obj['kind']} {obj['metadata']['name']}"
        for key in bundle.logs:
            text = reader.log(key.namespace, key.pod, key.container, previous=key.previous, timestamps=True)
            assert text == bundle.logs[key].read_text(), key
