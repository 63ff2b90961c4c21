"""The diagnosis in Block Kit: root cause and confidence first, evidence collapsed (full list as a file), footer."""

from __future__ import annotations

from typing import Any

from holmes.domain import Diagnosis, Evidence, Finding, Usage
from holmes.slack.blocks import diagnosis_messages, evidence_file

from .conftest import Serve
from .stub import SlackWebApiStub
from .support import CHANNEL, ScriptedInvestigator, event_body, mention, signed


def long_diagnosis() -> Diagnosis:
    return Diagnosis(
        root_cause="model.kv_cache_no_memory", title="No memory left for the KV cache", confidence=0.82,
        summary="vLLM could not allocate KV cache blocks. <!channel> " + "detail " * 1200,
        evidence=[Evidence(tool="kubernetes_logs", call_id=f"c{number}", excerpt=f"line {number}: " + "e" * 500)
                  for number in range(60)],
        remediation=[f"step {number}: " + "r" * 200 for number in range(120)],
        alternatives=[Finding(root_cause="model.gpu_oom", confidence=0.3, title="CUDA OOM")],
        gaps=["prometheus: no URL configured"], source="agent", degraded=True,
        usage=Usage(steps=4, tool_calls=9, input_tokens=12345, output_tokens=678, cost=0.0123, wall_s=42.5))


def view_of(diagnosis: Diagnosis) -> dict[str, Any]:
    return {"id": "0190abcdef12deadbeef", "status": "completed", "diagnosis": diagnosis.model_dump(mode="json")}


def texts(message: dict[str, Any]) -> list[str]:
    found = []
    for block in message["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [element.get("text", "") for element in block.get("elements", []) if isinstance(element.get("text"),
                                                                                                   str)]
    return found


def test_root_cause_and_confidence_come_first_and_the_footer_counts_the_work() -> None:
    out = diagnosis_messages(view_of(long_diagnosis()))
    first = out[0]["blocks"]
    assert first[0] == {"type": "header", "text": {"type": "plain_text", "text": "No memory left for the KV cache",
                                                   "emoji": True}}
    assert first[1]["text"]["text"].startswith("*Root cause:* `model.kv_cache_no_memory`\n*Confidence:* 82% (high)")
    assert "degraded" in first[1]["text"]["text"]
    footer = next(text for message in out for text in texts(message) if "tool calls" in text)
    for part in ("4 steps", "9 tool calls", "12,345 in / 678 out tokens", "$0.0123", "42.5 s", "LLM agent",
                 "degraded", "0190abcdef12deadbeef"):
        assert part in footer
    assert out[0]["text"] == "model.kv_cache_no_memory: No memory left for the KV cache (confidence 82%)"


def test_long_content_is_split_within_slack_limits_with_the_buttons_last() -> None:
    out = diagnosis_messages(view_of(long_diagnosis()))
    assert len(out) >= 2
    assert all(len(message["blocks"]) <= 50 for message in out)
    assert all(len(block["text"]["text"]) <= 3000 for message in out for block in message["blocks"]
               if block["type"] == "section")
    assert out[-1]["blocks"][-1]["type"] == "actions"
    assert [b for message in out[:-1] for b in message["blocks"] if b["type"] == "actions"] == []
    every = "\n".join(text for message in out for text in texts(message))
    assert "step 119:" in every, "nothing is dropped"
    assert "&lt;!channel&gt;" in every and "<!channel>" not in every


def test_evidence_shows_a_few_items_and_the_file_holds_them_all() -> None:
    view = view_of(long_diagnosis())
    every = "\n".join(text for message in diagnosis_messages(view) for text in texts(message))
    assert "*Evidence* (5 of 60)" in every and "line 4:" in every and "line 5:" not in every
    content = evidence_file(view)
    assert content is not None and all(f"line {number}: " + "e" * 500 in content for number in range(60))


def test_short_evidence_needs_no_file() -> None:
    short = Diagnosis(root_cause="unknown", evidence=[Evidence(tool="kubernetes_events", excerpt="FailedScheduling")])
    assert evidence_file(view_of(short)) is None


def test_a_long_diagnosis_posts_every_part_in_the_thread_and_uploads_the_evidence(serve: Serve,
                                                                                   stub: SlackWebApiStub) -> None:
    client, _bot = serve(ScriptedInvestigator(diagnosis=long_diagnosis()))
    ts = stub.seed(CHANNEL, "<@UHOLMES> why is pod llm/vllm-0 crashing")
    client.post("/slack/events", **signed(event_body(mention("why is pod llm/vllm-0 crashing", ts=ts))))
    completed = stub.wait_for(lambda: stub.calls_to("files.completeUploadExternal"), what="the evidence upload")[0]
    assert completed["channel_id"] == CHANNEL and completed["thread_ts"] == ts
    asked = stub.calls_to("files.getUploadURLExternal")[0]
    assert asked["filename"].startswith("holmes-evidence-")
    uploaded = b"".join(stub.uploads.values()).decode()
    assert int(asked["length"]) == len(uploaded.encode()) and "line 59: " in uploaded
    posted = [m for m in stub.thread(CHANNEL, ts) if m.blocks]
    assert len(posted) >= 2, "accepted by the stub's Slack limits, so split"
    assert posted[-1].blocks[-1]["type"] == "actions"
