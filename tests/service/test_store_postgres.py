"""The store on a real PostgreSQL: replicas share the queue, SKIP LOCKED hands each investigation to one worker."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from holmes.config import Settings
from holmes.domain import Diagnosis
from holmes.service.alertmanager import WebhookPayload, incoming_alerts
from holmes.service.app import create_app
from holmes.service.runtime import Tuning
from holmes.service.store import ListFilter, Store

from .support import FakeInvestigator, alert, free_port, payload, wait_until


def _postgres_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None


POSTGRES = _postgres_bin()
try:
    import psycopg  # noqa: F401
    HAVE_DRIVER = True
except ImportError:
    HAVE_DRIVER = False

# On a developer's machine without PostgreSQL these skip; in CI (which installs it) a missing server fails.
pytestmark = pytest.mark.skipif((POSTGRES is None or not HAVE_DRIVER) and os.environ.get("CI") != "true",
                                reason="needs PostgreSQL server binaries and psycopg (pip install -e '.[dev]')")


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a free loopback port (run as the postgres user when we are root)."""
    assert POSTGRES is not None
    base = Path(tempfile.mkdtemp(prefix="holmes-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(base, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = base / "data", free_port()
    subprocess.run([*as_user, str(POSTGRES / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    subprocess.run([*as_user, str(POSTGRES / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "start",
                    "-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(POSTGRES / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def fresh_url(postgres_url: str) -> str:
    """An empty schema-less database state for each test."""
    store = Store.open(postgres_url, "/nonexistent")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS investigation_events, investigations")
    store.close()
    return postgres_url


def _accept(store: Store, *alerts: dict) -> list:
    return store.accept_alerts(incoming_alerts(WebhookPayload.model_validate(payload(*alerts)))).result()


def test_concurrent_claims_from_two_replicas_take_each_investigation_once(fresh_url: str) -> None:
    replicas = [Store.open(fresh_url, "/nonexistent") for _ in range(2)]
    try:
        _accept(replicas[0], *[alert(f"fp{i}") for i in range(30)])
        claimed: list[str] = []
        lock = threading.Lock()

        def drain(store: Store, worker: int) -> None:
            while (claim := store.claim(f"replica-{id(store)}-{worker}", 60, 3).result()) is not None:
                with lock:
                    claimed.append(claim.id)

        threads = [threading.Thread(target=drain, args=(store, w)) for store in replicas for w in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(claimed) == 30
        assert len(set(claimed)) == 30
    finally:
        for store in replicas:
            store.close()


def test_expired_lease_moves_to_another_replica(fresh_url: str) -> None:
    first, second = Store.open(fresh_url, "/nonexistent"), Store.open(fresh_url, "/nonexistent")
    try:
        _accept(first, alert("fp1"))
        stale = first.claim("replica-a", 0.05, 3).result()
        assert stale is not None
        wait_until(lambda: second.claim("replica-b", 60, 3).result(), what="the lease to expire")
        assert first.complete(stale, Diagnosis(summary="late")).result() is False
        record = first.get(stale.id)
        assert record and record.status == "running" and record.attempts == 2
    finally:
        first.close()
        second.close()


def test_two_replicas_behind_one_database_investigate_a_storm_once_per_episode(
        fresh_url: str, tmp_path: Path) -> None:
    fakes = [FakeInvestigator(delay_s=0.01), FakeInvestigator(delay_s=0.01)]
    settings = Settings(service={"database_url": fresh_url, "data_dir": str(tmp_path / "unused")})
    apps = [create_app(settings, fake, tuning=Tuning(poll_s=0.05)) for fake in fakes]
    with TestClient(apps[0]) as a, TestClient(apps[1]) as b:
        for i in range(200):
            client = a if i % 2 else b
            assert client.post("/api/v1/alertmanager", json=payload(alert(f"fp{i % 20}"))).status_code == 200
        wait_until(lambda: len(a.get("/api/v1/investigations", params={"status": "completed"}).json()["items"]) == 20,
                   timeout=60, what="20 completed investigations")
        items = b.get("/api/v1/investigations", params={"limit": 500}).json()["items"]
    assert Counter(item["fingerprint"] for item in items) == Counter({f"fp{i}": 1 for i in range(20)})
    assert sum(item["repeats"] for item in items) == 180
    investigated = [t.alert.fingerprint for fake in fakes for t in fake.calls if t.alert]
    assert sorted(investigated) == sorted(f"fp{i}" for i in range(20))


def test_store_counts_and_filters_on_postgres(fresh_url: str) -> None:
    store = Store.open(fresh_url, "/nonexistent")
    try:
        _accept(store, alert("a", namespace="llm"), alert("b", namespace="rag"))
        assert store.counts()["queued"] == 2
        assert [r.fingerprint for r in store.find(ListFilter(namespace="llm"))] == ["a"]
    finally:
        store.close()
