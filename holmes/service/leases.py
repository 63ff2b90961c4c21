"""Writes for the work queue: leases that expire, results stored only by the lease holder, orphans requeued."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, select, update

from holmes.domain import Diagnosis, Trigger
from holmes.service.tables import add_event, investigations, utcnow


@dataclass
class Claim:
    """A lease on one investigation: only the owner may complete it until the lease expires."""

    id: str
    trigger: Trigger
    attempt: int
    owner: str


def claim(conn: Connection, owner: str, lease_s: float, max_attempts: int) -> Claim | None:
    """Lease the oldest queued investigation, or one whose worker stopped renewing its lease."""
    now = utcnow()
    while True:
        row = _claimable(conn, now)
        if row is None:
            return None
        if row.attempts >= max_attempts:
            _finish_failed(conn, row.id, f"gave up after {row.attempts} interrupted attempts", now)
            continue
        conn.execute(update(investigations).where(investigations.c.id == row.id).values(
            status="running", attempts=row.attempts + 1, lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_s), started_at=now))
        resumed = " (resumed: the previous attempt stopped)" if row.status == "running" else ""
        add_event(conn, row.id, "started", f"attempt {row.attempts + 1}{resumed}", now)
        return Claim(id=row.id, trigger=Trigger.model_validate(row.trigger), attempt=row.attempts + 1, owner=owner)


def _claimable(conn: Connection, now: datetime) -> Any:
    columns = (investigations.c.id, investigations.c.status, investigations.c.attempts, investigations.c.trigger)
    order = (investigations.c.created_at, investigations.c.id)
    expired = (select(*columns).where(investigations.c.status == "running", investigations.c.lease_expires_at < now)
               .order_by(*order).limit(1).with_for_update(skip_locked=True))
    row = conn.execute(expired).first()
    if row is not None:
        return row
    queued = (select(*columns).where(investigations.c.status == "queued").order_by(*order).limit(1)
              .with_for_update(skip_locked=True))
    return conn.execute(queued).first()


def renew(conn: Connection, owner: str, ids: list[str], lease_s: float) -> int:
    if not ids:
        return 0
    result = conn.execute(update(investigations).where(
        investigations.c.id.in_(ids), investigations.c.lease_owner == owner, investigations.c.status == "running",
    ).values(lease_expires_at=utcnow() + timedelta(seconds=lease_s)))
    return int(result.rowcount)


def _owned(claim: Claim) -> Any:
    return and_(investigations.c.id == claim.id, investigations.c.status == "running",
                investigations.c.lease_owner == claim.owner)


def complete(conn: Connection, claim: Claim, diagnosis: Diagnosis) -> bool:
    """Store the result, unless the lease was lost (another worker took over): results are stored once."""
    now = utcnow()
    result = conn.execute(update(investigations).where(_owned(claim)).values(
        status="completed", finished_at=now, lease_owner=None, lease_expires_at=None, error=None,
        root_cause=diagnosis.root_cause, degraded=diagnosis.degraded, diagnosis=diagnosis.model_dump(mode="json")))
    if not result.rowcount:
        return False
    flag = ", degraded" if diagnosis.degraded else ""
    add_event(conn, claim.id, "finished", f"{diagnosis.root_cause} (confidence {diagnosis.confidence:.2f}{flag})", now)
    return True


def give_up(conn: Connection, claim: Claim, error: str, retry: bool) -> str | None:
    """Queue the investigation again (retry) or mark it failed; None when the lease was already lost."""
    if conn.execute(select(investigations.c.id).where(_owned(claim))).first() is None:
        return None
    now = utcnow()
    if not retry:
        _finish_failed(conn, claim.id, error, now)
        return "failed"
    conn.execute(update(investigations).where(investigations.c.id == claim.id).values(
        status="queued", lease_owner=None, lease_expires_at=None, error=error))
    add_event(conn, claim.id, "retry", f"attempt {claim.attempt} failed: {error}", now)
    return "queued"


def _finish_failed(conn: Connection, investigation_id: str, error: str, now: datetime) -> None:
    conn.execute(update(investigations).where(investigations.c.id == investigation_id).values(
        status="failed", finished_at=now, lease_owner=None, lease_expires_at=None, error=error))
    add_event(conn, investigation_id, "failed", error, now)


def requeue_orphans(conn: Connection) -> list[str]:
    """Embedded store only: at start-up nothing can be running, so running rows were cut short by a crash."""
    now = utcnow()
    ids = list(conn.execute(select(investigations.c.id).where(investigations.c.status == "running")).scalars())
    if ids:
        conn.execute(update(investigations).where(investigations.c.id.in_(ids)).values(
            status="queued", lease_owner=None, lease_expires_at=None))
        for investigation_id in ids:
            add_event(conn, investigation_id, "retry",
                      "requeued: the previous holmes process stopped mid-investigation", now)
    return ids


