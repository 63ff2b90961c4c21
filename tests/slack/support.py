"""Helpers of the Slack tests: signed requests as Slack sends them, payload builders, a scripted investigator."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from holmes.domain import Diagnosis, Evidence, Trigger

SECRET = "test-signing-secret"
CHANNEL = "C0LLMOPS"
USER = "UASKER"


def signed(body: str, secret: str = SECRET, timestamp: int | None = None, content_type: str = "application/json",
           **extra: str) -> dict[str, Any]:
    """Keyword arguments for TestClient.post: the body and Slack's v0 signature headers."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}",
               **extra}
    return {"content": body.encode(), "headers": headers}


def event_body(event: dict[str, Any], event_id: str = "Ev0001") -> str:
    """An Events API callback envelope."""
    return json.dumps({"token": "legacy", "team_id": "T0001", "api_app_id": "A0001", "type": "event_callback",
                       "event_id": event_id, "event_time": int(time.time()), "authorizations": [
                           {"team_id": "T0001", "user_id": "UHOLMES", "is_bot": True}], "event": event})


def mention(text: str, ts: str, channel: str = CHANNEL, user: str = USER, thread_ts: str | None = None
            ) -> dict[str, Any]:
    event = {"type": "app_mention", "user": user, "text": f"<@UHOLMES> {text}", "ts": ts, "channel": channel,
             "event_ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def command_body(text: str, channel: str = CHANNEL, user: str = USER) -> str:
    """A slash command as Slack posts it: a form."""
    return urlencode({"token": "legacy", "team_id": "T0001", "channel_id": channel, "channel_name": "llm-ops",
                      "user_id": user, "user_name": "asker", "command": "/holmes", "text": text,
                      "response_url": "https://hooks.slack.invalid/commands/1", "trigger_id": "T.1",
                      "api_app_id": "A0001"})


def interaction_body(payload: dict[str, Any]) -> str:
    """Block actions and view submissions arrive as a form with one `payload` field of JSON."""
    return urlencode({"payload": json.dumps(payload)})


class ScriptedInvestigator:
    """Test double for the investigation: reports scripted progress lines, waits when told, returns a set diagnosis."""

    def __init__(self, diagnosis: Diagnosis | None = None, lines: tuple[str, ...] = ("read pod llm/vllm-0",),
                 hold: bool = False) -> None:
        self.diagnosis = diagnosis or Diagnosis(root_cause="scheduling.insufficient_gpu", title="Not enough GPUs",
                                                summary="No node has a free GPU.", confidence=0.8,
                                                evidence=[Evidence(tool="kubernetes_events", excerpt="0/3 nodes")])
        self.lines = lines
        self.calls: list[Trigger] = []
        self.release = threading.Event()
        self.progressed = threading.Event()
        if not hold:
            self.release.set()
        self.say: Callable[[str], None] | None = None

    def __call__(self, trigger: Trigger, progress: Callable[[str], None]) -> Diagnosis:
        self.calls.append(trigger)
        self.say = progress
        for line in self.lines:
            progress(line)
        self.progressed.set()
        self.release.wait(30)
        return self.diagnosis.model_copy(deep=True)
