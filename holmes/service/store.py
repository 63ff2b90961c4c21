"""The durable investigation store: SQLite (WAL) in the data dir by default, or any PostgreSQL URL for replicas."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, create_engine, event, func, select
from sqlalchemy.exc import SQLAlchemyError

from holmes.domain import Diagnosis, Trigger
from holmes.errors import UserError
from holmes.service import episodes, leases
from holmes.service.alertmanager import IncomingAlert
from holmes.service.episodes import AlertOutcome
from holmes.service.leases import Claim
from holmes.service.tables import STATUSES, add_event, events, investigations, metadata
from holmes.service.writer import BatchWriter, BulkOp

__all__ = ["AlertOutcome", "Claim", "EventRecord", "InvestigationRecord", "ListFilter", "Store"]


@dataclass
class InvestigationRecord:
    """One stored investigation as the API shows it."""

    id: str
    status: str
    origin: str
    trigger: Trigger
    created_at: datetime
    alertname: str | None = None
    namespace: str | None = None
    fingerprint: str | None = None
    alert_status: str | None = None
    starts_at: datetime | None = None
    resolved_at: datetime | None = None
    repeats: int = 0
    last_seen_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0
    root_cause: str | None = None
    degraded: bool | None = None
    diagnosis: Diagnosis | None = None
    error: str | None = None


@dataclass
class EventRecord:
    id: int
    investigation_id: str
    at: datetime
    kind: str
    message: str


@dataclass
class ListFilter:
    status: str | None = None
    alertname: str | None = None
    namespace: str | None = None
    fingerprint: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    offset: int = 0


class Store:
    """Reads run on pooled connections; every write goes through one batching writer (committed before return)."""

    def __init__(self, engine: Engine, lock: IO[str] | None = None) -> None:
        self.engine = engine
        self._lock = lock
        self._listeners: list[Callable[[], None]] = []
        self.writer = BatchWriter(engine)

    @property
    def embedded(self) -> bool:
        """SQLite: one process owns the file (locked), so work it finds running was orphaned by a crash."""
        return self.engine.dialect.name == "sqlite"

    @classmethod
    def open(cls, database_url: str | None, data_dir: str | Path, synchronous: str = "FULL") -> Store:
        if database_url:
            engine = _server_engine(database_url)
            lock = None
        else:
            directory = Path(data_dir).expanduser()
            lock = _lock_data_dir(directory)
            engine = _sqlite_engine(directory / "holmes.db", synchronous)
        try:
            metadata.create_all(engine)
        except SQLAlchemyError as exc:
            raise UserError(f"cannot open the investigation store: {_first_line(exc)}") from None
        store = cls(engine, lock)
        store.writer.start()
        return store

    def close(self) -> None:
        self.writer.close()
        self.engine.dispose()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def on_new_work(self, listener: Callable[[], None]) -> None:
        """Called (on the writer thread) after a commit that queued something a worker can claim."""
        self._listeners.append(listener)

    def _announce(self, future: Future[Any], queued: Callable[[Any], bool]) -> Future[Any]:
        def done(finished: Future[Any]) -> None:
            if finished.exception() is None and queued(finished.result()):
                for listener in self._listeners:
                    listener()

        future.add_done_callback(done)
        return future

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1)).scalar_one()
        except SQLAlchemyError:
            return False
        return self.writer.alive

    # writes (each returns a future that resolves after the commit)

    def accept_alerts(self, alerts: list[IncomingAlert]) -> Future[list[AlertOutcome]]:
        future = self.writer.submit(BulkOp(episodes.accept_many, alerts))
        return self._announce(future, lambda outcomes: any(o.action == "queued" for o in outcomes))

    def accept_alert_batches(self, batches: list[list[IncomingAlert]]) -> Future[list[list[AlertOutcome]]]:
        """Several webhook calls' alerts in one write; one list of outcomes per call."""
        future = self.writer.submit(BulkOp(_accept_batches, batches))
        return self._announce(future, lambda results: any(o.action == "queued" for r in results for o in r))

    def create(self, trigger: Trigger) -> Future[str]:
        return self._announce(self.writer.submit(lambda conn: episodes.create(conn, trigger, origin="api")), bool)

    def claim(self, owner: str, lease_s: float, max_attempts: int) -> Future[Claim | None]:
        return self.writer.submit(lambda conn: leases.claim(conn, owner, lease_s, max_attempts))

    def renew(self, owner: str, ids: list[str], lease_s: float) -> Future[int]:
        return self.writer.submit(lambda conn: leases.renew(conn, owner, ids, lease_s))

    def add_event(self, investigation_id: str, kind: str, message: str) -> Future[None]:
        return self.writer.submit(lambda conn: add_event(conn, investigation_id, kind, message))

    def complete(self, claim: Claim, diagnosis: Diagnosis) -> Future[bool]:
        return self.writer.submit(lambda conn: leases.complete(conn, claim, diagnosis))

    def give_up(self, claim: Claim, error: str, retry: bool) -> Future[str | None]:
        future = self.writer.submit(lambda conn: leases.give_up(conn, claim, error, retry))
        return self._announce(future, lambda status: status == "queued")

    def requeue_orphans(self) -> Future[list[str]]:
        return self._announce(self.writer.submit(leases.requeue_orphans), bool)

    # reads

    def get(self, investigation_id: str) -> InvestigationRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(investigations).where(investigations.c.id == investigation_id)).first()
        return _record(row) if row else None

    def find(self, where: ListFilter) -> list[InvestigationRecord]:
        stmt = select(investigations)
        for condition in _conditions(where):
            stmt = stmt.where(condition)
        stmt = stmt.order_by(investigations.c.created_at.desc(), investigations.c.id.desc())
        stmt = stmt.limit(where.limit).offset(where.offset)
        with self.engine.connect() as conn:
            return [_record(row) for row in conn.execute(stmt)]

    def events(self, investigation_id: str, after: int = 0) -> list[EventRecord]:
        stmt = (select(events).where(events.c.investigation_id == investigation_id, events.c.id > after)
                .order_by(events.c.id))
        with self.engine.connect() as conn:
            return [EventRecord(id=row.id, investigation_id=row.investigation_id, at=_aware(row.at), kind=row.kind,
                                message=row.message) for row in conn.execute(stmt)]

    def counts(self) -> dict[str, int]:
        stmt = select(investigations.c.status, func.count()).group_by(investigations.c.status)
        with self.engine.connect() as conn:
            found = {status: count for status, count in conn.execute(stmt)}
        return {status: int(found.get(status, 0)) for status in STATUSES}


