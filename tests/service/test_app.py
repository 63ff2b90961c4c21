"""The HTTP API in-process: webhook answers, investigations API, progress stream, health, metrics, OpenAPI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from fastapi.testclient import TestClient

from .support import FakeInvestigator, alert, payload, wait_until

WEBHOOK = "/api/v1/alertmanager"


def _finished(client: TestClient, investigation_id: str) -> dict:
    def done() -> dict | None:
        body = client.get(f"/api/v1/investigations/{investigation_id}").json()
        return body if body["status"] in ("completed", "failed") else None

    return wait_until(done, what=f"investigation {investigation_id} to finish")


def test_firing_alert_is_queued_investigated_and_readable(client: TestClient, fake: FakeInvestigator) -> None:
    response = client.post(WEBHOOK, json=payload(alert("fp1", namespace="llm", pod="vllm-0")))
    assert response.status_code == 200
    ack = response.json()
    assert (ack["received"], ack["queued"], ack["duplicates"]) == (1, 1, 0)
    body = _finished(client, ack["investigations"][0])
    assert body["status"] == "completed"
    assert body["origin"] == "alertmanager"
    assert (body["alertname"], body["namespace"], body["fingerprint"]) == ("KubePodNotReady", "llm", "fp1")
    assert body["trigger"]["alert"]["labels"]["pod"] == "vllm-0"
    assert body["diagnosis"]["summary"] == "about alert KubePodNotReady (firing)"
    assert body["attempts"] == 1
    assert [t.alert.fingerprint for t in fake.calls if t.alert] == ["fp1"]


def test_resent_firing_alert_folds_into_the_same_investigation(client: TestClient, fake: FakeInvestigator) -> None:
    first = client.post(WEBHOOK, json=payload(alert("fp1"))).json()
    again = client.post(WEBHOOK, json=payload(alert("fp1"))).json()
    assert again["duplicates"] == 1 and again["queued"] == 0
    assert again["investigations"] == first["investigations"]
    body = _finished(client, first["investigations"][0])
    assert body["repeats"] == 1
    assert len(fake.calls) == 1


def test_new_firing_episode_of_the_same_alert_gets_a_new_investigation(client: TestClient) -> None:
    first = client.post(WEBHOOK, json=payload(alert("fp1", starts_at="2025-01-01T00:00:00Z"))).json()
    later = client.post(WEBHOOK, json=payload(alert("fp1", starts_at="2025-01-02T00:00:00Z"))).json()
    assert later["queued"] == 1
    assert later["investigations"] != first["investigations"]


def test_resolved_alert_marks_its_investigation_resolved(client: TestClient) -> None:
    firing = client.post(WEBHOOK, json=payload(alert("fp1"))).json()
    resolved = client.post(WEBHOOK, json=payload(alert("fp1", status="resolved",
                                                       ends_at="2025-06-11T14:00:00Z"))).json()
    assert resolved["resolved"] == 1 and resolved["queued"] == 0
    assert resolved["investigations"] == firing["investigations"]
    body = _finished(client, firing["investigations"][0])
    assert body["alert_status"] == "resolved"
    assert body["resolved_at"].startswith("2025-06-11T14:00:00")


def test_resolved_alert_never_seen_firing_is_ignored(client: TestClient) -> None:
    ack = client.post(WEBHOOK, json=payload(alert("never-fired", status="resolved"))).json()
    assert (ack["ignored"], ack["queued"], ack["investigations"]) == (1, 0, [None])
    assert client.get("/api/v1/investigations").json()["count"] == 0


def test_alert_without_fingerprint_is_keyed_by_its_labels(client: TestClient) -> None:
    first = client.post(WEBHOOK, json=payload(alert("", pod="a"))).json()
    same = client.post(WEBHOOK, json=payload(alert("", pod="a"))).json()
    other = client.post(WEBHOOK, json=payload(alert("", pod="b"))).json()
    assert same["investigations"] == first["investigations"]
    assert other["queued"] == 1


def test_schema_error_is_400_naming_the_field(client: TestClient) -> None:
    bad = payload(alert("fp1"))
    bad["alerts"][0]["labels"]["replicas"] = 3
    response = client.post(WEBHOOK, json=bad)
    assert response.status_code == 400
    assert response.json()["detail"] == "alerts.0.labels.replicas: Input should be a valid string"


def test_unsupported_webhook_version_is_400(client: TestClient) -> None:
    response = client.post(WEBHOOK, json={**payload(alert("fp1")), "version": "3"})
    assert response.status_code == 400
    assert "unsupported webhook version '3'" in response.json()["detail"]


def test_invalid_json_is_400(client: TestClient) -> None:
    response = client.post(WEBHOOK, content=b'{"alerts": [', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("body: not valid JSON")


def test_question_investigation_via_api(client: TestClient, fake: FakeInvestigator) -> None:
    response = client.post("/api/v1/investigations", json={"question": "why is it pending?",
                                                           "subject": "pod llm/vllm-0"})
    assert response.status_code == 202
    created = response.json()
    body = _finished(client, created["id"])
    assert body["origin"] == "api"
    assert body["trigger"]["subject"] == {"kind": "pod", "namespace": "llm", "name": "vllm-0"}
    assert body["namespace"] == "llm"
    assert fake.calls[0].question == "why is it pending?"


def test_investigation_request_needs_a_question_or_subject(client: TestClient) -> None:
    response = client.post("/api/v1/investigations", json={"question": "  "})
    assert response.status_code == 400
    assert "give a question, a subject, or both" in response.json()["detail"]


def test_unreadable_subject_is_400(client: TestClient) -> None:
    response = client.post("/api/v1/investigations", json={"subject": "pod a/b/c/d"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("subject: cannot read subject")


def test_unknown_investigation_is_404(client: TestClient) -> None:
    assert client.get("/api/v1/investigations/nope").status_code == 404
    assert client.get("/api/v1/investigations/nope/events").status_code == 404


def test_list_filters_by_status_alertname_namespace_and_time(client: TestClient, fake: FakeInvestigator) -> None:
    fake.release.clear()  # keep everything queued/running while we look
    client.post(WEBHOOK, json=payload(alert("a", namespace="llm"), alert("b", namespace="rag")))
    client.post(WEBHOOK, json=payload({**alert("c", namespace="llm"), "labels": {"alertname": "GPUXid",
                                                                                  "namespace": "llm"}}))

    def ids(**query: str) -> set[str]:
        return {item["fingerprint"] for item in client.get("/api/v1/investigations", params=query).json()["items"]}

    assert ids() == {"a", "b", "c"}
    assert ids(namespace="llm") == {"a", "c"}
    assert ids(alertname="GPUXid") == {"c"}
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert ids(since=future) == set()
    assert ids(until=future) == {"a", "b", "c"}
    east = timezone(timedelta(hours=5))  # the same instants written with another offset
    assert ids(since=(datetime.now(UTC) - timedelta(minutes=30)).astimezone(east).isoformat()) == {"a", "b", "c"}
    assert ids(until=(datetime.now(UTC) - timedelta(minutes=30)).astimezone(east).isoformat()) == set()
    an_hour_ago_without_offset = (datetime.now(UTC) - timedelta(hours=1)).replace(tzinfo=None).isoformat()
    assert ids(since=an_hour_ago_without_offset) == {"a", "b", "c"}
    fake.release.set()
    wait_until(lambda: ids(status="completed") == {"a", "b", "c"}, what="all completed")
    assert ids(status="queued") == set()


def test_list_rejects_an_unknown_status_and_a_bad_time(client: TestClient) -> None:
    assert client.get("/api/v1/investigations", params={"status": "done"}).status_code == 400
    response = client.get("/api/v1/investigations", params={"since": "yesterday"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("query.since:")


def test_event_stream_shows_queued_started_progress_finished(client: TestClient) -> None:
    investigation_id = client.post(WEBHOOK, json=payload(alert("fp1"))).json()["investigations"][0]
    with client.stream("GET", f"/api/v1/investigations/{investigation_id}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        text = stream.read().decode()
    frames = [_frame(block) for block in text.strip().split("\n\n")]
    assert [f["event"] for f in frames] == ["queued", "started", "progress", "finished"]
    assert json.loads(frames[2]["data"])["message"] == "looking at alert KubePodNotReady (firing)"
    last = frames[1]["id"]
    with client.stream("GET", f"/api/v1/investigations/{investigation_id}/events",
                       headers={"Last-Event-ID": last}) as stream:
        resumed = [_frame(block)["event"] for block in stream.read().decode().strip().split("\n\n")]
    assert resumed == ["progress", "finished"]


def _frame(block: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in block.splitlines())


def test_health_readiness_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").text == "ok"
    assert client.get("/readyz").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/api/v1/alertmanager", "/api/v1/investigations", "/api/v1/investigations/{investigation_id}",
            "/api/v1/investigations/{investigation_id}/events", "/healthz", "/readyz", "/metrics"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200


def test_metrics_count_alerts_dedup_and_finished_investigations(client: TestClient) -> None:
    first = client.post(WEBHOOK, json=payload(alert("fp1"))).json()
    client.post(WEBHOOK, json=payload(alert("fp1")))
    client.post(WEBHOOK, json=payload(alert("fp1", status="resolved")))
    _finished(client, first["investigations"][0])

    def scraped() -> str | None:
        text = client.get("/metrics").text
        return text if "holmes_investigations_finished_total{" in text else None

    text = wait_until(scraped, what="the finished counter")
    assert 'holmes_alerts_received_total{status="firing"} 2.0' in text
    assert 'holmes_alerts_received_total{status="resolved"} 1.0' in text
    assert "holmes_alerts_deduplicated_total 1.0" in text
    assert 'holmes_investigations_finished_total{status="completed"} 1.0' in text
    assert 'holmes_investigation_duration_seconds_count{status="completed"} 1.0' in text
    assert 'holmes_investigations{status="completed"} 1.0' in text


def test_webhook_is_documented_in_openapi_and_accepts_only_post(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"][WEBHOOK]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WebhookPayload"}
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"WebhookPayload", "Alert", "WebhookAck"} <= set(schemas)
    response = client.get(WEBHOOK)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_subject_of_an_unknown_kind_or_without_its_namespace_is_400_before_anything_runs(
        client: TestClient, fake: FakeInvestigator) -> None:
    for subject, words in (("frobnicator x/y", "unknown kind"), ("pod nope", "namespaced"),
                           ("secret llm/hf-token", "Secrets")):
        response = client.post("/api/v1/investigations", json={"subject": subject})
        assert response.status_code == 400, subject
        assert words in response.text
    assert fake.calls == []


def test_absurd_list_offset_is_a_400_not_a_500(client: TestClient) -> None:
    response = client.get("/api/v1/investigations", params={"offset": "99999999999999999999"})
    assert response.status_code == 400
