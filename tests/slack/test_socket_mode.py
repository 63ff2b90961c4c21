"""Socket mode (`holmes slack`): events arrive over the WebSocket, are acknowledged, and answered in the thread."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from holmes.config import Settings
from holmes.service.app import create_app
from holmes.service.runtime import Tuning
from holmes.slack.bot import SlackTuning
from holmes.slack.http import mount_slack
from holmes.slack.socket_mode import link_socket_mode, run_socket_mode

from .socket_stub import SlackSocketModeStub
from .stub import SlackWebApiStub
from .support import CHANNEL, ScriptedInvestigator, event_body, mention


@pytest.fixture
def socket_stub(stub: SlackWebApiStub) -> Iterator[SlackSocketModeStub]:
    server = SlackSocketModeStub().start()
    stub.socket_url = server.url
    yield server
    server.stop()


def test_mention_over_socket_mode_is_acknowledged_and_answered_in_the_thread(
        tmp_path: Path, stub: SlackWebApiStub, socket_stub: SlackSocketModeStub) -> None:
    settings = Settings(service={"data_dir": str(tmp_path / "data")},
                        slack={"bot_token": "xoxb-test", "app_token": "xapp-test", "base_url": stub.base_url})
    investigator = ScriptedInvestigator()
    stopping = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            run_socket_mode(settings, link_socket_mode(settings), investigator, stopping,
                            tuning=SlackTuning(progress_interval_s=0, poll_s=0.05), service_tuning=Tuning(poll_s=0.05))
        except BaseException as exc:
            errors.append(exc)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    try:
        socket_stub.wait_connected()
        ts = stub.seed(CHANNEL, "<@UHOLMES> why is pod llm/vllm-0 pending")
        payload: dict[str, Any] = json.loads(event_body(mention("why is pod llm/vllm-0 pending", ts=ts)))
        socket_stub.send("events_api", payload, "env-1")
        stub.wait_for(lambda: [m for m in stub.thread(CHANNEL, ts) if m.blocks], what="the answer")
        stub.wait_for(lambda: socket_stub.acks, what="the envelope acknowledgement")
    finally:
        stopping.set()
        runner.join(20)
    assert errors == []
    assert socket_stub.acks[0]["envelope_id"] == "env-1"
    assert stub.calls_to("apps.connections.open"), "the app token opened the connection"
    assert investigator.calls[0].subject is not None and investigator.calls[0].subject.ref() == "pod llm/vllm-0"


def test_serve_runs_socket_mode_alongside_the_api_when_an_app_token_is_set(
        tmp_path: Path, stub: SlackWebApiStub, socket_stub: SlackSocketModeStub) -> None:
    settings = Settings(service={"data_dir": str(tmp_path / "data")},
                        slack={"bot_token": "xoxb-test", "app_token": "xapp-test", "base_url": stub.base_url})
    app = create_app(settings, ScriptedInvestigator(), tuning=Tuning(poll_s=0.05))
    assert mount_slack(app, settings, SlackTuning(progress_interval_s=0, poll_s=0.05)) is not None
    with TestClient(app) as client:
        socket_stub.wait_connected()
        assert client.post("/slack/events", content=b"{}").status_code == 404, "no signing secret, no HTTP endpoint"
        ts = stub.seed(CHANNEL, "<@UHOLMES> why is pod llm/vllm-0 pending")
        socket_stub.send("events_api", json.loads(event_body(mention("why is pod llm/vllm-0 pending", ts=ts))), "e1")
        stub.wait_for(lambda: [m for m in stub.thread(CHANNEL, ts) if m.blocks], what="the answer")
        assert client.get("/api/v1/investigations").json()["count"] == 1