def _accept_batches(conn: Connection, items: list[list[list[IncomingAlert]]]) -> list[list[list[AlertOutcome]]]:
    """Several gathered writes merged into one: one episode lookup and one insert for all their alerts."""
    outcomes = episodes.accept_many(conn, [alerts for batches in items for alerts in batches])
    merged: list[list[list[AlertOutcome]]] = []
    start = 0
    for batches in items:
        merged.append(outcomes[start:start + len(batches)])
        start += len(batches)
    return merged


# engines


def _sqlite_engine(path: Path, synchronous: str) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 30},
                           pool_size=8, max_overflow=8)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy's begin event below issues BEGIN itself
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # the writer takes the write lock up front, so its read-then-write ops cannot interleave
        immediate = conn.get_execution_options().get("holmes_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _server_engine(url: str) -> Engine:
    try:
        return create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise UserError(f"service.database_url: cannot use {_redacted(url)}: {_first_line(exc)}") from None


def _lock_data_dir(directory: Path) -> IO[str]:
    """One process per SQLite store: a second `holmes serve` on the same dir would steal the first one's work."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle = open(directory / "holmes.lock", "a+", encoding="utf-8")  # noqa: SIM115 (held until close)
    except OSError as exc:
        raise UserError(f"{directory}: cannot use as data dir: {exc.strerror}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise UserError(f"{directory}: another holmes process uses this data dir "
                        "(use a PostgreSQL service.database_url for several replicas)") from None
    handle.truncate(0)
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


# reading rows


def _conditions(where: ListFilter) -> list[Any]:
    column = investigations.c
    pairs = [(where.status, column.status), (where.alertname, column.alertname),
             (where.namespace, column.namespace), (where.fingerprint, column.fingerprint)]
    conditions = [col == value for value, col in pairs if value]
    if where.since:
        conditions.append(column.created_at >= where.since)
    if where.until:
        conditions.append(column.created_at < where.until)
    return conditions


def _record(row: Any) -> InvestigationRecord:
    data = row._mapping
    diagnosis = Diagnosis.model_validate(_json(data["diagnosis"])) if data["diagnosis"] else None
    return InvestigationRecord(
        id=data["id"], status=data["status"], origin=data["origin"],
        trigger=Trigger.model_validate(_json(data["trigger"])), created_at=_aware(data["created_at"]),
        alertname=data["alertname"], namespace=data["namespace"], fingerprint=data["fingerprint"],
        alert_status=data["alert_status"], starts_at=_aware(data["starts_at"]),
        resolved_at=_aware(data["resolved_at"]), repeats=data["repeats"], last_seen_at=_aware(data["last_seen_at"]),
        started_at=_aware(data["started_at"]), finished_at=_aware(data["finished_at"]), attempts=data["attempts"],
        root_cause=data["root_cause"], degraded=data["degraded"], diagnosis=diagnosis, error=data["error"])


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _aware(value: Any) -> Any:
    """SQLite hands datetimes back naive; everything stored is UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _redacted(url: str) -> str:
    """A database URL without its password, for error messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"
