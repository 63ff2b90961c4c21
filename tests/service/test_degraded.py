"""Degraded modes with the real investigation: no model -> the runbook engine's answer marked degraded;
no cluster or Prometheus -> the investigation still completes, naming what it could not read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

from holmes.bundle.loader import load_spec
from holmes.config import Settings
from holmes.domain import Trigger
from holmes.investigation import investigate, open_sources
from holmes.service.app import create_app
from holmes.service.investigator import open_investigator
from holmes.service.runtime import Tuning

from .support import alert_bundle, free_port, payload, wait_until


def _completed(client: TestClient, investigation_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"/api/v1/investigations/{investigation_id}").json()
        return body if body["status"] in ("completed", "failed") else None

    return wait_until(done, timeout=120, interval=0.2, what="the investigation to finish")


def test_unreachable_model_completes_from_the_runbook_engine_marked_degraded(tmp_path: Path) -> None:
    bundle = alert_bundle()
    incident_alert = load_spec(bundle).trigger.alert
    assert incident_alert is not None
    settings = Settings(service={"data_dir": str(tmp_path / "data")},
                        llm={"provider": "openai", "model": "any", "api_key": "x", "timeout_s": 3, "max_retries": 0,
                             "base_url": f"http://127.0.0.1:{free_port()}/v1"})
    with open_investigator(settings, bundle) as investigator, \
            TestClient(create_app(settings, investigator, tuning=Tuning(poll_s=0.05))) as client:
        body = payload(incident_alert.model_dump(mode="json"))
        investigation_id = client.post("/api/v1/alertmanager", json=body).json()["investigations"][0]
        stored = _completed(client, investigation_id)
        metrics = client.get("/metrics").text
    assert stored["status"] == "completed"
    assert stored["degraded"] is True
    assert stored["diagnosis"]["source"] == "engine"
    with open_sources(Settings(), bundle) as sources:
        engine_alone = investigate(Trigger(alert=incident_alert), Settings(), sources, use_llm=False)
    assert stored["diagnosis"]["root_cause"] == engine_alone.root_cause
    assert len(stored["diagnosis"]["gaps"]) > len(engine_alone.gaps)  # the model's failure is named
    assert "holmes_investigations_degraded_total 1.0" in metrics


def test_unreachable_cluster_and_prometheus_complete_with_named_gaps(tmp_path: Path) -> None:
    kube_port, prometheus_port = free_port(), free_port()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "gone",
        "clusters": [{"name": "gone", "cluster": {"server": f"http://127.0.0.1:{kube_port}"}}],
        "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "reader"}}],
        "users": [{"name": "reader", "user": {"token": "read-only"}}]}))
    settings = Settings(service={"data_dir": str(tmp_path / "data")},
                        kubernetes={"kubeconfig": str(kubeconfig), "request_timeout_s": 2},
                        prometheus={"url": f"http://127.0.0.1:{prometheus_port}", "timeout_s": 2})
    with open_investigator(settings, None) as investigator, \
            TestClient(create_app(settings, investigator, tuning=Tuning(poll_s=0.05))) as client:
        created = client.post("/api/v1/investigations", json={"question": "why is it not ready?",
                                                               "subject": "pod llm/vllm-0"}).json()
        stored = _completed(client, created["id"])
        metrics = client.get("/metrics").text
    assert stored["status"] == "completed"
    gaps = stored["diagnosis"]["gaps"]
    assert gaps[0].startswith("kubernetes: the API server is unreachable") and str(kube_port) in gaps[0], gaps
    assert gaps[1].startswith("prometheus: unreachable") and str(prometheus_port) in gaps[1], gaps
    assert f"holmes_investigation_gaps_total {float(len(gaps))}" in metrics
