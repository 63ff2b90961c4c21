"""Runs a model call with a deadline, on a daemon thread, so an abandoned call never holds the process open."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class DeadlineExceeded(Exception):
    """The call did not return in time; it is left to finish (or time out) on its own."""


def call_with_deadline(fn: Callable[[], T], timeout_s: float) -> T:
    """fn() if it returns within timeout_s; its exception if it raises; DeadlineExceeded otherwise."""
    outcome: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()

    def run() -> None:
        try:
            outcome.put((True, fn()))
        except BaseException as exc:  # handed to the caller, whatever it is
            outcome.put((False, exc))

    threading.Thread(target=run, name="holmes-model-call", daemon=True).start()
    try:
        ok, value = outcome.get(timeout=max(timeout_s, 0.001))
    except queue.Empty:
        raise DeadlineExceeded(f"no reply within {timeout_s:.1f}s") from None
    if ok:
        return value  # type: ignore[no-any-return]
    raise value
