"""The progress message: updated as the investigation's progress events arrive, throttled, finished by the result."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from holmes.domain import Trigger
from holmes.service.runtime import Tuning
from holmes.service.store import EventRecord
from holmes.slack.bot import SlackTuning
from holmes.slack.progress import ProgressMessage
from holmes.slack.threads import SlackThread

from .conftest import Serve
from .stub import Message, SlackWebApiStub
from .support import CHANNEL, ScriptedInvestigator, event_body, mention, signed


class RecordingClient:
    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []

    def chat_update(self, **params: Any) -> dict[str, Any]:
        self.updates.append(params)
        return {"ok": True}


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def event(number: int, kind: str, message: str) -> EventRecord:
    return EventRecord(id=number, investigation_id="i1", at=datetime.now(UTC), kind=kind, message=message)


def ask(client: TestClient, stub: SlackWebApiStub, event_id: str = "Ev1") -> str:
    ts = stub.seed(CHANNEL, "<@UHOLMES> why is pod llm/vllm-0 pending")
    client.post("/slack/events", **signed(event_body(mention("why is pod llm/vllm-0 pending", ts=ts), event_id)))
    return ts


def diagnosis_messages(stub: SlackWebApiStub, ts: str) -> list[Message]:
    return [m for m in stub.thread(CHANNEL, ts) if m.blocks]


def test_progress_lines_update_the_message_while_the_investigation_runs(serve: Serve, stub: SlackWebApiStub) -> None:
    investigator = ScriptedInvestigator(lines=("read pod llm/vllm-0 (Pending)", "selected 2 runbook(s): <x> & y"),
                                        hold=True)
    client, _bot = serve(investigator)
    ts = ask(client, stub)
    progress_ts = stub.wait_for(lambda: stub.calls_to("chat.postMessage"), what="the acknowledgement")[0]
    ack = stub.thread(CHANNEL, ts)[1]
    stub.wait_for(lambda: "selected 2 runbook(s)" in stub.messages[(CHANNEL, ack.ts)].text, what="a progress update")
    running = stub.messages[(CHANNEL, ack.ts)].text
    assert "Investigating" in running and "pod llm/vllm-0" in running
    assert "&lt;x&gt; &amp; y" in running, "tool-derived text is escaped, never turned into links or mentions"
    assert diagnosis_messages(stub, ts) == [] and progress_ts["thread_ts"] == ts

    investigator.release.set()
    stub.wait_for(lambda: diagnosis_messages(stub, ts), what="the diagnosis")
    final = stub.wait_for(lambda: "Done" in stub.messages[(CHANNEL, ack.ts)].text and
                          stub.messages[(CHANNEL, ack.ts)].text, what="the final update")
    assert "`scheduling.insufficient_gpu`" in final


def test_updates_are_throttled_and_nothing_updates_after_the_finish() -> None:
    client, clock = RecordingClient(), FakeClock()
    thread = SlackThread(channel=CHANNEL, thread_ts="1.0", progress_ts="1.1")
    message = ProgressMessage(client, thread, Trigger(question="why?"), interval_s=3.0, clock=clock)  # type: ignore[arg-type]
    message.seen([event(1, "started", "attempt 1"), event(2, "progress", "read pod")])
    assert len(client.updates) == 1
    clock.now += 1
    message.seen([event(3, "progress", "ran 4 tool call(s)")])
    assert len(client.updates) == 1, "a second update within the interval waits"
    clock.now += 2.5
    message.tick()
    assert len(client.updates) == 2 and "ran 4 tool call(s)" in client.updates[-1]["text"]
    message.tick()
    assert len(client.updates) == 2, "nothing new, no update"
    assert message.seen([event(4, "finished", "unknown (confidence 0.00)")]) is True
    message.finish({"status": "completed", "diagnosis": {"root_cause": "unknown"}})
    clock.now += 10
    message.seen([event(5, "progress", "late line")])
    message.tick()
    assert len(client.updates) == 3 and "Done" in client.updates[-1]["text"]


def test_failed_investigation_is_reported_in_the_thread(serve: Serve, stub: SlackWebApiStub) -> None:
    class Failing:
        def __call__(self, trigger: Trigger, progress: Any) -> Any:
            raise ConnectionError("cluster unreachable")

    client, _bot = serve(Failing(), service_tuning=Tuning(poll_s=0.05, max_attempts=1))
    ts = ask(client, stub)
    failure = stub.wait_for(lambda: [m for m in stub.thread(CHANNEL, ts) if "failed" in m.text], what="the failure")
    assert "cluster unreachable" in failure[0].text
    ack = stub.thread(CHANNEL, ts)[1]
    stub.wait_for(lambda: "Failed" in stub.messages[(CHANNEL, ack.ts)].text, what="the progress message failed")


def test_a_restart_still_answers_in_the_thread_recorded_in_the_store(serve: Serve, stub: SlackWebApiStub,
                                                                     settings_for: Any) -> None:
    settings = settings_for()
    held = ScriptedInvestigator(hold=True)
    quick = Tuning(poll_s=0.05, shutdown_grace_s=0.2)
    first, _bot = serve(held, settings, service_tuning=quick)
    ts = ask(first, stub)
    held.progressed.wait(10)
    first.__exit__(None, None, None)  # holmes stops mid-investigation
    try:
        _second, _bot = serve(ScriptedInvestigator(), settings, SlackTuning(progress_interval_s=0.0, poll_s=0.05),
                             service_tuning=quick)
        stub.wait_for(lambda: diagnosis_messages(stub, ts), what="the answer after the restart")
        ack = stub.thread(CHANNEL, ts)[1]
        stub.wait_for(lambda: "Done" in stub.messages[(CHANNEL, ack.ts)].text, what="the progress message finished")
    finally:
        held.release.set()
    assert all(call.get("thread_ts") == ts for call in stub.calls_to("chat.postMessage"))
