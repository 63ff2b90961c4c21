"""Malformed input of every kind gets a 4xx with a reason, never a 500 (hypothesis)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from holmes.service.app import create_app
from holmes.service.runtime import Tuning

from .conftest import make_settings
from .support import FakeInvestigator

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WEBHOOK = "/api/v1/alertmanager"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20)
times = st.sampled_from(["2025-06-11T13:41:30Z", "2025-06-11T13:41:30.123456789+02:00", "0001-01-01T00:00:00Z",
                         "yesterday", "", "2025-13-40T99:99:99Z"]) | st.integers() | st.none()
label_values = st.text(max_size=12) | st.integers() | st.none()
valid_alerts = st.fixed_dictionaries({
    "status": st.sampled_from(["firing", "resolved"]),
    "labels": st.dictionaries(st.sampled_from(["alertname", "namespace", "pod"]) | st.text(max_size=8),
                              st.text(max_size=12), max_size=4),
    "startsAt": st.sampled_from(["2025-06-11T13:41:30Z", "2025-06-11T13:41:30.123456789+02:00"]),
}, optional={"fingerprint": st.text(max_size=70), "endsAt": st.sampled_from(["0001-01-01T00:00:00Z"]),
             "annotations": st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3)})
messy_alerts = st.fixed_dictionaries({}, optional={
    "status": st.sampled_from(["firing", "resolved", "pending", ""]) | st.integers(),
    "labels": st.dictionaries(st.sampled_from(["alertname", "namespace", "pod", "x"]) | st.text(max_size=8),
                              label_values, max_size=4) | json_values,
    "annotations": st.dictionaries(st.text(max_size=8), label_values, max_size=3),
    "startsAt": times, "endsAt": times,
    "fingerprint": st.text(max_size=70) | st.integers(),
    "generatorURL": st.text(max_size=10),
})
payloads = st.fixed_dictionaries({}, optional={
    "version": st.sampled_from(["4", "3", "", "04"]) | st.integers(),
    "status": st.sampled_from(["firing", "resolved"]) | st.integers(),
    "alerts": st.lists(valid_alerts, max_size=5) | st.lists(valid_alerts | messy_alerts, max_size=5) | json_values,
    "groupLabels": json_values, "commonLabels": json_values, "truncatedAlerts": st.integers() | st.text(max_size=5),
})


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings_ = make_settings(tmp_path_factory.mktemp("fuzz") / "data", max_body_bytes=64 * 1024)
    with TestClient(create_app(settings_, FakeInvestigator(), tuning=Tuning(poll_s=0.05))) as test_client:
        yield test_client


def _post(client: TestClient, body: bytes, headers: dict[str, str] | None = None) -> Any:
    return client.post(WEBHOOK, content=body, headers={"content-type": "application/json", **(headers or {})})


def _is_reasoned_4xx(response: Any) -> bool:
    detail = response.json().get("detail")
    return isinstance(detail, str) and "\n" not in detail and bool(detail)


@FUZZ
@given(body=st.binary(max_size=300))
def test_random_bytes_never_cause_a_500(client: TestClient, body: bytes) -> None:
    response = _post(client, body)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert _is_reasoned_4xx(response)


@FUZZ
@given(value=json_values)
def test_any_json_value_never_causes_a_500(client: TestClient, value: Any) -> None:
    response = _post(client, json.dumps(value).encode())
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert _is_reasoned_4xx(response)


@FUZZ
@given(payload=payloads)
def test_nearly_valid_payloads_are_stored_or_refused_with_a_reason(client: TestClient, payload: Any) -> None:
    response = _post(client, json.dumps(payload).encode())
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        assert response.json()["received"] == len(payload.get("alerts", []))
    else:
        assert _is_reasoned_4xx(response)


@FUZZ
@given(length=st.text(alphabet="0123456789abc -+", max_size=12))
def test_odd_content_length_headers_are_refused_cleanly(client: TestClient, length: str) -> None:
    response = _post(client, b"{}", headers={"content-length": length})
    assert response.status_code in (200, 400, 413)


@FUZZ
@given(body=json_values, query=st.dictionaries(
    st.sampled_from(["status", "alertname", "namespace", "since", "until", "limit", "offset", "x"]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=25), max_size=4))
def test_investigations_api_never_causes_a_500(client: TestClient, body: Any, query: dict[str, str]) -> None:
    created = client.post("/api/v1/investigations", content=json.dumps(body).encode(),
                          headers={"content-type": "application/json"})
    assert created.status_code in (202, 400), created.text
    listed = client.get("/api/v1/investigations", params=query)
    assert listed.status_code in (200, 400), listed.text
    if listed.status_code == 400:
        assert _is_reasoned_4xx(listed)
