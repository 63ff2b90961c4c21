"""Alerts of the requests that arrive in one event-loop turn go to the store as one write: one hand-off to the
writer thread and one wake-up back, however many requests (the GIL hand-offs cost more than the writes)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future

from holmes.service.alertmanager import IncomingAlert
from holmes.service.store import AlertOutcome, Store

Waiting = list[tuple[list[IncomingAlert], asyncio.Future[list[AlertOutcome]]]]


class AlertGatherer:
    """Used from the event loop only; the outcomes of each request come back to its own waiter."""

    def __init__(self, store: Callable[[], Store]) -> None:
        self._store = store
        self._waiting: Waiting = []

    async def accept(self, alerts: list[IncomingAlert]) -> list[AlertOutcome]:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[list[AlertOutcome]] = loop.create_future()
        if not self._waiting:
            loop.call_soon(self._flush, loop)  # after the requests already readable in this turn
        self._waiting.append((alerts, waiter))
        return await waiter

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        waiting, self._waiting = self._waiting, []
        try:
            written = self._store().accept_alert_batches([alerts for alerts, _ in waiting])
        except Exception as exc:
            _settle(waiting, None, exc)
            return
        written.add_done_callback(lambda done: loop.call_soon_threadsafe(_settle_from, waiting, done))


def _settle_from(waiting: Waiting, done: Future[list[list[AlertOutcome]]]) -> None:
    error = done.exception()
    _settle(waiting, None if error else done.result(), error)


def _settle(waiting: Waiting, outcomes: list[list[AlertOutcome]] | None, error: BaseException | None) -> None:
    for index, (_, waiter) in enumerate(waiting):
        if waiter.done():  # the client went away
            continue
        if outcomes is None:
            waiter.set_exception(error or RuntimeError("the store write failed"))
        else:
            waiter.set_result(outcomes[index])



