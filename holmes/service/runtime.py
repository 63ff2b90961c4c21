"""The running service's parts (store, queue, worker pool, metrics, routes), started and stopped together."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from holmes.config import Settings
from holmes.service.auth import Authenticator
from holmes.service.investigator import Investigator
from holmes.service.metrics import ServiceMetrics
from holmes.service.queue import WorkQueue
from holmes.service.routing import ResultHook, Router, WebhookRoute
from holmes.service.schemas import InvestigationView
from holmes.service.store import Store
from holmes.service.workers import WorkerPool

log = logging.getLogger("holmes.service")


@dataclass
class Tuning:
    """Knobs tests and operators rarely touch."""

    lease_s: float = 60.0
    max_attempts: int = 3
    poll_s: float = 1.0
    shutdown_grace_s: float = 10.0
    sqlite_synchronous: str = "FULL"


class Service:
    def __init__(self, settings: Settings, investigator: Investigator, hooks: Iterable[ResultHook] = (),
                 tuning: Tuning | None = None) -> None:
        self.settings = settings
        self.tuning = tuning or Tuning()
        self.auth = Authenticator.from_settings(settings.service)
        self.metrics = ServiceMetrics()
        self.router = Router(_routes(settings, hooks))
        self._investigator = investigator
        self.store: Store | None = None
        self.pool: WorkerPool | None = None

    def start(self) -> None:
        service = self.settings.service
        self.store = Store.open(service.database_url, service.data_dir, self.tuning.sqlite_synchronous)
        queue = WorkQueue(self.store, lease_s=self.tuning.lease_s, max_attempts=self.tuning.max_attempts)
        requeued = queue.recover()
        if requeued:
            log.info("resuming %d investigation(s) interrupted by the previous stop", len(requeued))
        self.metrics.watch_store(self.store.counts)
        self.pool = WorkerPool(queue, self._investigator, service.workers, self.metrics, self.router, self.view,
                               poll_s=self.tuning.poll_s)
        self.pool.start()

    def stop(self) -> None:
        if self.pool is not None:
            unfinished = self.pool.stop(self.tuning.shutdown_grace_s)
            if unfinished:
                log.info("%d investigation(s) still running at shutdown; they resume at the next start",
                         len(unfinished))
        if self.store is not None:
            self.store.close()
        self.router.close()

    @property
    def ready(self) -> bool:
        return self.store is not None and self.pool is not None and self.pool.running and self.store.ping()

    def require_store(self) -> Store:
        if self.store is None:
            raise RuntimeError("the service is not started")
        return self.store

    def view(self, investigation_id: str) -> dict[str, Any] | None:
        record = self.require_store().get(investigation_id)
        return InvestigationView.of(record).model_dump(mode="json") if record else None


def _routes(settings: Settings, hooks: Iterable[ResultHook]) -> list[ResultHook]:
    routes: list[ResultHook] = []
    if settings.service.outgoing_webhook_url:
        routes.append(WebhookRoute(settings.service.outgoing_webhook_url))
    routes.extend(hooks)
    return routes
