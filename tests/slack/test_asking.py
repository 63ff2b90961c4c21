"""Asking in Slack: a mention, a DM or /holmes becomes an investigation answered in the thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from holmes.bundle.loader import load_spec
from holmes.bundle.model import IncidentSpec
from holmes.paths import builtin_incidents
from holmes.service.investigator import open_investigator
from holmes.slack.limits import escape
from holmes.slack.threads import SlackThread

from .conftest import Serve
from .stub import Message, SlackWebApiStub
from .support import CHANNEL, ScriptedInvestigator, command_body, event_body, mention, signed


def pod_question_bundle() -> tuple[Path, IncidentSpec]:
    """The first recorded incident (by name) asked about a pod, with a known root cause and no metrics to serve."""
    for directory in sorted(builtin_incidents().iterdir()):
        if not (directory / "incident.yaml").is_file() or (directory / "metrics").is_dir():
            continue
        spec = load_spec(directory)
        subject = spec.trigger.subject
        if subject is not None and subject.kind == "pod" and spec.trigger.question and \
                spec.expected.root_cause != "unknown":
            return directory, spec
    raise AssertionError(f"no recorded incident with a pod question in {builtin_incidents()}")


def answers(stub: SlackWebApiStub, thread_ts: str) -> list[Message]:
    return [message for message in stub.thread(CHANNEL, thread_ts) if message.blocks]


def buttons(messages: list[Message]) -> list[dict[str, Any]]:
    return [element for message in messages for block in message.blocks if block["type"] == "actions"
            for element in block["elements"]]


def test_mention_investigates_a_recorded_incident_and_answers_in_the_thread(serve: Serve, stub: SlackWebApiStub,
                                                                            settings_for: Any) -> None:
    bundle, spec = pod_question_bundle()
    assert spec.trigger.subject is not None and spec.trigger.question
    settings = settings_for()
    with open_investigator(settings, bundle, use_llm=False) as investigator:
        client, _bot = serve(investigator, settings)
        text = f"{spec.trigger.subject.ref()}: {spec.trigger.question}"
        ts = stub.seed(CHANNEL, f"<@UHOLMES> {text}")
        response = client.post("/slack/events", **signed(event_body(mention(text, ts=ts))))
        assert response.status_code == 200
        stub.wait_for(lambda: buttons(answers(stub, ts)), timeout=120, what="the diagnosis with feedback buttons")

    posted = stub.calls_to("chat.postMessage")
    assert posted and all(call.get("thread_ts") == ts for call in posted), "everything is posted in the thread"
    acknowledgement = stub.thread(CHANNEL, ts)[1]
    assert "On it" in posted[0]["text"] and escape(spec.trigger.subject.ref()) in posted[0]["text"]
    updates = [call for call in stub.calls_to("chat.update") if call["ts"] == acknowledgement.ts]
    assert updates, "the acknowledgement is the progress message, updated"

    diagnosis = answers(stub, ts)
    first = diagnosis[0].blocks
    assert first[0]["type"] == "header"
    assert f"`{spec.expected.root_cause}`" in first[1]["text"]["text"] and "Confidence" in first[1]["text"]["text"]
    assert any(block["type"] == "context" and "tool calls" in block["elements"][0]["text"]
               for message in diagnosis for block in message.blocks)
    investigation_id = buttons(diagnosis)[0]["value"]
    assert {button["action_id"] for button in buttons(diagnosis)} == {"holmes_feedback_correct",
                                                                      "holmes_feedback_wrong"}

    stored = client.get(f"/api/v1/investigations/{investigation_id}").json()
    assert stored["status"] == "completed"
    assert stored["diagnosis"]["root_cause"] == spec.expected.root_cause
    assert stored["trigger"]["subject"]["name"] == spec.trigger.subject.name
    recorded = [SlackThread.from_json(event.message) for event in
                client.app.state.service.require_store().events(investigation_id) if event.kind == "slack"]
    assert recorded == [SlackThread(channel=CHANNEL, thread_ts=ts, progress_ts=acknowledgement.ts, user="UASKER")]
    assert "Done" in updates[-1]["text"] and f"`{spec.expected.root_cause}`" in updates[-1]["text"]


@pytest.fixture
def scripted() -> ScriptedInvestigator:
    return ScriptedInvestigator()


def test_slash_command_acks_at_once_and_opens_a_thread_for_the_answer(serve: Serve, stub: SlackWebApiStub,
                                                                      scripted: ScriptedInvestigator) -> None:
    client, _bot = serve(scripted)
    response = client.post("/slack/events", **signed(command_body("why is pod llm/vllm-0 pending"),
                                                     content_type="application/x-www-form-urlencoded"))
    assert response.status_code == 200
    assert response.text in ("", "null")  # a bare ack: nothing ephemeral to show
    root = stub.wait_for(lambda: [m for m in stub.messages.values() if m.thread_ts is None], what="the root message")[0]
    assert "<@UASKER> asked: why is pod llm/vllm-0 pending" in root.text
    stub.wait_for(lambda: buttons(answers(stub, root.ts)), what="the diagnosis in the command's thread")
    assert scripted.calls[0].subject is not None and scripted.calls[0].subject.ref() == "pod llm/vllm-0"


def test_follow_up_in_the_thread_carries_the_earlier_subject_and_exchange(serve: Serve, stub: SlackWebApiStub,
                                                                          scripted: ScriptedInvestigator) -> None:
    client, _bot = serve(scripted)
    root = stub.seed(CHANNEL, "<@UHOLMES> why is pod llm/vllm-0 pending?")
    client.post("/slack/events", **signed(event_body(mention("why is pod llm/vllm-0 pending?", ts=root), "Ev1")))
    stub.wait_for(lambda: buttons(answers(stub, root)), what="the first answer")

    follow_up = stub.seed(CHANNEL, "<@UHOLMES> and is its node healthy?", thread_ts=root)
    client.post("/slack/events", **signed(event_body(mention("and is its node healthy?", ts=follow_up,
                                                             thread_ts=root), "Ev2")))
    stub.wait_for(lambda: len(scripted.calls) == 2 and len(buttons(answers(stub, root))) == 4, what="the second answer")

    assert stub.calls_to("conversations.replies")[-1]["ts"] == root
    second = scripted.calls[1]
    assert second.subject is not None and second.subject.ref() == "pod llm/vllm-0"
    assert second.question is not None and second.question.startswith("and is its node healthy?")
    assert "Earlier in this Slack thread" in second.question and "why is pod llm/vllm-0 pending?" in second.question
    assert "scheduling.insufficient_gpu" in second.question  # holmes' own earlier answer is part of the history


def test_direct_message_is_answered_in_its_thread(serve: Serve, stub: SlackWebApiStub,
                                                  scripted: ScriptedInvestigator) -> None:
    client, _bot = serve(scripted)
    dm = "D0DIRECT"
    ts = stub.seed(dm, "why is pod llm/vllm-0 pending")
    event = {"type": "message", "channel_type": "im", "channel": dm, "user": "UASKER", "text": "why is pod llm/vllm-0 "
             "pending", "ts": ts, "event_ts": ts}
    client.post("/slack/events", **signed(event_body(event)))
    stub.wait_for(lambda: [m for m in stub.thread(dm, ts) if m.blocks], what="the answer in the DM thread")
    assert scripted.calls[0].subject is not None and scripted.calls[0].subject.name == "vllm-0"


def test_bot_messages_and_channel_chatter_are_not_questions(serve: Serve, stub: SlackWebApiStub,
                                                            scripted: ScriptedInvestigator) -> None:
    client, _bot = serve(scripted)
    events = [
        {"type": "message", "channel_type": "im", "channel": "D0DIRECT", "bot_id": "BOTHER", "text": "hi",
         "ts": "1.1"},
        {"type": "message", "channel_type": "channel", "channel": CHANNEL, "user": "UASKER", "text": "pod a/b?",
         "ts": "1.2"},
        {"type": "message", "subtype": "message_changed", "channel_type": "im", "channel": "D0DIRECT", "ts": "1.3"},
    ]
    for number, event in enumerate(events):
        assert client.post("/slack/events", **signed(event_body(event, f"EvQuiet{number}"))).status_code == 200
    client.post("/slack/events", **signed(event_body(mention("why is pod llm/vllm-0 pending", ts="2.0"), "EvLast")))
    stub.wait_for(lambda: scripted.calls, what="the one real question")
    assert len(scripted.calls) == 1
