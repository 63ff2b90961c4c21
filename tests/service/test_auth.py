"""Bearer and basic authentication, as Alertmanager's http_config sends them."""

from __future__ import annotations

import base64

import pytest

from holmes.config import ServiceSettings
from holmes.service.auth import Authenticator

from .conftest import Client
from .support import FakeInvestigator, alert, payload


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_open_when_nothing_is_configured() -> None:
    auth = Authenticator.from_settings(ServiceSettings())
    assert not auth.configured
    assert auth.allows(None)


@pytest.mark.parametrize(("header", "allowed"), [
    ("Bearer s3cret", True),
    ("bearer s3cret", True),
    ("Bearer s3cret2", False),
    ("Bearer ", False),
    ("Basic s3cret", False),
    (None, False),
])
def test_bearer_token(header: str | None, allowed: bool) -> None:
    auth = Authenticator.from_settings(ServiceSettings(bearer_token="s3cret"))
    assert auth.allows(header) is allowed


@pytest.mark.parametrize(("header", "allowed"), [
    (_basic("am", "pw:with:colons"), True),
    (_basic("am", "wrong"), False),
    (_basic("other", "pw:with:colons"), False),
    ("Basic not-base64!", False),
    ("Basic " + base64.b64encode(b"no-colon").decode(), False),
    ("Basic " + base64.b64encode(b"\xff\xfe:x").decode(), False),
    ("Bearer pw:with:colons", False),
])
def test_basic_credentials(header: str, allowed: bool) -> None:
    auth = Authenticator.from_settings(ServiceSettings(basic_username="am", basic_password="pw:with:colons"))
    assert auth.allows(header) is allowed


def test_api_refuses_missing_credentials_with_a_challenge(client_for: Client) -> None:
    client = client_for(FakeInvestigator(), bearer_token="s3cret")
    response = client.post("/api/v1/alertmanager", json=payload(alert("fp1")))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/investigations").status_code == 401
    assert client.get("/api/v1/investigations", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    ok = client.post("/api/v1/alertmanager", json=payload(alert("fp1")), headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200


def test_health_and_metrics_stay_open_for_probes_and_scrapers(client_for: Client) -> None:
    client = client_for(FakeInvestigator(), basic_username="am", basic_password="pw")
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.get("/api/v1/investigations").headers["www-authenticate"] == 'Basic realm="holmes"'
