"""The in-process llama.cpp chat model: OpenAI-shaped completions become langchain messages, tools included."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from holmes.agent.llama_local import to_ai_message
from holmes.agent.models import build_chat_model
from holmes.config import LLMSettings


def completion(message: dict, usage: dict | None = None) -> dict:
    return {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": usage or {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}}


def test_a_text_completion_becomes_an_ai_message_with_usage():
    message = to_ai_message(completion({"role": "assistant", "content": "hello"}))
    assert message.content == "hello" and message.tool_calls == []
    assert message.usage_metadata == {"input_tokens": 12, "output_tokens": 3, "total_tokens": 15}


def test_tool_calls_are_parsed_and_broken_arguments_kept_as_invalid_calls():
    message = to_ai_message(completion({"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_a", "type": "function", "function": {"name": "kubernetes_events",
                                                          "arguments": '{"namespace": "llm"}'}},
        {"id": "call_b", "type": "function", "function": {"name": "kubernetes_logs", "arguments": "{pod: x"}},
    ]}))
    assert message.content == ""
    assert message.tool_calls == [{"name": "kubernetes_events", "args": {"namespace": "llm"}, "id": "call_a",
                                   "type": "tool_call"}]
    assert [(c["name"], c["id"]) for c in message.invalid_tool_calls] == [("kubernetes_logs", "call_b")]


@pytest.mark.llm
def test_the_packaged_gemma_model_answers_in_process():
    # CI installs the [local] extra; without it this fails rather than hiding that the provider is untested
    model = build_chat_model(LLMSettings(provider="local", context_window=1024, max_output_tokens=8))
    tools = [{"type": "function", "function": {"name": "kubernetes_events", "description": "Events of a pod.",
                                               "parameters": {"type": "object", "properties": {
                                                   "namespace": {"type": "string"}}, "required": ["namespace"]}}}]
    reply = model.bind_tools(tools).invoke([SystemMessage("You troubleshoot Kubernetes."),
                                            HumanMessage("Why is pod llm/vllm-0 pending?")])
    assert isinstance(reply.content, str)
    assert reply.usage_metadata is not None and reply.usage_metadata["input_tokens"] > 10
    assert reply.usage_metadata["output_tokens"] <= 8  # max_output_tokens reached the model
