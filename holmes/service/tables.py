"""The investigation store's tables, and the two writes every other write uses: ids and events."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
)

STATUSES = ("queued", "running", "completed", "failed")
metadata = MetaData()

investigations = Table(
    "investigations", metadata,
    Column("id", String(32), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("origin", String(16), nullable=False),  # alertmanager | api
    Column("trigger", JSON, nullable=False),
    Column("alertname", Text),
    Column("namespace", Text),
    Column("fingerprint", Text),
    Column("episode", String(64), unique=True),  # hash of fingerprint + startsAt; NULL for API requests
    Column("alert_status", String(16)),
    Column("starts_at", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("repeats", Integer, nullable=False, default=0),
    Column("last_seen_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_owner", String(64)),
    Column("lease_expires_at", DateTime(timezone=True)),
    Column("root_cause", Text),
    Column("degraded", Boolean),
    Column("diagnosis", JSON),
    Column("error", Text),
    Index("ix_investigations_status_created", "status", "created_at"),
    Index("ix_investigations_created", "created_at"),
    Index("ix_investigations_alertname", "alertname"),
    Index("ix_investigations_namespace", "namespace"),
    Index("ix_investigations_fingerprint", "fingerprint"),
)

events = Table(
    "investigation_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("investigation_id", String(32), ForeignKey("investigations.id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(16), nullable=False),  # queued started progress retry finished failed resolved routed
    Column("message", Text, nullable=False, default=""),
    Index("ix_events_investigation", "investigation_id", "id"),
)


def new_id() -> str:
    """Time-ordered and unguessable: 12 hex digits of milliseconds, 8 random."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(4)}"


def utcnow() -> datetime:
    return datetime.now(UTC)


INSERT_EVENT = insert(events)


def event_row(investigation_id: str, kind: str, message: str, at: datetime) -> dict[str, Any]:
    return {"investigation_id": investigation_id, "at": at, "kind": kind, "message": message}


def add_event(conn: Connection, investigation_id: str, kind: str, message: str, at: datetime | None = None) -> None:
    conn.execute(INSERT_EVENT, event_row(investigation_id, kind, message, at or utcnow()))


