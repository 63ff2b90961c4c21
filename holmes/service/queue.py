"""The investigation queue: leases with expiry over the store, and a wake-up for idle workers when work arrives."""

from __future__ import annotations

import os
import secrets
import socket
import threading

from holmes.domain import Diagnosis
from holmes.service.store import Claim, Store


class WorkQueue:
    """At-least-once execution, at-most-once results: a result is stored only by the lease holder."""

    def __init__(self, store: Store, lease_s: float = 60.0, max_attempts: int = 3) -> None:
        self.store = store
        self.lease_s = lease_s
        self.max_attempts = max_attempts
        self._identity = f"{socket.gethostname()[:32]}/{os.getpid()}/{secrets.token_hex(3)}"
        self._changed = threading.Condition()
        self._generation = 0
        store.on_new_work(self.notify)

    def owner(self, worker: int) -> str:
        return f"{self._identity}/{worker}"

    def notify(self) -> None:
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Block until something was committed after generation `seen` (or the timeout); returns the generation."""
        with self._changed:
            self._changed.wait_for(lambda: self._generation != seen, timeout)
            return self._generation

    @property
    def generation(self) -> int:
        with self._changed:
            return self._generation

    def recover(self) -> list[str]:
        """Requeue work a crashed process left running (embedded store); replicas rely on lease expiry instead."""
        if not self.store.embedded:
            return []
        return self.store.requeue_orphans().result()

    def claim(self, worker: int) -> Claim | None:
        return self.store.claim(self.owner(worker), self.lease_s, self.max_attempts).result()

    def renew(self, claims: list[Claim]) -> None:
        by_owner: dict[str, list[str]] = {}
        for claim in claims:
            by_owner.setdefault(claim.owner, []).append(claim.id)
        for owner, ids in by_owner.items():
            self.store.renew(owner, ids, self.lease_s).result()

    def complete(self, claim: Claim, diagnosis: Diagnosis) -> bool:
        return self.store.complete(claim, diagnosis).result()

    def fail(self, claim: Claim, error: str) -> str | None:
        """Retry while attempts remain; returns the new status, or None if the lease was lost meanwhile."""
        return self.store.give_up(claim, error, retry=claim.attempt < self.max_attempts).result()
