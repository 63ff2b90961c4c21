"""Feedback buttons: "correct" and "wrong root cause" (optional reason in a modal), stored with the investigation."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from .conftest import Serve
from .stub import SlackWebApiStub
from .support import CHANNEL, ScriptedInvestigator, event_body, interaction_body, mention, signed

FORM = "application/x-www-form-urlencoded"


def answered(client: TestClient, stub: SlackWebApiStub) -> tuple[str, str, dict[str, Any]]:
    """Ask once; returns the thread, the investigation id and the diagnosis message carrying the buttons."""
    ts = stub.seed(CHANNEL, "<@UHOLMES> why is pod llm/vllm-0 pending")
    client.post("/slack/events", **signed(event_body(mention("why is pod llm/vllm-0 pending", ts=ts))))
    message = stub.wait_for(lambda: [m for m in stub.thread(CHANNEL, ts)
                                     if any(b["type"] == "actions" for b in m.blocks)], what="the diagnosis")[0]
    actions = next(b for b in message.blocks if b["type"] == "actions")
    return ts, actions["elements"][0]["value"], message.as_slack()


def click(action_id: str, investigation_id: str, message: dict[str, Any], user: str = "UREVIEWER") -> str:
    return interaction_body({
        "type": "block_actions", "trigger_id": "13345224609.738474920.8088930838d88f008e0", "team": {"id": "T0001"},
        "user": {"id": user}, "channel": {"id": CHANNEL}, "container": {"type": "message"}, "message": message,
        "api_app_id": "A0001", "response_url": "https://hooks.slack.invalid/actions/1",
        "actions": [{"action_id": action_id, "block_id": "holmes_feedback", "value": investigation_id,
                     "type": "button", "action_ts": "1718000100.1"}]})


def feedback_events(client: TestClient, investigation_id: str) -> list[dict[str, Any]]:
    store = client.app.state.service.require_store()  # type: ignore[attr-defined]
    return [json.loads(event.message) for event in store.events(investigation_id) if event.kind == "feedback"]


def test_correct_button_stores_the_verdict_and_thanks_the_user(serve: Serve, stub: SlackWebApiStub) -> None:
    client, _bot = serve(ScriptedInvestigator())
    thread_ts, investigation_id, message = answered(client, stub)
    response = client.post("/slack/events", **signed(click("holmes_feedback_correct", investigation_id, message),
                                                     content_type=FORM))
    assert response.status_code == 200
    stub.wait_for(lambda: feedback_events(client, investigation_id), what="the stored feedback")
    assert feedback_events(client, investigation_id) == [{"verdict": "correct", "reason": None, "user": "UREVIEWER"}]
    thanks = stub.wait_for(lambda: stub.calls_to("chat.postEphemeral"), what="the thanks")[0]
    assert thanks["user"] == "UREVIEWER" and thanks["thread_ts"] == thread_ts and "correct" in thanks["text"]


def test_wrong_button_opens_a_modal_whose_reason_is_stored(serve: Serve, stub: SlackWebApiStub) -> None:
    client, _bot = serve(ScriptedInvestigator())
    thread_ts, investigation_id, message = answered(client, stub)
    client.post("/slack/events", **signed(click("holmes_feedback_wrong", investigation_id, message), content_type=FORM))
    opened = stub.wait_for(lambda: stub.calls_to("views.open"), what="the modal")[0]
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    assert opened["trigger_id"].startswith("13345224609")
    assert feedback_events(client, investigation_id) == [], "nothing is stored before the modal is submitted"

    submission = interaction_body({
        "type": "view_submission", "team": {"id": "T0001"}, "user": {"id": "UREVIEWER"}, "api_app_id": "A0001",
        "trigger_id": "T.2", "view": {**view, "id": "V0001", "state": {"values": {
            "reason": {"reason_input": {"type": "plain_text_input", "value": "the node had no MIG profile"}}}}}})
    response = client.post("/slack/events", **signed(submission, content_type=FORM))
    assert response.status_code == 200
    stub.wait_for(lambda: feedback_events(client, investigation_id), what="the stored feedback")
    assert feedback_events(client, investigation_id) == [
        {"verdict": "wrong", "reason": "the node had no MIG profile", "user": "UREVIEWER"}]
    thanks = stub.wait_for(lambda: stub.calls_to("chat.postEphemeral"), what="the thanks")[0]
    assert thanks["thread_ts"] == thread_ts
    assert "holmes incident capture pod llm/vllm-0" in thanks["text"]


def test_feedback_for_an_unknown_investigation_is_not_stored(serve: Serve, stub: SlackWebApiStub) -> None:
    client, _bot = serve(ScriptedInvestigator())
    _thread, _investigation, message = answered(client, stub)
    client.post("/slack/events", **signed(click("holmes_feedback_correct", "000000000000deadbeef", message),
                                          content_type=FORM))
    reply = stub.wait_for(lambda: stub.calls_to("chat.postEphemeral"), what="the reply")[0]
    assert "no investigation `000000000000deadbeef`" in reply["text"]
