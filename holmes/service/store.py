"""The durable investigation store: SQLite (WAL) in the data dir by default, or any PostgreSQL URL for replicas."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from holmes.domain import Diagnosis, Trigger
from holmes.errors import UserError
from holmes.service.alertmanager import IncomingAlert
from holmes.service.writer import BatchWriter, BulkOp

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
class AlertOutcome:
    """What became of one webhook alert: `queued` (new episode), `duplicate`, `resolved` or `ignored`."""

    action: str
    fingerprint: str
    investigation_id: str | None = None


@dataclass
class Claim:
    """A lease on one investigation: only the owner may complete it until the lease expires."""

    id: str
    trigger: Trigger
    attempt: int
    owner: str


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


def new_id() -> str:
    """Time-ordered and unguessable: 12 hex digits of milliseconds, 8 random."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(4)}"


def utcnow() -> datetime:
    return datetime.now(UTC)


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
        future = self.writer.submit(BulkOp(_accept_many, alerts))
        return self._announce(future, lambda outcomes: any(o.action == "queued" for o in outcomes))

    def create(self, trigger: Trigger) -> Future[str]:
        return self._announce(self.writer.submit(lambda conn: _create(conn, trigger, origin="api")), bool)

    def claim(self, owner: str, lease_s: float, max_attempts: int) -> Future[Claim | None]:
        return self.writer.submit(lambda conn: _claim(conn, owner, lease_s, max_attempts))

    def renew(self, owner: str, ids: list[str], lease_s: float) -> Future[int]:
        return self.writer.submit(lambda conn: _renew(conn, owner, ids, lease_s))

    def add_event(self, investigation_id: str, kind: str, message: str) -> Future[None]:
        return self.writer.submit(lambda conn: _event(conn, investigation_id, kind, message))

    def complete(self, claim: Claim, diagnosis: Diagnosis) -> Future[bool]:
        return self.writer.submit(lambda conn: _complete(conn, claim, diagnosis))

    def give_up(self, claim: Claim, error: str, retry: bool) -> Future[str | None]:
        future = self.writer.submit(lambda conn: _give_up(conn, claim, error, retry))
        return self._announce(future, lambda status: status == "queued")

    def requeue_orphans(self) -> Future[list[str]]:
        return self._announce(self.writer.submit(_requeue_orphans), bool)

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


# write operations (run on the writer thread, inside its transaction)


_INSERT_INVESTIGATION = insert(investigations)
_INSERT_EVENT = insert(events)
_EPISODES = (select(investigations.c.episode, investigations.c.id)
             .where(investigations.c.episode.in_(bindparam("episodes", expanding=True))))
_BUMP_REPEATS = (update(investigations).where(investigations.c.id == bindparam("target"))
                 .values(repeats=investigations.c.repeats + bindparam("extra"), last_seen_at=bindparam("seen")))
_IN_CHUNK = 500


def _accept_many(conn: Connection, payloads: list[list[IncomingAlert]]) -> list[list[AlertOutcome]]:
    """Every alert of several webhook calls in one go: firing alerts in bulk, others one by one, in order."""
    flat = [alert for alerts in payloads for alert in alerts]
    outcomes: list[AlertOutcome] = []
    run: list[IncomingAlert] = []
    for alert in flat:
        if alert.firing and alert.episode is not None:
            run.append(alert)
            continue
        outcomes.extend(_accept_firing(conn, run))
        run = []
        outcomes.append(_accept_alert(conn, alert))
    outcomes.extend(_accept_firing(conn, run))
    split: list[list[AlertOutcome]] = []
    start = 0
    for alerts in payloads:
        split.append(outcomes[start:start + len(alerts)])
        start += len(alerts)
    return split


