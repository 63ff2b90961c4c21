"""Writes that create investigations: one per firing episode of an alert (re-sends folded in, resolves marked),
or one per API request."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from holmes.domain import Trigger
from holmes.service.alertmanager import IncomingAlert
from holmes.service.tables import INSERT_EVENT, add_event, event_row, investigations, new_id, utcnow


@dataclass
class AlertOutcome:
    """What became of one webhook alert: `queued` (new episode), `duplicate`, `resolved` or `ignored`."""

    action: str
    fingerprint: str
    investigation_id: str | None = None


_INSERT_INVESTIGATION = insert(investigations)
_EPISODES = (select(investigations.c.episode, investigations.c.id)
             .where(investigations.c.episode.in_(bindparam("episodes", expanding=True))))
_BUMP_REPEATS = (update(investigations).where(investigations.c.id == bindparam("target"))
                 .values(repeats=investigations.c.repeats + bindparam("extra"), last_seen_at=bindparam("seen")))
_IN_CHUNK = 500


def accept_many(conn: Connection, payloads: list[list[IncomingAlert]]) -> list[list[AlertOutcome]]:
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
        queued_events.append(event_row(row["id"], "queued", trigger.describe(), now))
        outcomes.append(AlertOutcome("queued", alert.fingerprint, row["id"]))
    if rows:
        conn.execute(_INSERT_INVESTIGATION, rows)
        conn.execute(INSERT_EVENT, queued_events)
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
    investigation_id = create(conn, Trigger(alert=alert.alert), origin="alertmanager", alert=alert, now=now)
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
        add_event(conn, target, "resolved", f"alert resolved at {(alert.ends_at or now).isoformat()}")
    return AlertOutcome("resolved", alert.fingerprint, target)


def create(conn: Connection, trigger: Trigger, origin: str, alert: IncomingAlert | None = None,
           now: datetime | None = None) -> str:
    """Queue one investigation (with its `queued` event); returns its id."""
    now = now or utcnow()
    episode = None
    if alert is not None:
        episode = _episode_key(alert.episode or f"{alert.fingerprint}|{now.isoformat()}")
    row = _investigation_row(trigger, origin, now, alert, episode)
    conn.execute(_INSERT_INVESTIGATION, row)
    conn.execute(INSERT_EVENT, event_row(row["id"], "queued", trigger.describe(), now))
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


