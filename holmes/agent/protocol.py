"""Reads a model reply as tool calls or an answer, from native tool calls or JSON in the text (fenced or bare)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage
from pydantic import BaseModel, Field, ValidationError, field_validator

from holmes.agent.prompt import ANSWER_TOOL

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_CALL_KEYS = ("params", "arguments", "args", "parameters", "input")
_ANSWER_KEYS = ("answer", "diagnosis", "final", "final_answer")


class CitedEvidence(BaseModel):
    call_id: str = ""
    excerpt: str = ""

    @field_validator("call_id", "excerpt", mode="before")
    @classmethod
    def _text(cls, value: Any) -> str:
        return "" if value is None else str(value)


class AgentAnswer(BaseModel):
    """The answer a model submits; lenient on input shapes, strict on what it produces."""

    root_cause: str
    summary: str = ""
    confidence: float = Field(default=0.5, description="0.0 to 1.0")
    evidence: list[CitedEvidence] = Field(default_factory=list)
    remediation: list[str] = Field(default_factory=list)
    affected_resources: list[str] = Field(default_factory=list)

    @field_validator("root_cause", "summary", mode="before")
    @classmethod
    def _string(cls, value: Any) -> str:
        return "" if value is None else str(value).strip()

    @field_validator("confidence", mode="before")
    @classmethod
    def _confidence(cls, value: Any) -> float:
        return read_confidence(value)

    @field_validator("evidence", mode="before")
    @classmethod
    def _evidence(cls, value: Any) -> list[Any]:
        items = value if isinstance(value, list) else [value] if value else []
        return [_evidence_item(item) for item in items]

    @field_validator("remediation", "affected_resources", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> list[str]:
        items = value if isinstance(value, list) else [value] if value else []
        return [str(item) if not isinstance(item, dict) else json.dumps(item) for item in items if item]


def read_confidence(value: Any) -> float:
    """0.8, "0.8", "80%", 80 or "high" -> a number in [0, 1]."""
    words = {"high": 0.8, "medium": 0.5, "moderate": 0.5, "low": 0.2}
    if isinstance(value, str):
        text = value.strip().lower().rstrip("%")
        if text in words:
            return words[text]
        try:
            number = float(text)
        except ValueError:
            return 0.5
        number = number / 100 if value.strip().endswith("%") else number
    elif isinstance(value, int | float):
        number = float(value)
    else:
        return 0.5
    number = number / 100 if number > 1 else number
    return min(max(number, 0.0), 1.0)


def _evidence_item(item: Any) -> dict[str, str]:
    """`{"call_id", "excerpt"}`, `{"id", "text"}` or `"t3: excerpt"`."""
    if isinstance(item, dict):
        call_id = item.get("call_id") or item.get("id") or item.get("tool_call_id") or ""
        excerpt = item.get("excerpt") or item.get("text") or item.get("quote") or item.get("evidence") or ""
        return {"call_id": str(call_id), "excerpt": str(excerpt)}
    text = str(item)
    match = re.match(r"\s*\[?([A-Za-z]*\d+)\]?\s*[:\-]\s*(.+)", text, re.DOTALL)
    return {"call_id": match.group(1), "excerpt": match.group(2)} if match else {"call_id": "", "excerpt": text}


@dataclass
class ProposedCall:
    """A tool call as the model wrote it; `problem` is set when it cannot run as written."""

    tool: str
    params: dict[str, Any]
    native_id: str | None = None
    problem: str | None = None


@dataclass
class Reply:
    calls: list[ProposedCall] = field(default_factory=list)
    answer: AgentAnswer | None = None
    problem: str | None = None  # why the reply is neither usable calls nor an answer
    native: bool = False  # the calls came as native tool calls (results go back as tool messages)


def read_reply(message: AIMessage) -> Reply:
    """Native tool calls win; otherwise the first JSON object in the text decides."""
    native = _native_calls(message)
    if native:
        answers = [c for c in native if c.tool == ANSWER_TOOL]
        if answers:
            return _answer_from(answers[0].params, "the submit_diagnosis call")
        return Reply(calls=native, native=True)
    text = message.content if isinstance(message.content, str) else _joined(message.content)
    if not text.strip():
        return Reply(problem="the reply was empty")
    value = first_json(text)
    if value is None:
        return Reply(problem=f"no JSON object in the reply: {_clip(text)!r}")
    return _interpret(value, text)


def _native_calls(message: AIMessage) -> list[ProposedCall]:
    calls = [ProposedCall(tool=c["name"], params=c.get("args") or {}, native_id=c.get("id")) for c in
             message.tool_calls]
    for bad in message.invalid_tool_calls:
        calls.append(ProposedCall(tool=bad.get("name") or "", params={}, native_id=bad.get("id"),
                                  problem=f"arguments are not valid JSON: {_clip(bad.get('args') or '')!r}"))
    for call in calls:
        if not isinstance(call.params, dict):
            call.problem, call.params = "arguments must be a JSON object", {}
    return calls


def _interpret(value: Any, text: str) -> Reply:
    if isinstance(value, dict):
        for key in _ANSWER_KEYS:
            if isinstance(value.get(key), dict):
                return _answer_from(value[key], "the answer")
        if "root_cause" in value:
            return _answer_from(value, "the answer")
        if isinstance(value.get("tool_calls"), list):
            return Reply(calls=[_json_call(item) for item in value["tool_calls"]])
        if isinstance(value.get("tool") or value.get("name"), str):
            return Reply(calls=[_json_call(value)])
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return Reply(calls=[_json_call(item) for item in value])
    return Reply(problem=f"the JSON is neither tool calls nor an answer: {_clip(text)!r}")


def _json_call(item: Any) -> ProposedCall:
    if not isinstance(item, dict):
        return ProposedCall(tool="", params={}, problem=f"a tool call must be an object, got {_clip(str(item))!r}")
    function: dict[str, Any] = item["function"] if isinstance(item.get("function"), dict) else item
    name = function.get("tool") or function.get("name") or ""
    params: Any = next((function[k] for k in _CALL_KEYS if k in function), {})
    if isinstance(params, str):  # OpenAI-style arguments as a JSON string
        try:
            params = json.loads(params or "{}")
        except json.JSONDecodeError:
            return ProposedCall(tool=str(name), params={}, problem=f"arguments are not valid JSON: {_clip(params)!r}")
    if not isinstance(params, dict):
        return ProposedCall(tool=str(name), params={}, problem="params must be a JSON object")
    return ProposedCall(tool=str(name), params=params)


def _answer_from(raw: Any, what: str) -> Reply:
    try:
        return Reply(answer=AgentAnswer.model_validate(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "answer"
        return Reply(problem=f"{what} is not a valid diagnosis: {where}: {first['msg']}")


def first_json(text: str) -> Any:
    """The first JSON object or array in fenced blocks, then anywhere in the text; None when there is none."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for start in (i for i, ch in enumerate(candidate) if ch in "{["):
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict | list) and value:
                return value
    return None


def _joined(content: list[Any]) -> str:
    parts = [p if isinstance(p, str) else str(p.get("text", "")) for p in content if isinstance(p, str | dict)]
    return "".join(parts)


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."
