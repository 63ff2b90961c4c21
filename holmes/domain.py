"""Domain types every layer shares: what starts an investigation, what tools return, what it concludes."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ToolStatus = Literal["ok", "no_data", "error"]

_SUBJECT_RE = re.compile(r"^\s*(?:(?P<kind>[A-Za-z][\w.-]*)\s+|(?P<kind2>[A-Za-z][\w.-]*)/(?=[^/]+/))?"
                         r"(?:(?P<ns>[a-z0-9][a-z0-9.-]*)/)?(?P<name>[a-z0-9][a-z0-9.-]*)\s*$")


class Subject(BaseModel):
    """A Kubernetes object an investigation is about, e.g. `pod llm/vllm-0`."""

    model_config = ConfigDict(frozen=True)

    kind: str = "pod"
    namespace: str | None = None
    name: str

    @classmethod
    def parse(cls, text: str, default_kind: str = "pod") -> Subject:
        """Accept `pod llm/vllm-0`, `llm/vllm-0`, `pod/llm/vllm-0` or `node gpu-node-1`."""
        match = _SUBJECT_RE.match(text)
        if not match:
            raise ValueError(f"cannot read subject {text!r}: expected KIND NAMESPACE/NAME, e.g. 'pod llm/vllm-0'")
        kind = (match.group("kind") or match.group("kind2") or default_kind).lower()
        return cls(kind=kind, namespace=match.group("ns"), name=match.group("name"))

    def ref(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}"


class Alert(BaseModel):
    """One alert as Alertmanager's webhook (version 4) sends it."""

    model_config = ConfigDict(extra="allow")

    status: Literal["firing", "resolved"] = "firing"
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime | None = None
    endsAt: datetime | None = None
    generatorURL: str = ""
    fingerprint: str = ""

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")


class Trigger(BaseModel):
    """What started an investigation: a question, a subject, an alert, or a mix."""

    question: str | None = None
    subject: Subject | None = None
    alert: Alert | None = None

    def describe(self) -> str:
        parts = []
        if self.alert:
            parts.append(f"alert {self.alert.name} ({self.alert.status})")
        if self.subject:
            parts.append(self.subject.ref())
        if self.question:
            parts.append(repr(self.question))
        return ", ".join(parts) or "empty trigger"


class ToolCall(BaseModel):
    """A request to run one tool; `id` is what evidence cites."""

    id: str
    tool: str
    params: dict[str, Any] = Field(default_factory=dict)


class ToolResult(BaseModel):
    """What a tool returns: compact text for a model, structured data for runbook checks."""

    call_id: str = ""
    tool: str
    params: dict[str, Any] = Field(default_factory=dict)
    status: ToolStatus
    text: str = ""
    data: Any = None
    cut: str | None = None  # what was left out and how to narrow the call; None when nothing was cut
    error: str | None = None
    duration_s: float = 0.0


class Evidence(BaseModel):
    """A fact a diagnosis rests on, cited from the tool call it came from."""

    tool: str
    call_id: str = ""
    excerpt: str


class Finding(BaseModel):
    """A candidate root cause with the evidence for it."""

    root_cause: str
    title: str = ""
    confidence: float = Field(ge=0.0, le=1.0)
    summary: str = ""
    evidence: list[Evidence] = Field(default_factory=list)
    remediation: list[str] = Field(default_factory=list)
    runbook: str = ""
    affected_resources: list[str] = Field(default_factory=list)


class Usage(BaseModel):
    steps: int = 0
    tool_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    wall_s: float = 0.0


class Diagnosis(BaseModel):
    """The answer of an investigation. Its JSON shape is a stable public contract."""

    root_cause: str = "unknown"
    title: str = ""
    summary: str = ""
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    evidence: list[Evidence] = Field(default_factory=list)
    remediation: list[str] = Field(default_factory=list)
    affected_resources: list[str] = Field(default_factory=list)
    runbooks_used: list[str] = Field(default_factory=list)
    alternatives: list[Finding] = Field(default_factory=list)
    hypotheses: list[str] = Field(default_factory=list)
    gaps: list[str] = Field(default_factory=list)
    source: Literal["engine", "agent"] = "engine"
    degraded: bool = False
    usage: Usage = Field(default_factory=Usage)

    @field_validator("root_cause")
    @classmethod
    def _non_empty(cls, value: str) -> str:
        return value.strip() or "unknown"
