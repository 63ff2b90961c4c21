"""HTTP mode: Slack's requests reach the Bolt app through the service's FastAPI app, signatures checked."""

from __future__ import annotations

import json
import time

from .conftest import Serve
from .stub import SlackWebApiStub
from .support import CHANNEL, ScriptedInvestigator, event_body, mention, signed


def test_url_verification_with_a_valid_signature_returns_the_challenge(serve: Serve) -> None:
    client, _bot = serve(ScriptedInvestigator())
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "legacy"})
    response = client.post("/slack/events", **signed(body))
    assert response.status_code == 200
    assert response.json() == {"challenge": "c-123"}


def test_bad_signature_is_refused_with_401_and_nothing_is_asked(serve: Serve, stub: SlackWebApiStub) -> None:
    investigator = ScriptedInvestigator()
    client, _bot = serve(investigator)
    body = event_body(mention("why is pod llm/vllm-0 pending", ts="1718000001.000001"))
    response = client.post("/slack/events", **signed(body, secret="not-the-secret"))
    assert response.status_code == 401
    time.sleep(0.3)
    assert stub.calls_to("chat.postMessage") == []
    assert investigator.calls == []


def test_stale_timestamp_is_refused_even_with_a_matching_signature(serve: Serve, stub: SlackWebApiStub) -> None:
    client, _bot = serve(ScriptedInvestigator())
    body = event_body(mention("why is pod llm/vllm-0 pending", ts="1718000001.000001"))
    six_minutes_ago = int(time.time()) - 6 * 60
    response = client.post("/slack/events", **signed(body, timestamp=six_minutes_ago))
    assert response.status_code == 401
    time.sleep(0.3)
    assert stub.calls_to("chat.postMessage") == []


def test_a_retried_event_is_acknowledged_but_answered_once(serve: Serve, stub: SlackWebApiStub) -> None:
    investigator = ScriptedInvestigator()
    client, _bot = serve(investigator)
    ts = stub.seed(CHANNEL, "<@UHOLMES> why is pod llm/vllm-0 pending")
    body = event_body(mention("why is pod llm/vllm-0 pending", ts=ts), event_id="EvRETRY")
    first = client.post("/slack/events", **signed(body))
    retry = client.post("/slack/events", **signed(body, **{"X-Slack-Retry-Num": "1",
                                                           "X-Slack-Retry-Reason": "http_timeout"}))
    assert first.status_code == 200
    assert retry.status_code == 200
    stub.wait_for(lambda: len([m for m in stub.thread(CHANNEL, ts) if m.blocks]) >= 1, what="the diagnosis")
    time.sleep(0.3)
    assert len(investigator.calls) == 1
    acknowledgements = [call for call in stub.calls_to("chat.postMessage") if "On it" in call.get("text", "")]
    assert len(acknowledgements) == 1


def test_a_body_that_is_not_slack_json_or_form_is_refused(serve: Serve) -> None:
    client, _bot = serve(ScriptedInvestigator())
    response = client.post("/slack/events", **signed("{not json"))
    assert response.status_code == 400
