"""A bounded pool of worker threads that claim queued investigations, run them, store and route the results."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from holmes.domain import Diagnosis
from holmes.service.investigator import InvestigationError, Investigator
from holmes.service.metrics import ServiceMetrics
from holmes.service.queue import WorkQueue
from holmes.service.routing import Router
from holmes.service.store import Claim

log = logging.getLogger("holmes.service.workers")

MAX_PROGRESS_CHARS = 2000


class WorkerPool:
    def __init__(self, queue: WorkQueue, investigator: Investigator, size: int, metrics: ServiceMetrics,
                 router: Router, view: Callable[[str], dict[str, Any] | None], poll_s: float = 1.0) -> None:
        self._queue = queue
        self._investigator = investigator
        self._size = max(1, size)
        self._metrics = metrics
        self._router = router
        self._view = view  # investigation id -> the API's JSON view, for routing
        self._poll_s = poll_s
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._active: dict[str, Claim] = {}
        self._active_lock = threading.Lock()

    @property
    def running(self) -> bool:
        return bool(self._threads) and not self._stopping.is_set() and all(t.is_alive() for t in self._threads)

    def start(self) -> None:
        for index in range(self._size):
            thread = threading.Thread(target=self._work, args=(index,), name=f"holmes-worker-{index}", daemon=True)
            self._threads.append(thread)
        self._threads.append(threading.Thread(target=self._heartbeat, name="holmes-lease-heartbeat", daemon=True))
        for thread in self._threads:
            thread.start()

    def stop(self, grace_s: float = 10.0) -> list[str]:
        """Stop claiming; wait up to grace_s for running investigations. Returns the ids left unfinished."""
        self._stopping.set()
        self._queue.notify()
        deadline = time.monotonic() + grace_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._active_lock:
            return list(self._active)

    def _work(self, index: int) -> None:
        seen = self._queue.generation
        while not self._stopping.is_set():
            try:
                claim = self._queue.claim(index)
            except Exception:
                log.exception("claiming work failed; retrying")
                claim = None
            if claim is None:
                seen = self._queue.wait(seen, self._poll_s)
                continue
            self._run(claim)

    def _run(self, claim: Claim) -> None:
        with self._active_lock:
            self._active[claim.id] = claim
        started = time.perf_counter()
        try:
            diagnosis = self._investigator(claim.trigger, self._progress(claim))
        except Exception as exc:
            self._failed(claim, exc, time.perf_counter() - started)
        else:
            self._succeeded(claim, diagnosis, time.perf_counter() - started)
        finally:
            with self._active_lock:
                self._active.pop(claim.id, None)

    def _progress(self, claim: Claim) -> Callable[[str], None]:
        store = self._queue.store

        def report(line: str) -> None:
            store.add_event(claim.id, "progress", str(line)[:MAX_PROGRESS_CHARS])  # ordered; no need to wait

        return report

    def _succeeded(self, claim: Claim, diagnosis: Diagnosis, seconds: float) -> None:
        try:
            stored = self._queue.complete(claim, diagnosis)
        except Exception:
            log.exception("storing the result of %s failed; it stays leased and will be retried", claim.id)
            return
        if not stored:
            log.warning("%s: lease lost before the result was stored; another worker owns it", claim.id)
            return
        self._metrics.finished("completed", seconds, diagnosis)
        self._route(claim.id)

    def _failed(self, claim: Claim, exc: Exception, seconds: float) -> None:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        error = text if isinstance(exc, InvestigationError) and text else \
            f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        log.warning("investigation %s attempt %d failed: %s", claim.id, claim.attempt, error)
        try:
            status = self._queue.fail(claim, error)
        except Exception:
            log.exception("recording the failure of %s failed", claim.id)
            return
        if status == "failed":
            self._metrics.finished("failed", seconds)
            self._route(claim.id)

    def _route(self, investigation_id: str) -> None:
        if not self._router.hooks:
            return
        view = self._view(investigation_id)
        if view is None:
            return
        for name, error in self._router.deliver(view):
            if error is not None:
                self._metrics.route_errors.labels(name).inc()
            message = f"{name}: delivered" if error is None else f"{name}: not delivered: {error}"
            self._queue.store.add_event(investigation_id, "routed", message)

    def _heartbeat(self) -> None:
        """Renew the leases of running investigations, so other replicas do not take them over."""
        interval = max(0.05, self._queue.lease_s / 3)
        while not self._stopping.wait(interval):
            with self._active_lock:
                claims = list(self._active.values())
            if not claims:
                continue
            try:
                self._queue.renew(claims)
            except Exception:
                log.exception("renewing leases failed")
