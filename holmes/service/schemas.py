"""The HTTP API's request and response shapes (what /openapi.json publishes)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from holmes.domain import Diagnosis, Subject, Trigger
from holmes.service.store import InvestigationRecord

Status = Literal["queued", "running", "completed", "failed"]


class InvestigationRequest(BaseModel):
    """Ask the service to investigate: a question, a subject (`pod llm/vllm-0`), or both."""

    model_config = ConfigDict(extra="forbid")

    question: str | None = Field(default=None, max_length=4000)
    subject: str | None = Field(default=None, max_length=512, description="KIND NAMESPACE/NAME, e.g. pod llm/vllm-0")

    @model_validator(mode="after")
    def _something_to_investigate(self) -> InvestigationRequest:
        if not (self.question and self.question.strip()) and not (self.subject and self.subject.strip()):
            raise ValueError("give a question, a subject, or both")
        return self

    @field_validator("subject")
    @classmethod
    def _readable_subject(cls, value: str | None) -> str | None:
        if value and value.strip():
            _check_subject(Subject.parse(value))
        return value

    def trigger(self) -> Trigger:
        subject = Subject.parse(self.subject) if self.subject and self.subject.strip() else None
        question = self.question.strip() if self.question and self.question.strip() else None
        return Trigger(question=question, subject=subject)


def _check_subject(subject: Subject) -> None:
    """A kind holmes can read, with a namespace when the kind is namespaced: refused up front, not after a run."""
    from holmes.sources.kube import KINDS, KubeError, normalize_kind

    try:
        kind = normalize_kind(subject.kind)
    except KubeError as exc:
        raise ValueError(str(exc)) from None
    if KINDS[kind][2] and not subject.namespace:
        raise ValueError(f"{kind} is namespaced: write it as '{kind} NAMESPACE/NAME'")


class Links(BaseModel):
    self: str
    events: str


class InvestigationView(BaseModel):
    """One investigation: what triggered it, where it stands, and its diagnosis once completed."""

    id: str
    status: Status
    origin: Literal["alertmanager", "api"]
    trigger: Trigger
    alertname: str | None = None
    namespace: str | None = None
    fingerprint: str | None = None
    alert_status: Literal["firing", "resolved"] | None = None
    starts_at: datetime | None = None
    resolved_at: datetime | None = None
    repeats: int = Field(0, description="Re-sends of the same firing episode folded into this investigation.")
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0
    degraded: bool | None = None
    diagnosis: Diagnosis | None = None
    error: str | None = None
    links: Links

    @classmethod
    def of(cls, record: InvestigationRecord) -> InvestigationView:
        base = f"/api/v1/investigations/{record.id}"
        return cls(
            id=record.id, status=record.status, origin=record.origin, trigger=record.trigger,  # type: ignore[arg-type]
            alertname=record.alertname, namespace=record.namespace, fingerprint=record.fingerprint,
            alert_status=record.alert_status, starts_at=record.starts_at,  # type: ignore[arg-type]
            resolved_at=record.resolved_at, repeats=record.repeats, created_at=record.created_at,
            started_at=record.started_at, finished_at=record.finished_at, attempts=record.attempts,
            degraded=record.degraded, diagnosis=record.diagnosis, error=record.error,
            links=Links(self=base, events=f"{base}/events"))


class InvestigationList(BaseModel):
    items: list[InvestigationView]
    count: int
    limit: int
    offset: int


class WebhookAck(BaseModel):
    """What holmes did with each alert of one webhook call; every alert counted here is already stored."""

    received: int
    queued: int
    duplicates: int
    resolved: int
    ignored: int = Field(description="Resolved alerts holmes never saw firing.")
    investigations: list[str | None] = Field(description="Investigation ids, one per alert, null for ignored ones.")


class Accepted(BaseModel):
    id: str
    status: Status
    links: Links


class ErrorBody(BaseModel):
    detail: str
