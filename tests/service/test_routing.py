"""Finished investigations go to the outgoing webhook and to plugged-in hooks; a failing route harms nothing else."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from holmes.service.app import create_app
from holmes.service.routing import WebhookRoute
from holmes.service.runtime import Tuning

from .conftest import make_settings
from .support import FakeInvestigator, alert, payload, wait_until


class Receiver:
    """A real HTTP server on loopback that records what is POSTed; answers each request with the next status."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.statuses = list(statuses or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                if status == 200:
                    receiver.bodies.append(json.loads(body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


class RecordingHook:
    """Test double for a route another interface (Slack) plugs in."""

    name = "recording"

    def __init__(self) -> None:
        self.results: list[dict[str, Any]] = []

    def __call__(self, result: dict[str, Any]) -> None:
        self.results.append(result)


class BrokenHook:
    name = "broken"

    def __call__(self, result: dict[str, Any]) -> None:
        raise ConnectionError("chat service down")


def test_result_goes_to_the_outgoing_webhook_and_plugged_in_hooks(tmp_path: Path, receiver: Receiver) -> None:
    recording = RecordingHook()
    settings = make_settings(tmp_path / "data", outgoing_webhook_url=receiver.url)
    app = create_app(settings, FakeInvestigator(root_cause="scheduling.gpu_taint_untolerated"),
                     hooks=[BrokenHook(), recording], tuning=Tuning(poll_s=0.05))
    with TestClient(app) as client:
        investigation_id = client.post("/api/v1/alertmanager", json=payload(alert("fp1"))).json()["investigations"][0]
        wait_until(lambda: receiver.bodies and recording.results, what="both routes")
        routed = wait_until(lambda: _routed(client, investigation_id), what="three routed events")
        metrics = client.get("/metrics").text
    sent = receiver.bodies[0]
    assert (sent["id"], sent["status"]) == (investigation_id, "completed")
    assert sent["diagnosis"]["root_cause"] == "scheduling.gpu_taint_untolerated"
    assert sent["trigger"]["alert"]["fingerprint"] == "fp1"
    assert recording.results[0]["id"] == investigation_id
    assert sorted(routed) == ["broken: not delivered: chat service down", "recording: delivered",
                              "webhook: delivered"]
    assert 'holmes_route_errors_total{route="broken"} 1.0' in metrics


def _routed(client: TestClient, investigation_id: str) -> list[str] | None:
    store = client.app.state.service.store  # type: ignore[attr-defined]
    messages = [event.message for event in store.events(investigation_id) if event.kind == "routed"]
    return messages if len(messages) == 3 else None


def test_webhook_route_retries_server_errors() -> None:
    flaky = Receiver(statuses=[503, 500])
    try:
        WebhookRoute(flaky.url, backoff_s=0.01)({"id": "x"})
        assert flaky.bodies == [{"id": "x"}]
    finally:
        flaky.close()


def test_webhook_route_gives_up_with_one_line() -> None:
    down = Receiver(statuses=[503, 503, 503])
    try:
        with pytest.raises(RuntimeError, match=r"HTTP 503 after 3 attempts"):
            WebhookRoute(down.url, backoff_s=0.01)({"id": "x"})
    finally:
        down.close()
