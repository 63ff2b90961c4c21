"""Following investigations as they run: the new store events of each watched investigation, polled."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from holmes.service.store import EventRecord, Store

log = logging.getLogger("holmes.slack.follow")


class Watcher(Protocol):
    """Reacts to an investigation's new events; `seen` returns True when nothing more is expected."""

    def seen(self, events: list[EventRecord]) -> bool: ...

    def tick(self) -> None: ...


class EventFollower:
    """One thread; per watched investigation a cursor into its events, so each event is seen once."""

    def __init__(self, store: Callable[[], Store], poll_s: float = 1.0) -> None:
        self._store = store
        self._poll_s = poll_s
        self._watched: dict[str, tuple[Watcher, int]] = {}
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="holmes-slack-follower", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def watch(self, investigation_id: str, watcher: Watcher, after: int = 0) -> None:
        with self._lock:
            self._watched[investigation_id] = (watcher, after)
        self._wake.set()

    def release(self, investigation_id: str) -> Watcher | None:
        """Stop watching, after handing the watcher the events it has not seen yet."""
        with self._lock:
            watched = self._watched.pop(investigation_id, None)
            if watched is None:
                return None
            watcher, cursor = watched
            events = self._store().events(investigation_id, after=cursor)
            if events:
                watcher.seen(events)
            return watcher

    def watching(self) -> list[str]:
        with self._lock:
            return list(self._watched)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._poll_s)  # woken early by a new watch
            self._wake.clear()
            if self._stopping.is_set():
                return
            for investigation_id in self.watching():
                self._visit(investigation_id)

    def _visit(self, investigation_id: str) -> None:
        with self._lock:
            watched = self._watched.get(investigation_id)
            if watched is None:
                return
            watcher, cursor = watched
            try:
                events = self._store().events(investigation_id, after=cursor)
                done = watcher.seen(events) if events else False
                watcher.tick()
            except Exception:
                log.exception("following %s failed; it is no longer followed", investigation_id)
                done = True
            if done:
                self._watched.pop(investigation_id, None)
            elif events:
                self._watched[investigation_id] = (watcher, events[-1].id)
