"""Reading model replies: native tool calls, JSON in text (fenced or bare), answers in lenient shapes."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage

from holmes.agent.protocol import first_json, read_confidence, read_reply


def test_native_tool_calls_are_read_with_their_ids():
    reply = read_reply(AIMessage(content="", tool_calls=[{"name": "kubernetes_events", "args": {"namespace": "llm"},
                                                          "id": "call_1"}]))
    assert reply.native and reply.calls[0].tool == "kubernetes_events" and reply.calls[0].native_id == "call_1"


def test_native_calls_with_broken_arguments_become_calls_with_a_problem():
    message = AIMessage(content="", invalid_tool_calls=[{"name": "kubernetes_logs", "args": "{namespace: llm",
                                                         "id": "call_2", "error": "bad json"}])
    reply = read_reply(message)
    assert reply.calls[0].problem is not None and "not valid JSON" in reply.calls[0].problem
    assert reply.calls[0].native_id == "call_2"


@pytest.mark.parametrize("text", [
    '```json\n{"tool_calls": [{"tool": "kubernetes_events", "params": {"namespace": "llm"}}]}\n```',
    'I will check events. {"tool": "kubernetes_events", "params": {"namespace": "llm"}}',
    '[{"name": "kubernetes_events", "arguments": "{\\"namespace\\": \\"llm\\"}"}]',
    '{"tool_calls": [{"function": {"name": "kubernetes_events", "arguments": {"namespace": "llm"}}}]}',
])
def test_tool_calls_written_as_json_text_in_common_shapes(text):
    reply = read_reply(AIMessage(content=text))
    assert not reply.native and reply.problem is None
    assert [(c.tool, c.params) for c in reply.calls] == [("kubernetes_events", {"namespace": "llm"})]


@pytest.mark.parametrize("text", [
    '{"root_cause": "runtime.nccl_shm_too_small", "confidence": 0.7, "evidence": [{"call_id": "t3", '
    '"excerpt": "/dev/shm"}], "remediation": "mount a Memory emptyDir at /dev/shm"}',
    'Final answer:\n```\n{"answer": {"root_cause": "runtime.nccl_shm_too_small", "confidence": "70%", '
    '"evidence": ["t3: /dev/shm"], "remediation": ["mount a Memory emptyDir at /dev/shm"]}}\n```',
])
def test_answers_in_lenient_shapes(text):
    reply = read_reply(AIMessage(content=text))
    assert reply.answer is not None
    assert reply.answer.root_cause == "runtime.nccl_shm_too_small"
    assert reply.answer.confidence == pytest.approx(0.7)
    assert [(e.call_id, e.excerpt) for e in reply.answer.evidence] == [("t3", "/dev/shm")]
    assert reply.answer.remediation == ["mount a Memory emptyDir at /dev/shm"]


@pytest.mark.parametrize(("content", "problem"), [
    ("", "empty"),
    ("   \n", "empty"),
    ("The pod is pending because of a taint.", "no JSON object"),
    ('{"thoughts": "hmm"}', "neither tool calls nor an answer"),
    ('{"root_cause": null, "confidence": 2}', None),  # root_cause null -> "" is still an answer shape
])
def test_unusable_replies_say_why(content, problem):
    reply = read_reply(AIMessage(content=content))
    if problem is None:
        assert reply.answer is not None and reply.answer.root_cause == "" and reply.answer.confidence == 0.02
    else:
        assert reply.problem is not None and problem in reply.problem and not reply.calls and reply.answer is None


def test_first_json_skips_braces_that_are_not_json():
    assert first_json('pod {nvidia.com/gpu: present} then {"tool": "x"}') == {"tool": "x"}
    assert first_json("no json here") is None


@pytest.mark.parametrize(("value", "expected"), [(0.8, 0.8), ("0.8", 0.8), ("80%", 0.8), (80, 0.8), ("high", 0.8),
                                                 ("banana", 0.5), (None, 0.5), (-1, 0.0), (250, 1.0)])
def test_confidence_in_any_common_form(value, expected):
    assert read_confidence(value) == pytest.approx(expected)
