"""One writer thread that commits queued writes in batches: many acknowledgements share one commit (group commit)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Connection, Engine

log = logging.getLogger("holmes.service.writer")

WriteOp = Callable[[Connection], Any]
_STOP = object()


class BatchWriter:
    """Runs write operations in submission order; a future resolves only after its batch is committed."""

    def __init__(self, engine: Engine, max_batch: int = 256,
                 after_commit: Callable[[], None] | None = None) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._after_commit = after_commit or (lambda: None)
        self._pending: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="holmes-store-writer", daemon=True)
        self._closed = False

    def start(self) -> None:
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def submit(self, op: WriteOp) -> Future[Any]:
        future: Future[Any] = Future()
        if self._closed:
            future.set_exception(RuntimeError("the store is closed"))
            return future
        self._pending.put((op, future))
        return future

    def close(self, timeout: float = 10.0) -> None:
        """Commit what is queued, then stop."""
        if self._closed:
            return
        self._closed = True
        self._pending.put(_STOP)
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            batch, stop = self._next_batch()
            if batch:
                self._commit(batch)
            if stop:
                return

    def _next_batch(self) -> tuple[list[tuple[WriteOp, Future[Any]]], bool]:
        first = self._pending.get()
        if first is _STOP:
            return [], True
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                item = self._pending.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True
            batch.append(item)
        return batch, False

    def _commit(self, batch: list[tuple[WriteOp, Future[Any]]]) -> None:
        try:
            results = self._run_together(batch)
        except Exception:  # one bad op must not fail its neighbours: retry each in its own transaction
            log.debug("batch of %d failed; retrying one by one", len(batch), exc_info=True)
            self._run_alone(batch)
        else:
            for (_, future), result in zip(batch, results, strict=True):
                future.set_result(result)
        self._notify()

    def _run_together(self, batch: list[tuple[WriteOp, Future[Any]]]) -> list[Any]:
        with self._engine.connect().execution_options(holmes_write=True) as conn, conn.begin():
            return [op(conn) for op, _ in batch]

    def _run_alone(self, batch: list[tuple[WriteOp, Future[Any]]]) -> None:
        for op, future in batch:
            try:
                with self._engine.connect().execution_options(holmes_write=True) as conn, conn.begin():
                    result = op(conn)
            except Exception as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

    def _notify(self) -> None:
        try:
            self._after_commit()
        except Exception:
            log.exception("after-commit hook failed")
