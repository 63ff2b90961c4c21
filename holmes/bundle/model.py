"""What a recorded incident is: its metadata (incident.yaml), its cluster objects, logs and metrics."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from holmes.bundle.store import ObjectStore, ObjectsView
from holmes.domain import Subject, Trigger

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


class Expected(BaseModel):
    """What a correct diagnosis of this incident says (the eval harness scores against it)."""

    model_config = ConfigDict(extra="forbid")

    root_cause: str
    evidence: list[str] = Field(default_factory=list)
    remediation: list[str] = Field(default_factory=list)
    forbidden: list[str] = Field(default_factory=list)


class IncidentSpec(BaseModel):
    """incident.yaml: the incident's identity, its "now", what started it and what is expected."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    case: str | None = None
    sources: list[str] = Field(default_factory=list)
    captured_at: AwareDatetime
    tags: list[str] = Field(default_factory=list)
    trigger: Trigger
    expected: Expected

    @field_validator("captured_at", mode="before")
    @classmethod
    def _rfc3339(cls, value: Any) -> Any:
        """A number would pass as seconds since 1970: only an RFC3339 string with a timezone is a capture time."""
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value
        if not (isinstance(value, str) and _RFC3339.fullmatch(value.strip())):
            raise ValueError(f"expected an RFC3339 timestamp with a timezone such as \"2025-03-14T10:20:00Z\", "
                             f"got {value!r}"[:160])
        return value.strip()

    @field_validator("trigger", mode="before")
    @classmethod
    def _subject_as_text(cls, value: Any) -> Any:
        """Accept `subject: pod llm/vllm-0`, the way people write it."""
        if isinstance(value, dict) and isinstance(value.get("subject"), str):
            return {**value, "subject": Subject.parse(value["subject"])}
        return value

    @model_validator(mode="after")
    def _trigger_not_empty(self) -> IncidentSpec:
        if not (self.trigger.question or self.trigger.subject or self.trigger.alert):
            raise ValueError("trigger needs a question, a subject or an alert")
        return self


class LogKey(NamedTuple):
    namespace: str
    pod: str
    container: str
    previous: bool


@dataclass
class Bundle:
    """A loaded incident bundle. Objects stay compact JSON until asked for; logs stay on disk."""

    root: Path
    spec: IncidentSpec
    store: ObjectStore
    logs: dict[LogKey, Path] = field(default_factory=dict)
    metrics: list[Path] = field(default_factory=list)

    @cached_property
    def objects(self) -> ObjectsView:
        """Every recorded object as a plain dict (decoded on access)."""
        return ObjectsView(self.store)

    def log_path(self, namespace: str, pod: str, container: str, previous: bool = False) -> Path | None:
        return self.logs.get(LogKey(namespace, pod, container, previous))
