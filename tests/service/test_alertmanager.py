"""Reading Alertmanager's webhook payload: firing episodes, Go's zero time, senders without fingerprints."""

from __future__ import annotations

from datetime import UTC, datetime

from holmes.service.alertmanager import IncomingAlert, WebhookPayload, incoming_alerts, label_fingerprint

from .support import alert, payload


def _one(**fields: object) -> IncomingAlert:
    return incoming_alerts(WebhookPayload.model_validate(payload({**alert("fp"), **fields})))[0]


def test_episode_is_fingerprint_and_starts_at_in_utc() -> None:
    a = _one(startsAt="2025-06-11T15:41:30.123456789+02:00")
    b = _one(startsAt="2025-06-11T13:41:30.123456Z")
    assert a.starts_at == datetime(2025, 6, 11, 13, 41, 30, 123456, tzinfo=UTC)
    assert a.episode == b.episode == "fp|2025-06-11T13:41:30.123456+00:00"


def test_go_zero_time_means_unset() -> None:
    unset = _one(startsAt="0001-01-01T00:00:00Z", endsAt="0001-01-01T00:00:00Z")
    assert unset.starts_at is None and unset.ends_at is None
    assert unset.episode is None


def test_label_fingerprint_ignores_label_order_and_tells_label_sets_apart() -> None:
    assert label_fingerprint({"a": "1", "b": "2"}) == label_fingerprint({"b": "2", "a": "1"})
    assert label_fingerprint({"a": "1", "b": "2"}) != label_fingerprint({"a": "12"})
    assert label_fingerprint({"a": "1b"}) != label_fingerprint({"a1": "b"})


def test_namespace_falls_back_to_exported_namespace() -> None:
    relabelled = _one(labels={"alertname": "VLLMDown", "exported_namespace": "llm"})
    assert relabelled.namespace == "llm"
    assert relabelled.alertname == "VLLMDown"


def test_unknown_fields_are_kept_not_rejected() -> None:
    parsed = WebhookPayload.model_validate({**payload(alert("fp")), "newField": {"x": 1}})
    assert parsed.alerts[0].fingerprint == "fp"
