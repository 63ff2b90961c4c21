"""The store: firing episodes, leases, results stored once, orphans requeued, one process per SQLite dir."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from holmes.domain import Diagnosis, Trigger
from holmes.errors import UserError
from holmes.service.alertmanager import WebhookPayload, incoming_alerts
from holmes.service.store import ListFilter, Store

from .support import alert, payload


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(None, tmp_path / "data")
    yield opened
    opened.close()


def _accept(store: Store, *alerts: dict) -> list:
    return store.accept_alerts(incoming_alerts(WebhookPayload.model_validate(payload(*alerts)))).result(timeout=10)


def test_accepted_alert_is_committed_when_the_future_resolves(store: Store, tmp_path: Path) -> None:
    outcome = _accept(store, alert("fp1"))[0]
    with sqlite3.connect(tmp_path / "data" / "holmes.db") as other_connection:
        rows = other_connection.execute("SELECT id, status FROM investigations").fetchall()
    assert rows == [(outcome.investigation_id, "queued")]


def test_same_episode_twice_in_one_payload_is_one_investigation(store: Store) -> None:
    outcomes = _accept(store, alert("fp1"), alert("fp1"))
    assert [o.action for o in outcomes] == ["queued", "duplicate"]
    assert outcomes[0].investigation_id == outcomes[1].investigation_id


def test_concurrent_storm_over_few_fingerprints_yields_one_investigation_each(store: Store) -> None:
    def send(worker: int) -> None:
        for i in range(50):
            _accept(store, alert(f"fp{(worker * 50 + i) % 10}"))

    threads = [threading.Thread(target=send, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found = store.find(ListFilter(limit=500))
    assert sorted(r.fingerprint or "" for r in found) == sorted(f"fp{i}" for i in range(10))
    assert sum(r.repeats for r in found) == 8 * 50 - 10


def test_claims_hand_out_each_investigation_once(store: Store) -> None:
    _accept(store, alert("fp1"), alert("fp2"))
    first = store.claim("owner-a", 60, 3).result()
    second = store.claim("owner-b", 60, 3).result()
    assert first and second and first.id != second.id
    assert store.claim("owner-c", 60, 3).result() is None


def test_expired_lease_is_taken_over_and_the_old_owner_cannot_store_a_result(store: Store) -> None:
    _accept(store, alert("fp1"))
    stale = store.claim("owner-a", 0.05, 3).result()
    assert stale is not None
    time.sleep(0.1)
    fresh = store.claim("owner-b", 60, 3).result()
    assert fresh is not None and fresh.id == stale.id and fresh.attempt == 2
    assert store.complete(stale, Diagnosis(summary="late")).result() is False
    assert store.complete(fresh, Diagnosis(summary="on time")).result() is True
    record = store.get(fresh.id)
    assert record and record.diagnosis and record.diagnosis.summary == "on time"
    kinds = [e.kind for e in store.events(fresh.id)]
    assert kinds.count("finished") == 1


def test_renewed_lease_is_not_taken_over(store: Store) -> None:
    _accept(store, alert("fp1"))
    claim = store.claim("owner-a", 0.2, 3).result()
    assert claim is not None
    for _ in range(4):
        time.sleep(0.1)
        assert store.renew("owner-a", [claim.id], 0.2).result() == 1
    assert store.claim("owner-b", 60, 3).result() is None


def test_failed_attempts_are_retried_then_marked_failed(store: Store) -> None:
    investigation_id = store.create(Trigger(question="why?")).result()
    for attempt in (1, 2):
        claim = store.claim("w", 60, 3).result()
        assert claim and claim.attempt == attempt
        assert store.give_up(claim, "boom", retry=True).result() == "queued"
    claim = store.claim("w", 60, 3).result()
    assert claim is not None
    assert store.give_up(claim, "boom", retry=False).result() == "failed"
    record = store.get(investigation_id)
    assert record and (record.status, record.error, record.attempts) == ("failed", "boom", 3)


def test_work_interrupted_too_often_is_given_up(store: Store) -> None:
    investigation_id = store.create(Trigger(question="why?")).result()
    for _ in range(2):
        assert store.claim("w", 0.01, 2).result() is not None
        time.sleep(0.02)
    assert store.claim("w", 0.01, 2).result() is None
    record = store.get(investigation_id)
    assert record and record.status == "failed"
    assert record.error == "gave up after 2 interrupted attempts"


def test_orphaned_running_work_is_requeued(store: Store) -> None:
    _accept(store, alert("fp1"))
    claim = store.claim("crashed", 3600, 3).result()
    assert claim is not None
    assert store.requeue_orphans().result() == [claim.id]
    record = store.get(claim.id)
    assert record and record.status == "queued"
    resumed = store.claim("new", 60, 3).result()
    assert resumed and resumed.id == claim.id and resumed.attempt == 2


def test_a_second_process_cannot_open_the_same_data_dir(store: Store, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="another holmes process uses this data dir"):
        Store.open(None, tmp_path / "data")


def test_unusable_database_url_is_one_line() -> None:
    with pytest.raises(UserError, match=r"service\.database_url: cannot use"):
        Store.open("notadb://x", "/nonexistent")


def test_data_dir_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="cannot use as data dir"):
        Store.open(None, tmp_path / "file")


def test_a_write_whose_waiter_gave_up_still_happens_and_the_writer_lives_on(store: Store) -> None:
    gate = store.writer.submit(lambda conn: time.sleep(0.2))  # hold the writer busy
    abandoned = store.accept_alerts(incoming_alerts(WebhookPayload.model_validate(payload(alert("gone")))))
    assert abandoned.cancel()  # the client disconnected while the write was still queued
    gate.result()
    later = _accept(store, alert("later"))
    assert later[0].action == "queued"
    assert {r.fingerprint for r in store.find(ListFilter())} == {"gone", "later"}
