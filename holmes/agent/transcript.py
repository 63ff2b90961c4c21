"""The conversation with the model: every message redacted on entry, token counts kept, old output elided to fit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from holmes.agent.redact import Redactor
from holmes.agent.tokens import TokenCounter


@dataclass
class Entry:
    message: BaseMessage
    tokens: int
    call_ids: tuple[str, ...] = ()  # tool outputs this message carries; such a message may be elided
    elided: bool = False


class Transcript:
    """Messages in order. The only way in is through the redactor."""

    def __init__(self, counter: TokenCounter, redactor: Redactor | None = None) -> None:
        self.counter = counter
        self.redactor = redactor or Redactor()
        self.entries: list[Entry] = []
        self._total = 0

    def system(self, text: str) -> None:
        self._add(SystemMessage(content=self.redactor.redact(text)))

    def human(self, text: str, call_ids: tuple[str, ...] = ()) -> None:
        self._add(HumanMessage(content=self.redactor.redact(text)), call_ids)

    def tool(self, native_id: str, text: str, call_ids: tuple[str, ...]) -> None:
        self._add(ToolMessage(content=self.redactor.redact(text), tool_call_id=native_id), call_ids)

    def ai(self, message: AIMessage) -> None:
        """The model's own turn, kept as sent back (content and arguments redacted, usage dropped)."""
        content = message.content if isinstance(message.content, str) else json.dumps(message.content)
        calls = [{**call, "args": self._redact_value(call["args"])} for call in message.tool_calls]
        invalid = [{**call, "args": self.redactor.redact(call.get("args") or "")}
                   for call in message.invalid_tool_calls]
        self._add(AIMessage(content=self.redactor.redact(content), tool_calls=calls, invalid_tool_calls=invalid))

    def messages(self) -> list[BaseMessage]:
        return [entry.message for entry in self.entries]

    def tokens(self) -> int:
        return self._total

    def elide_oldest_output(self) -> tuple[str, ...]:
        """Replace the oldest tool output still shown with a one-line pointer; return its call ids."""
        for entry in self.entries:
            if entry.call_ids and not entry.elided:
                ids = ", ".join(entry.call_ids)
                text = (f"[output of {ids} elided to fit the context window; repeat the call with narrower "
                        f"arguments if you need it]")
                message = entry.message
                replaced: BaseMessage = (ToolMessage(content=text, tool_call_id=message.tool_call_id)
                                         if isinstance(message, ToolMessage) else HumanMessage(content=text))
                self._total -= entry.tokens
                entry.message, entry.tokens, entry.elided = replaced, self.counter.count_message(text), True
                self._total += entry.tokens
                return entry.call_ids
        return ()

    def _add(self, message: BaseMessage, call_ids: tuple[str, ...] = ()) -> None:
        tokens = self.counter.count_message(message.content if isinstance(message.content, str) else "")
        if isinstance(message, AIMessage) and message.tool_calls:
            tokens += self.counter.count_json([{"name": c["name"], "args": c["args"]} for c in message.tool_calls])
        self.entries.append(Entry(message, tokens, call_ids))
        self._total += tokens

    def _redact_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redactor.redact(value)
        if isinstance(value, dict):
            return {k: self._redact_value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._redact_value(v) for v in value]
        return value
