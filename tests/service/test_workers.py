"""The worker pool: bounded concurrency, retries, failures, and work resumed after a stop."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from holmes.service.app import create_app
from holmes.service.runtime import Tuning

from .conftest import Client, make_settings
from .support import FakeInvestigator, alert, payload, wait_until

WEBHOOK = "/api/v1/alertmanager"


def _statuses(client: TestClient) -> list[str]:
    return [item["status"] for item in client.get("/api/v1/investigations", params={"limit": 500}).json()["items"]]


def _events(client: TestClient, investigation_id: str) -> list[str]:
    with client.stream("GET", f"/api/v1/investigations/{investigation_id}/events") as stream:
        text = stream.read().decode()
    return [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("event: ")]


def test_no_more_investigations_run_at_once_than_workers(client_for: Client) -> None:
    fake = FakeInvestigator(delay_s=0.05)
    client = client_for(fake, workers=3)
    client.post(WEBHOOK, json=payload(*[alert(f"fp{i}") for i in range(12)]))
    wait_until(lambda: _statuses(client) == ["completed"] * 12, what="12 completed")
    assert fake.max_running == 3
    assert len(fake.calls) == 12


def test_transient_failure_is_retried_and_completes(client_for: Client) -> None:
    client = client_for(FakeInvestigator(failures=1))
    investigation_id = client.post(WEBHOOK, json=payload(alert("fp1"))).json()["investigations"][0]
    wait_until(lambda: _statuses(client) == ["completed"], what="completion")
    body = client.get(f"/api/v1/investigations/{investigation_id}").json()
    assert body["attempts"] == 2
    assert _events(client, investigation_id) == ["queued", "started", "progress", "retry", "started", "progress",
                                                 "finished"]


def test_investigation_failing_every_attempt_ends_failed_with_the_reason(client_for: Client) -> None:
    client = client_for(FakeInvestigator(failures=99), tuning=Tuning(poll_s=0.05, max_attempts=2))
    investigation_id = client.post(WEBHOOK, json=payload(alert("fp1"))).json()["investigations"][0]
    wait_until(lambda: _statuses(client) == ["failed"], what="failure")
    body = client.get(f"/api/v1/investigations/{investigation_id}").json()
    assert body["error"] == "ConnectionError: cluster unreachable (scripted failure)"
    assert body["attempts"] == 2
    assert _events(client, investigation_id)[-1] == "failed"
    assert 'holmes_investigations_finished_total{status="failed"} 1.0' in client.get("/metrics").text


def test_work_left_running_at_shutdown_resumes_at_the_next_start(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    stuck = FakeInvestigator()
    stuck.release.clear()  # never finishes within the shutdown grace
    with TestClient(create_app(settings, stuck, tuning=Tuning(poll_s=0.05, shutdown_grace_s=0.1))) as first:
        investigation_id = first.post(WEBHOOK, json=payload(alert("fp1"))).json()["investigations"][0]
        wait_until(lambda: _statuses(first) == ["running"], what="running")
    healthy = FakeInvestigator()
    with TestClient(create_app(settings, healthy, tuning=Tuning(poll_s=0.05))) as second:
        wait_until(lambda: _statuses(second) == ["completed"], what="resumed completion")
        body = second.get(f"/api/v1/investigations/{investigation_id}").json()
        events = _events(second, investigation_id)
    stuck.release.set()
    assert body["attempts"] == 2
    assert len(healthy.calls) == 1
    assert events.count("finished") == 1
    assert "retry" in events  # requeued: the previous process stopped mid-investigation


def test_readyz_fails_once_the_worker_pool_stopped(client_for: Client) -> None:
    client = client_for(FakeInvestigator())
    service = client.app.state.service  # type: ignore[attr-defined]
    assert client.get("/readyz").status_code == 200
    service.pool.stop(1)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "worker pool" in response.text