def _accept_firing(conn: Connection, alerts: list[IncomingAlert]) -> list[AlertOutcome]:
    """Firing alerts with a startsAt: one query for known episodes, one insert for new ones, one update for repeats."""
    if not alerts:
        return []
    now = utcnow()
    keys = [_episode_key(alert.episode or "") for alert in alerts]
    known = _known_episodes(conn, sorted(set(keys)))
    rows: list[dict[str, Any]] = []
    queued_events: list[dict[str, Any]] = []
    repeats: dict[str, int] = {}
    outcomes: list[AlertOutcome] = []
    for alert, key in zip(alerts, keys, strict=True):
        if key in known:
            repeats[known[key]] = repeats.get(known[key], 0) + 1
            outcomes.append(AlertOutcome("duplicate", alert.fingerprint, known[key]))
            continue
        trigger = Trigger(alert=alert.alert)
        row = _investigation_row(trigger, "alertmanager", now, alert, key)
        known[key] = row["id"]
        rows.append(row)
        queued_events.append(_event_row(row["id"], "queued", trigger.describe(), now))
        outcomes.append(AlertOutcome("queued", alert.fingerprint, row["id"]))
    if rows:
        conn.execute(_INSERT_INVESTIGATION, rows)
        conn.execute(_INSERT_EVENT, queued_events)
    if repeats:
        conn.execute(_BUMP_REPEATS, [{"target": target, "extra": count, "seen": now}
                                     for target, count in repeats.items()])
    return outcomes


def _known_episodes(conn: Connection, keys: list[str]) -> dict[str, str]:
    known: dict[str, str] = {}
    for start in range(0, len(keys), _IN_CHUNK):
        for episode, investigation_id in conn.execute(_EPISODES, {"episodes": keys[start:start + _IN_CHUNK]}):
            known[episode] = investigation_id
    return known


def _accept_alert(conn: Connection, alert: IncomingAlert) -> AlertOutcome:
    if not alert.firing:
        return _resolve(conn, alert)
    now = utcnow()
    existing = _open_episode(conn, alert)
    if existing is not None:
        conn.execute(_BUMP_REPEATS, {"target": existing, "extra": 1, "seen": now})
        return AlertOutcome("duplicate", alert.fingerprint, existing)
    investigation_id = _create(conn, Trigger(alert=alert.alert), origin="alertmanager", alert=alert, now=now)
    return AlertOutcome("queued", alert.fingerprint, investigation_id)


def _open_episode(conn: Connection, alert: IncomingAlert) -> str | None:
    """The investigation of this firing episode, if one exists; without startsAt, the newest unresolved one."""
    if alert.episode is not None:
        return _known_episodes(conn, [_episode_key(alert.episode)]).get(_episode_key(alert.episode))
    return _latest_unresolved(conn, alert.fingerprint)


def _latest_unresolved(conn: Connection, fingerprint: str) -> str | None:
    stmt = (select(investigations.c.id)
            .where(investigations.c.fingerprint == fingerprint, investigations.c.alert_status == "firing")
            .order_by(investigations.c.created_at.desc()).limit(1))
    return conn.execute(stmt).scalar()


def _resolve(conn: Connection, alert: IncomingAlert) -> AlertOutcome:
    target = _open_episode(conn, alert) or _latest_unresolved(conn, alert.fingerprint)
    if target is None:
        return AlertOutcome("ignored", alert.fingerprint)
    now = utcnow()
    changed = conn.execute(update(investigations)
                           .where(investigations.c.id == target, investigations.c.alert_status != "resolved")
                           .values(alert_status="resolved", resolved_at=alert.ends_at or now, last_seen_at=now))
    if changed.rowcount:
        _event(conn, target, "resolved", f"alert resolved at {(alert.ends_at or now).isoformat()}")
    return AlertOutcome("resolved", alert.fingerprint, target)


def _create(conn: Connection, trigger: Trigger, origin: str, alert: IncomingAlert | None = None,
            now: datetime | None = None) -> str:
    now = now or utcnow()
    episode = None
    if alert is not None:
        episode = _episode_key(alert.episode or f"{alert.fingerprint}|{now.isoformat()}")
    row = _investigation_row(trigger, origin, now, alert, episode)
    conn.execute(_INSERT_INVESTIGATION, row)
    conn.execute(_INSERT_EVENT, _event_row(row["id"], "queued", trigger.describe(), now))
    return str(row["id"])


