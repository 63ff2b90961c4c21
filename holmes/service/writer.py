"""One writer thread that commits queued writes in batches: many acknowledgements share one commit (group commit)."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Connection, Engine

log = logging.getLogger("holmes.service.writer")

WriteOp = Callable[[Connection], Any]
_STOP = object()


class BulkOp:
    """A write that merges with its neighbours: `run_many(conn, items)` returns one result per item, in order."""

    def __init__(self, run_many: Callable[[Connection, list[Any]], list[Any]], item: Any) -> None:
        self.run_many = run_many
        self.item = item


class BatchWriter:
    """Runs write operations in submission order; a future resolves only after its batch is committed."""

    def __init__(self, engine: Engine, max_batch: int = 256, linger_s: float = 0.005) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._linger_s = linger_s  # under load, wait this long for company: fewer commits, more acks per commit
        self._busy = False
        self._last_commit_s = 0.0
        self._pending: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="holmes-store-writer", daemon=True)
        self._closed = False
        self._conn: Connection | None = None  # kept open: a pool checkout per batch costs more than the writes

    def start(self) -> None:
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def submit(self, op: WriteOp | BulkOp) -> Future[Any]:
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
            for _, future in batch:
                # a waiter that gave up (client gone) may no longer cancel: the write happens either way
                future.set_running_or_notify_cancel()
            if batch:
                try:
                    self._commit(batch)
                except Exception:  # the writer must outlive any bug, or every acknowledgement would hang
                    log.exception("writer batch failed")
                    for _, future in batch:
                        _fail(future, RuntimeError("the store writer failed"))
            if stop:
                self._drop_connection()
                return

    def _next_batch(self) -> tuple[list[tuple[Any, Future[Any]]], bool]:
        first = self._pending.get()
        if first is _STOP:
            return [], True
        if self._busy and self._last_commit_s < self._linger_s:
            # under load, make a batch last about linger_s: fewer commits, more acknowledgements per commit;
            # a slow commit (fsync) already lets writes gather. One wake-up per batch, not one per write.
            time.sleep(self._linger_s - self._last_commit_s)
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                item = self._pending.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True
            batch.append(item)
        self._busy = len(batch) > 1
        return batch, False

    def _commit(self, batch: list[tuple[Any, Future[Any]]]) -> None:
        started = time.perf_counter()
        try:
            results = self._run_together(batch)
            self._last_commit_s = time.perf_counter() - started
        except Exception:  # one bad op must not fail its neighbours: retry each in its own transaction
            log.debug("batch of %d failed; retrying one by one", len(batch), exc_info=True)
            self._drop_connection()
            self._run_alone(batch)
        else:
            for (_, future), result in zip(batch, results, strict=True):
                _resolve(future, result)

    def _run_together(self, batch: list[tuple[Any, Future[Any]]]) -> list[Any]:
        conn = self._connection()
        with conn.begin():
            results: list[Any] = []
            start = 0
            while start < len(batch):
                op = batch[start][0]
                if not isinstance(op, BulkOp):
                    results.append(op(conn))
                    start += 1
                    continue
                end = start
                while end < len(batch) and isinstance(batch[end][0], BulkOp) and batch[end][0].run_many is op.run_many:
                    end += 1
                results.extend(op.run_many(conn, [bulk.item for bulk, _ in batch[start:end]]))
                start = end
            return results

    def _run_alone(self, batch: list[tuple[Any, Future[Any]]]) -> None:
        for op, future in batch:
            try:
                conn = self._connection()
                with conn.begin():
                    result = op.run_many(conn, [op.item])[0] if isinstance(op, BulkOp) else op(conn)
            except Exception as exc:
                self._drop_connection()
                _fail(future, exc)
            else:
                _resolve(future, result)

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self._engine.connect().execution_options(holmes_write=True)
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                log.debug("closing the writer connection failed", exc_info=True)
            self._conn = None


def _resolve(future: Future[Any], result: Any) -> None:
    if not future.done():  # a future cancelled before its batch started has no one waiting
        future.set_result(result)


def _fail(future: Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
