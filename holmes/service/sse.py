"""Server-sent events of one investigation's stored events, following new ones until it finishes."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.concurrency import run_in_threadpool

from holmes.service.store import EventRecord, Store

FINAL_KINDS = {"finished", "failed"}
POLL_S = 0.25
KEEPALIVE_S = 15.0


async def progress_stream(store: Store, investigation_id: str, after: int,
                          disconnected: Callable[[], Awaitable[bool]]) -> AsyncIterator[str]:
    """Replays events after id `after` (Last-Event-ID), then polls the store so any replica's events show up."""
    last_sent = time.monotonic()
    while True:
        batch = await run_in_threadpool(store.events, investigation_id, after)
        for record in batch:
            yield _frame(record)
            after = record.id
            last_sent = time.monotonic()
            if record.kind in FINAL_KINDS:
                return
        if await disconnected():
            return
        if time.monotonic() - last_sent > KEEPALIVE_S:
            yield ": keep-alive\n\n"
            last_sent = time.monotonic()
        await asyncio.sleep(POLL_S)


def _frame(record: EventRecord) -> str:
    data = json.dumps({"id": record.id, "kind": record.kind, "at": record.at.isoformat(), "message": record.message})
    return f"id: {record.id}\nevent: {record.kind}\ndata: {data}\n\n"