def _investigation_row(trigger: Trigger, origin: str, now: datetime, alert: IncomingAlert | None,
                       episode: str | None) -> dict[str, Any]:
    """Every column, so rows of one bulk insert share their keys."""
    subject_namespace = trigger.subject.namespace if trigger.subject else None
    return {
        "id": new_id(), "status": "queued", "origin": origin, "created_at": now, "repeats": 0, "attempts": 0,
        "trigger": trigger.model_dump(mode="json", exclude_none=True),
        "alertname": alert.alertname if alert else None,
        "namespace": (alert.namespace if alert else None) or subject_namespace,
        "fingerprint": alert.fingerprint if alert else None,
        "episode": episode,
        "alert_status": "firing" if alert else None,
        "starts_at": alert.starts_at if alert else None,
        "last_seen_at": now if alert else None,
    }


def _episode_key(episode: str) -> str:
    return hashlib.sha256(episode.encode("utf-8")).hexdigest()[:64]


def _event_row(investigation_id: str, kind: str, message: str, at: datetime) -> dict[str, Any]:
    return {"investigation_id": investigation_id, "at": at, "kind": kind, "message": message}


def _event(conn: Connection, investigation_id: str, kind: str, message: str, at: datetime | None = None) -> None:
    conn.execute(_INSERT_EVENT, _event_row(investigation_id, kind, message, at or utcnow()))


def _claim(conn: Connection, owner: str, lease_s: float, max_attempts: int) -> Claim | None:
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
        _event(conn, row.id, "started", f"attempt {row.attempts + 1}{resumed}", now)
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


def _renew(conn: Connection, owner: str, ids: list[str], lease_s: float) -> int:
    if not ids:
        return 0
    result = conn.execute(update(investigations).where(
        investigations.c.id.in_(ids), investigations.c.lease_owner == owner, investigations.c.status == "running",
    ).values(lease_expires_at=utcnow() + timedelta(seconds=lease_s)))
    return int(result.rowcount)


def _owned(claim: Claim) -> Any:
    return and_(investigations.c.id == claim.id, investigations.c.status == "running",
                investigations.c.lease_owner == claim.owner)


def _complete(conn: Connection, claim: Claim, diagnosis: Diagnosis) -> bool:
    """Store the result, unless the lease was lost (another worker took over): results are stored once."""
    now = utcnow()
    result = conn.execute(update(investigations).where(_owned(claim)).values(
        status="completed", finished_at=now, lease_owner=None, lease_expires_at=None, error=None,
        root_cause=diagnosis.root_cause, degraded=diagnosis.degraded, diagnosis=diagnosis.model_dump(mode="json")))
    if not result.rowcount:
        return False
    flag = ", degraded" if diagnosis.degraded else ""
    _event(conn, claim.id, "finished", f"{diagnosis.root_cause} (confidence {diagnosis.confidence:.2f}{flag})", now)
    return True


def _give_up(conn: Connection, claim: Claim, error: str, retry: bool) -> str | None:
    """Queue the investigation again (retry) or mark it failed; None when the lease was already lost."""
    if conn.execute(select(investigations.c.id).where(_owned(claim))).first() is None:
        return None
    now = utcnow()
    if not retry:
        _finish_failed(conn, claim.id, error, now)
        return "failed"
    conn.execute(update(investigations).where(investigations.c.id == claim.id).values(
        status="queued", lease_owner=None, lease_expires_at=None, error=error))
    _event(conn, claim.id, "retry", f"attempt {claim.attempt} failed: {error}", now)
    return "queued"


def _finish_failed(conn: Connection, investigation_id: str, error: str, now: datetime) -> None:
    conn.execute(update(investigations).where(investigations.c.id == investigation_id).values(
        status="failed", finished_at=now, lease_owner=None, lease_expires_at=None, error=error))
    _event(conn, investigation_id, "failed", error, now)


def _requeue_orphans(conn: Connection) -> list[str]:
    """Embedded store only: at start-up nothing can be running, so running rows were cut short by a crash."""
    now = utcnow()
    ids = list(conn.execute(select(investigations.c.id).where(investigations.c.status == "running")).scalars())
    if ids:
        conn.execute(update(investigations).where(investigations.c.id.in_(ids)).values(
            status="queued", lease_owner=None, lease_expires_at=None))
        for investigation_id in ids:
            _event(conn, investigation_id, "retry", "requeued: the previous holmes process stopped mid-investigation",
                   now)
    return ids


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
