"""Alertmanager's webhook payload (version 4) and the firing-episode key that deduplicates its re-sends."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from holmes.domain import Alert

SUPPORTED_VERSION = "4"
# Alertmanager sends this for "not set" (Go's zero time)
_ZERO_TIME_YEAR = 1


class WebhookPayload(BaseModel):
    """The body Alertmanager's webhook_configs receiver POSTs; unknown fields are kept, not rejected."""

    model_config = ConfigDict(extra="allow")

    version: str = SUPPORTED_VERSION
    groupKey: str = ""
    truncatedAlerts: int = 0
    status: str = "firing"
    receiver: str = ""
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[Alert] = Field(default_factory=list)

    @field_validator("version")
    @classmethod
    def _supported(cls, value: str) -> str:
        if value != SUPPORTED_VERSION:
            raise ValueError(f"unsupported webhook version {value!r}; holmes reads version {SUPPORTED_VERSION}")
        return value


@dataclass(frozen=True)
class IncomingAlert:
    """One alert reduced to what the store needs: its firing episode, status and the labels the API filters on."""

    alert: Alert
    fingerprint: str
    starts_at: datetime | None
    ends_at: datetime | None

    @property
    def firing(self) -> bool:
        return self.alert.status == "firing"

    @property
    def episode(self) -> str | None:
        """Alertmanager keeps startsAt across repeat_interval re-sends, so fingerprint + startsAt is one episode."""
        if self.starts_at is None:
            return None
        return f"{self.fingerprint}|{self.starts_at.isoformat()}"

    @property
    def alertname(self) -> str | None:
        return self.alert.labels.get("alertname") or None

    @property
    def namespace(self) -> str | None:
        labels = self.alert.labels
        return labels.get("namespace") or labels.get("exported_namespace") or None


def incoming_alerts(payload: WebhookPayload) -> list[IncomingAlert]:
    return [_incoming(alert) for alert in payload.alerts]


def _incoming(alert: Alert) -> IncomingAlert:
    fingerprint = alert.fingerprint or label_fingerprint(alert.labels)
    return IncomingAlert(alert=alert, fingerprint=fingerprint, starts_at=_set_time(alert.startsAt),
                         ends_at=_set_time(alert.endsAt))


def label_fingerprint(labels: dict[str, str]) -> str:
    """A stable fingerprint for senders that omit Alertmanager's own (same labels -> same fingerprint)."""
    canonical = "\x00".join(f"{key}\x01{labels[key]}" for key in sorted(labels))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _set_time(value: datetime | None) -> datetime | None:
    """UTC, or None for Go's zero time (`0001-01-01T00:00:00Z`), which Alertmanager sends for 'unset'."""
    if value is None or value.year == _ZERO_TIME_YEAR:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
