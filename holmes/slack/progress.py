"""One progress message per question, updated (chat.update) as the investigation runs, at most every few seconds."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from holmes.domain import Diagnosis, Trigger
from holmes.service.store import EventRecord
from holmes.slack.limits import FALLBACK_CHARS, clip, escape
from holmes.slack.threads import SlackThread

LINES_SHOWN = 4
LINE_CHARS = 300
DONE_KINDS = ("finished", "failed")


def acknowledgement(trigger: Trigger) -> str:
    """The message posted at once, within Slack's three seconds; it becomes the progress message."""
    return f":mag: On it: investigating {escape(_about(trigger))}. I'll update this message as I go."


class ProgressMessage:
    """The state shown in the message, and when it may next be updated."""

    def __init__(self, client: WebClient, thread: SlackThread, trigger: Trigger, interval_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self.thread = thread
        self._about = _about(trigger)
        self._interval_s = interval_s
        self._clock = clock
        self._status = "queued"
        self._lines: deque[str] = deque(maxlen=LINES_SHOWN)
        self._dirty = False
        self._updated_at: float | None = None
        self._closed = False
        self._lock = threading.Lock()

    def seen(self, events: list[EventRecord]) -> bool:
        done = False
        with self._lock:
            for event in events:
                done = self._apply(event) or done
        self.tick()
        return done

    def tick(self) -> None:
        """Update the message when something changed and the last update is old enough (Slack rate limits)."""
        with self._lock:
            if self._closed or not self._dirty:
                return
            now = self._clock()
            if self._updated_at is not None and now - self._updated_at < self._interval_s:
                return
            self._update(self._text())
            self._updated_at, self._dirty = now, False

    def finish(self, view: dict[str, Any]) -> None:
        """The last update: done (or failed), with the steps seen; nothing updates the message afterwards."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._update(self._final_text(view))

    def _apply(self, event: EventRecord) -> bool:
        if event.kind == "started":
            self._status = f"investigating ({event.message})"
        elif event.kind in ("progress", "retry"):
            self._lines.append(clip(" ".join(event.message.split()), LINE_CHARS))
        else:
            return event.kind in DONE_KINDS  # the result hook writes the last update
        self._dirty = True
        return False

    def _text(self) -> str:
        icon = ":inbox_tray:" if self._status == "queued" else ":hourglass_flowing_sand:"
        head = f"{icon} *{self._status.capitalize()}*: {escape(self._about)}"
        return clip("\n".join([head, *(f"> {escape(line)}" for line in self._lines)]), FALLBACK_CHARS)

    def _final_text(self, view: dict[str, Any]) -> str:
        if view.get("status") == "failed":
            head = f":x: *Failed*: {escape(self._about)}: {escape(str(view.get('error') or 'unknown error'))}"
        else:
            diagnosis = Diagnosis.model_validate(view.get("diagnosis") or {})
            head = (f":white_check_mark: *Done* in {diagnosis.usage.wall_s:.1f} s: {escape(self._about)}; "
                    f"`{escape(diagnosis.root_cause)}`, diagnosis below.")
        return clip("\n".join([head, *(f"> {escape(line)}" for line in self._lines)]), FALLBACK_CHARS)

    def _update(self, text: str) -> None:
        if self.thread.progress_ts:
            self._client.chat_update(channel=self.thread.channel, ts=self.thread.progress_ts, text=text)


class ProgressBoard:
    """The progress messages of running questions, so the result hook finishes the very message the follower updates."""

    def __init__(self, client: WebClient, interval_s: float) -> None:
        self._client = client
        self._interval_s = interval_s
        self._messages: dict[str, ProgressMessage] = {}
        self._lock = threading.Lock()

    def open(self, investigation_id: str, thread: SlackThread, trigger: Trigger) -> ProgressMessage:
        message = ProgressMessage(self._client, thread, trigger, self._interval_s)
        with self._lock:
            self._messages[investigation_id] = message
        return message

    def finish(self, investigation_id: str, thread: SlackThread, view: dict[str, Any]) -> None:
        with self._lock:
            message = self._messages.pop(investigation_id, None)
        if message is None:  # started before a restart: nothing seen, the thread is known from the store
            message = ProgressMessage(self._client, thread, Trigger.model_validate(view.get("trigger") or {}),
                                      self._interval_s)
        message.finish(view)


def _about(trigger: Trigger) -> str:
    if trigger.subject is not None:
        return trigger.subject.ref()
    if trigger.alert is not None:
        return f"alert {trigger.alert.name}"
    return f"“{clip((trigger.question or '').splitlines()[0] if trigger.question else '', 120)}”"
