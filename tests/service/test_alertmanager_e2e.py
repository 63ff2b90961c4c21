"""A real Alertmanager notifies a real `holmes serve`, which investigates a recorded incident through the replay API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from holmes.bundle.loader import load_spec
from holmes.config import Settings
from holmes.domain import Trigger
from holmes.investigation import investigate, open_sources

from .support import ALERTMANAGER, AlertmanagerProcess, ServeProcess, alert_bundle, wait_until

pytestmark = [pytest.mark.alertmanager,
              pytest.mark.skipif(ALERTMANAGER is None, reason="prometheus-alertmanager not installed "
                                                              "(make system-deps installs it)")]

TOKEN = "am-to-holmes-token"


@pytest.fixture
def processes() -> Iterator[list[Any]]:
    started: list[Any] = []
    yield started
    for process in reversed(started):
        process.stop()


def _alert_for_alertmanager(spec_alert: Any, ends_at: datetime | None = None) -> dict[str, Any]:
    """The recorded incident's alert as Prometheus would send it to Alertmanager."""
    body: dict[str, Any] = {"labels": dict(spec_alert.labels), "annotations": dict(spec_alert.annotations),
                            "startsAt": spec_alert.startsAt.isoformat(), "generatorURL": spec_alert.generatorURL}
    if ends_at is not None:
        body["endsAt"] = ends_at.isoformat()
    return body


def _investigations(server: ServeProcess, auth: Any, **query: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{server.url}/api/v1/investigations", params=query, auth=auth, timeout=10)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class _Bearer(httpx.Auth):
    def auth_flow(self, request: httpx.Request) -> Any:
        request.headers["Authorization"] = f"Bearer {TOKEN}"
        yield request


def test_alert_through_alertmanager_is_investigated_deduplicated_and_resolved(
        tmp_path: Path, processes: list[Any]) -> None:
    bundle = alert_bundle()
    spec = load_spec(bundle)
    incident_alert = spec.trigger.alert
    assert incident_alert is not None
    server = ServeProcess(tmp_path, tmp_path / "data", bundle=bundle,
                          config={"service": {"bearer_token": TOKEN}})
    processes.append(server)
    server.start()
    alertmanager = AlertmanagerProcess(tmp_path, f"{server.url}/api/v1/alertmanager", repeat_interval="2s",
                                       http_config={"authorization": {"type": "Bearer", "credentials": TOKEN}})
    processes.append(alertmanager)
    alertmanager.start()
    auth = _Bearer()

    alertmanager.post_alerts([_alert_for_alertmanager(incident_alert)])
    name = incident_alert.name

    def completed() -> dict[str, Any] | None:
        items = _investigations(server, auth, alertname=name)
        return items[0] if items and items[0]["status"] == "completed" else None

    stored = wait_until(completed, timeout=90, interval=0.25, what="the investigation to complete "
                        f"(alertmanager log: {alertmanager.log_text()[-1500:]})")
    assert stored["origin"] == "alertmanager"
    assert stored["trigger"]["alert"]["labels"] == incident_alert.labels
    assert stored["trigger"]["alert"]["fingerprint"]  # Alertmanager's own fingerprint came through

    # the stored diagnosis is the real investigation of this incident: the same as running it directly
    trigger = Trigger.model_validate(stored["trigger"])
    with open_sources(Settings(), bundle) as sources:
        direct = investigate(trigger, Settings(), sources, use_llm=False)
    diagnosis = stored["diagnosis"]
    assert diagnosis["root_cause"] == direct.root_cause
    assert diagnosis["runbooks_used"] == direct.runbooks_used
    assert [e["excerpt"] for e in diagnosis["evidence"]] == [e.excerpt for e in direct.evidence]

    # Alertmanager re-sends the firing alert every repeat_interval: same investigation, counted as a repeat
    wait_until(lambda: _investigations(server, auth, alertname=name)[0]["repeats"] >= 1, timeout=30,
               what="Alertmanager's repeat notification")
    assert len(_investigations(server, auth, alertname=name)) == 1

    ended = datetime.now(UTC) - timedelta(seconds=1)
    alertmanager.post_alerts([_alert_for_alertmanager(incident_alert, ends_at=ended)])
    resolved = wait_until(lambda: next((i for i in _investigations(server, auth, alertname=name)
                                        if i["alert_status"] == "resolved"), None), timeout=30,
                          what="the resolved notification")
    assert resolved["id"] == stored["id"]
    assert resolved["resolved_at"] is not None
    assert 'holmes_alerts_received_total{status="resolved"}' in httpx.get(f"{server.url}/metrics").text


def test_alertmanager_basic_auth_is_accepted_and_wrong_credentials_are_not(
        tmp_path: Path, processes: list[Any]) -> None:
    bundle = alert_bundle()
    incident_alert = load_spec(bundle).trigger.alert
    assert incident_alert is not None
    server = ServeProcess(tmp_path, tmp_path / "data", bundle=bundle, workers=1,
                          config={"service": {"basic_username": "alertmanager", "basic_password": "pw"}})
    processes.append(server)
    server.start()
    wrong = AlertmanagerProcess(tmp_path, f"{server.url}/api/v1/alertmanager",
                                http_config={"basic_auth": {"username": "alertmanager", "password": "nope"}})
    right = AlertmanagerProcess(tmp_path, f"{server.url}/api/v1/alertmanager",
                                http_config={"basic_auth": {"username": "alertmanager", "password": "pw"}})
    processes.extend([wrong, right])
    wrong.start()
    right.start()
    auth = httpx.BasicAuth("alertmanager", "pw")

    wrong_alert = _alert_for_alertmanager(incident_alert)
    wrong_alert["labels"] = {**wrong_alert["labels"], "sent_by": "wrong-credentials"}
    wrong.post_alerts([wrong_alert])
    wait_until(lambda: "401" in wrong.log_text(), timeout=30, what="Alertmanager to report the 401")
    assert _investigations(server, auth) == []

    right.post_alerts([_alert_for_alertmanager(incident_alert)])
    found = wait_until(lambda: _investigations(server, auth), timeout=30, what="the alert to arrive")
    assert [item["trigger"]["alert"]["labels"] for item in found] == [incident_alert.labels]
