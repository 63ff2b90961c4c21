"""`holmes slack` and `holmes serve` with Slack, as real processes: one-line errors, and answers end to end."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from .socket_stub import SlackSocketModeStub
from .stub import SlackWebApiStub
from .support import CHANNEL, SECRET, event_body, mention, signed
from .test_asking import pod_question_bundle

HOLMES = str(Path(sys.executable).with_name("holmes"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("HOLMES_")}


def config_file(tmp_path: Path, slack: dict[str, Any]) -> Path:
    path = tmp_path / "holmes.yaml"
    path.write_text(yaml.safe_dump({"slack": slack}), encoding="utf-8")
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HOLMES, *args], capture_output=True, text=True, timeout=120, env=environment())


@pytest.mark.parametrize(("slack", "message"), [
    ({}, "slack.bot_token is not set"),
    ({"bot_token": "xoxp-a-user-token", "app_token": "xapp-test"}, "slack.bot_token: not a bot token"),
    ({"bot_token": "xoxb-test"}, "slack.app_token is not set: socket mode needs an app-level token"),
])
def test_holmes_slack_with_missing_or_wrong_tokens_fails_in_one_line(tmp_path: Path, slack: dict[str, Any],
                                                                     message: str) -> None:
    result = run("slack", "--config", str(config_file(tmp_path, slack)), "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 2
    assert result.stderr.startswith(f"holmes: error: {message}") and result.stderr.count("\n") == 1


def test_holmes_slack_with_a_token_slack_refuses_fails_in_one_line(tmp_path: Path, stub: SlackWebApiStub) -> None:
    slack = {"bot_token": "xoxb-revoked", "app_token": "xapp-test", "base_url": stub.base_url}
    result = run("slack", "--config", str(config_file(tmp_path, slack)), "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 2
    assert result.stderr == "holmes: error: slack.bot_token: Slack refused it (invalid_auth)\n"


def test_holmes_serve_with_slack_tokens_but_no_connection_mode_fails_in_one_line(tmp_path: Path) -> None:
    result = run("serve", "--config", str(config_file(tmp_path, {"bot_token": "xoxb-test"})), "--port",
                 str(free_port()), "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 2
    assert result.stderr.startswith("holmes: error: slack: set slack.signing_secret (HTTP mode")
    assert result.stderr.count("\n") == 1


class Process:
    """A holmes command in the background, its output in a log file."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.log = tmp_path / f"holmes-{args[0]}.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen([HOLMES, *args], stdout=out, stderr=subprocess.STDOUT, env=environment())

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"holmes exited with {self.process.returncode}: {self.text()[-3000:]}")
        return True

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        if process.process.poll() is None:
            process.process.kill()
            process.process.wait(10)


def test_holmes_serve_answers_a_signed_mention_at_slack_events(tmp_path: Path, stub: SlackWebApiStub,
                                                               processes: list[Process]) -> None:
    bundle, spec = pod_question_bundle()
    assert spec.trigger.subject is not None
    port = free_port()
    config = config_file(tmp_path, {"bot_token": "xoxb-test", "signing_secret": SECRET, "base_url": stub.base_url})
    serve = Process(tmp_path, "serve", "--config", str(config), "--port", str(port), "--data-dir",
                    str(tmp_path / "data"), "--bundle", str(bundle), "--workers", "1", "--no-llm")
    processes.append(serve)
    url = f"http://127.0.0.1:{port}"
    stub.wait_for(lambda: serve.alive() and _ready(url), timeout=120, what="holmes serve")
    assert "Slack app on (events at /slack/events)" in serve.text()

    text = f"{spec.trigger.subject.ref()}: {spec.trigger.question}"
    ts = stub.seed(CHANNEL, f"<@UHOLMES> {text}")
    request = signed(event_body(mention(text, ts=ts)))
    response = httpx.post(f"{url}/slack/events", content=request["content"], headers=request["headers"], timeout=10)
    assert response.status_code == 200
    answer = stub.wait_for(lambda: [m for m in stub.thread(CHANNEL, ts) if m.blocks], timeout=120, what="the answer")
    assert f"`{spec.expected.root_cause}`" in answer[0].blocks[1]["text"]["text"]
    assert serve.stop() == 0


def test_holmes_slack_answers_over_socket_mode_and_stops_on_sigterm(tmp_path: Path, stub: SlackWebApiStub,
                                                                    processes: list[Process]) -> None:
    socket_stub = SlackSocketModeStub().start()
    stub.socket_url = socket_stub.url
    try:
        bundle, spec = pod_question_bundle()
        assert spec.trigger.subject is not None
        config = config_file(tmp_path, {"bot_token": "xoxb-test", "app_token": "xapp-test", "base_url": stub.base_url})
        slack = Process(tmp_path, "slack", "--config", str(config), "--data-dir", str(tmp_path / "data"), "--bundle",
                        str(bundle), "--workers", "1", "--no-llm")
        processes.append(slack)
        stub.wait_for(lambda: slack.alive() and "connected to Slack in socket mode" in slack.text(), timeout=120,
                      what="holmes slack to connect")
        socket_stub.wait_connected()
        text = f"{spec.trigger.subject.ref()}: {spec.trigger.question}"
        ts = stub.seed(CHANNEL, f"<@UHOLMES> {text}")
        socket_stub.send("events_api", json.loads(event_body(mention(text, ts=ts))), "env-cli")
        answer = stub.wait_for(lambda: [m for m in stub.thread(CHANNEL, ts) if m.blocks], timeout=120,
                               what="the answer")
        assert f"`{spec.expected.root_cause}`" in answer[0].blocks[1]["text"]["text"]
        assert [ack["envelope_id"] for ack in socket_stub.acks] == ["env-cli"]
        assert slack.stop() == 0
    finally:
        socket_stub.stop()


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
