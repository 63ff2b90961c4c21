"""Where each investigation answers in Slack, kept as an investigation event so a restart still knows."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

from holmes.service.store import ListFilter, Store

SLACK_EVENT = "slack"
GROUP_LOOKBACK = 20  # earlier investigations of an alert group searched for its thread
KNOWN_MAX = 5000  # threads kept in memory; older ones are read back from the store


@dataclass(frozen=True)
class SlackThread:
    """A conversation: the channel, the thread's root ts, and the message updated with progress."""

    channel: str
    thread_ts: str
    progress_ts: str | None = None
    user: str | None = None  # who asked (None for alerts)
    group: str | None = None  # the alert group whose thread this is (None for questions)

    def to_json(self) -> str:
        return json.dumps({key: value for key, value in asdict(self).items() if value is not None})

    @classmethod
    def from_json(cls, text: str) -> SlackThread | None:
        try:
            data = json.loads(text)
            return cls(channel=str(data["channel"]), thread_ts=str(data["thread_ts"]),
                       progress_ts=data.get("progress_ts"), user=data.get("user"), group=data.get("group"))
        except (ValueError, KeyError, TypeError):
            return None

    def with_progress(self, progress_ts: str | None) -> SlackThread:
        return replace(self, progress_ts=progress_ts)


class ThreadBook:
    """Records threads in the store; creating an investigation and recording its thread happen as one step."""

    def __init__(self, store: Callable[[], Store]) -> None:
        self._store = store
        self._lock = threading.Lock()  # a result hook waits here until the thread of a new investigation is known
        self._known: OrderedDict[str, SlackThread] = OrderedDict()

    def open(self, create: Callable[[Store], str], thread: SlackThread,
             created: Callable[[str], None] = lambda _id: None) -> str:
        """Create the investigation, record its thread and run `created`, all before its result can be routed."""
        with self._lock:
            investigation_id = create(self._store())
            self._write(investigation_id, thread)
            created(investigation_id)
            return investigation_id

    def record(self, investigation_id: str, thread: SlackThread) -> None:
        with self._lock:
            self._write(investigation_id, thread)

    def find(self, investigation_id: str) -> SlackThread | None:
        with self._lock:
            if investigation_id in self._known:
                return self._known[investigation_id]
        found = None
        for event in self._store().events(investigation_id):
            if event.kind == SLACK_EVENT:
                found = SlackThread.from_json(event.message) or found
        return found

    def for_group(self, fingerprint: str, besides: str) -> SlackThread | None:
        """The thread an earlier investigation of the same alert group opened, newest first."""
        for record in self._store().find(ListFilter(fingerprint=fingerprint, limit=GROUP_LOOKBACK)):
            if record.id == besides:
                continue
            thread = self.find(record.id)
            if thread is not None and thread.group == fingerprint:
                return thread
        return None

    def _write(self, investigation_id: str, thread: SlackThread) -> None:
        self._store().add_event(investigation_id, SLACK_EVENT, thread.to_json()).result()
        self._known[investigation_id] = thread
        while len(self._known) > KNOWN_MAX:
            self._known.popitem(last=False)
