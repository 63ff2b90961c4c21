"""ScriptedChatModel: a TEST DOUBLE for a chat model. It replies from a script and records every request.

Used by the loop-mechanics tests and the agent benchmark, where the point is the loop, not a model.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

Step = AIMessage | str | Callable[[list[BaseMessage]], AIMessage]


class ScriptedChatModel(BaseChatModel):
    """Test double: each call returns the next scripted reply (empty once the script runs out)."""

    script: list[Any] = Field(default_factory=list)
    requests: list[list[BaseMessage]] = Field(default_factory=list)
    bound_tools: list[dict[str, Any]] = Field(default_factory=list)
    delay_s: float = 0.0
    report_usage: bool = True

    @property
    def _llm_type(self) -> str:
        return "scripted-test-double"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        self.bound_tools = list(tools)
        return self.bind(tools=list(tools), **kwargs)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        self.requests.append(list(messages))
        if self.delay_s:
            time.sleep(self.delay_s)
        step = self.script.pop(0) if self.script else ""
        message = step(messages) if callable(step) else step
        if isinstance(message, str):
            message = AIMessage(content=message)
        if self.report_usage and message.usage_metadata is None:
            chars = sum(len(str(m.content)) for m in messages)
            message = message.model_copy(update={"usage_metadata": {
                "input_tokens": chars // 4, "output_tokens": max(len(str(message.content)) // 4, 1),
                "total_tokens": chars // 4 + max(len(str(message.content)) // 4, 1)}})
        return ChatResult(generations=[ChatGeneration(message=message)])


_ids = iter(range(1, 1_000_000))


def native_calls(*calls: tuple[str, dict[str, Any]]) -> AIMessage:
    """A reply with native tool calls, as a tool-calling model sends them."""
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"native-{next(_ids)}"}
                                             for name, args in calls])


def json_calls(*calls: tuple[str, dict[str, Any]], fenced: bool = True) -> str:
    """A reply with tool calls written as JSON text, as small models do."""
    body = json.dumps({"tool_calls": [{"tool": name, "params": args} for name, args in calls]})
    return f"Let me check.\n```json\n{body}\n```" if fenced else body


def answer(root_cause: str, evidence: list[tuple[str, str]] | None = None, confidence: float = 0.8,
           remediation: list[str] | None = None, summary: str = "scripted answer") -> str:
    return json.dumps({"root_cause": root_cause, "summary": summary, "confidence": confidence,
                       "evidence": [{"call_id": c, "excerpt": e} for c, e in evidence or []],
                       "remediation": remediation or ["fix it"]})


def sent_text(messages: list[BaseMessage]) -> str:
    """Everything a request carried, as one string (content and tool-call arguments)."""
    parts = []
    for message in messages:
        parts.append(str(message.content))
        parts += [json.dumps(call["args"]) for call in getattr(message, "tool_calls", []) or []]
    return "\n".join(parts)
