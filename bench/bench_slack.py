"""Slack answer latency of a real `holmes serve` (HTTP mode) against a recorded incident, Slack's Web API stubbed.

Target (2-core machine): Slack's 3-second rule with room to spare, i.e. the HTTP acknowledgement of a signed
app_mention p95 <= 300 ms, and the in-thread acknowledgement message p95 <= 1 s; the diagnosis time is reported.
Questions are asked one at a time (bounded count and time); the stub is tests/slack/stub.py (SlackWebApiStub).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import importlib.util
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
HOLMES = str(Path(sys.executable).with_name("holmes"))
SECRET = "bench-signing-secret"
CHANNEL = "C0BENCH"


def load_stub() -> Any:
    spec = importlib.util.spec_from_file_location("slack_web_api_stub", ROOT / "tests" / "slack" / "stub.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pod_bundle() -> tuple[Path, str]:
    """The first recorded incident asked about a pod (no metrics), and a question naming it."""
    sys.path.insert(0, str(ROOT))
    from holmes.bundle.loader import load_spec

    for directory in sorted((ROOT / "evals" / "incidents").iterdir()):
        if (directory / "incident.yaml").is_file() and not (directory / "metrics").is_dir():
            trigger = load_spec(directory).trigger
            if trigger.subject is not None and trigger.subject.kind == "pod" and trigger.question:
                return directory, f"{trigger.subject.ref()}: {trigger.question}"
    raise SystemExit("no recorded incident with a pod question")


def signed_mention(text: str, ts: str, number: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"type": "event_callback", "team_id": "T0001", "api_app_id": "A0001", "event_id": f"Ev{number}",
                       "event": {"type": "app_mention", "user": "UBENCH", "text": f"<@UHOLMES> {text}", "ts": ts,
                                 "channel": CHANNEL, "event_ts": ts}})
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode(), {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                           "X-Slack-Signature": f"v0={digest}"}


def wait(check: Any, timeout: float, what: str) -> float:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.005)
    return time.perf_counter()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=15)
    args = parser.parse_args()
    stub = load_stub().SlackWebApiStub().start()
    bundle, question = pod_bundle()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "holmes.yaml"
        slack = {"bot_token": "xoxb-test", "signing_secret": SECRET, "base_url": stub.base_url,
                 "rate_limit_per_minute": 0}  # the bench asks more than an engineer would
        config.write_text(yaml.safe_dump({"slack": slack}), encoding="utf-8")
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOLMES_")}
        log = open(Path(tmp) / "serve.log", "wb")  # noqa: SIM115 (closed with the directory)
        server = subprocess.Popen([HOLMES, "serve", "--config", str(config), "--port", str(port), "--data-dir",
                                   str(Path(tmp) / "data"), "--bundle", str(bundle), "--workers", "1", "--no-llm"],
                                  stdout=log, stderr=subprocess.STDOUT, env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            wait(lambda: _ready(url), 180, "holmes serve")
            http_ack, thread_ack, answered = [], [], []
            with httpx.Client(timeout=10) as client:
                for number in range(args.questions):
                    ts = stub.seed(CHANNEL, question)
                    body, headers = signed_mention(question, ts, number)
                    started = time.perf_counter()
                    response = client.post(f"{url}/slack/events", content=body, headers=headers)
                    http_ack.append(time.perf_counter() - started)
                    assert response.status_code == 200, response.text
                    acked = wait(lambda ts=ts: len(stub.thread(CHANNEL, ts)) >= 2, 30, "the acknowledgement")
                    thread_ack.append(acked - started)
                    done = wait(lambda ts=ts: any(m.blocks for m in stub.thread(CHANNEL, ts)), 120, "the diagnosis")
                    answered.append(done - started)
        except SystemExit:
            print((Path(tmp) / "serve.log").read_text(errors="replace")[-3000:], file=sys.stderr)
            print("Slack calls:", [call.method for call in stub.calls], file=sys.stderr)
            raise
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(60)
            log.close()
            stub.stop()
    for name, values in (("HTTP ack", http_ack), ("thread ack message", thread_ack), ("diagnosis posted", answered)):
        median, p95 = statistics.median(values) * 1000, percentile(values, 0.95) * 1000
        print(f"{name:20s} median {median:8.1f} ms   p95 {p95:8.1f} ms   (n={len(values)})")


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    main()
