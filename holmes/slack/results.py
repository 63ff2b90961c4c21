"""The service's result hook for Slack: each finished investigation goes to its question's thread or alert channel."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from holmes.slack.alerts import AlertThreads
from holmes.slack.answers import post_answer
from holmes.slack.follow import EventFollower
from holmes.slack.progress import ProgressBoard
from holmes.slack.threads import ThreadBook


class SlackResultHook:
    """Plugged into the service's Router; raising marks the delivery failed (a `routed` event says why)."""

    name = "slack"

    def __init__(self, client: WebClient, book: ThreadBook, board: ProgressBoard, follower: EventFollower,
                 alerts: AlertThreads) -> None:
        self._client = client
        self._book = book
        self._board = board
        self._follower = follower
        self._alerts = alerts

    def __call__(self, result: dict[str, Any]) -> None:
        investigation_id = str(result["id"])
        if result.get("origin") == "alertmanager":
            self._alerts.deliver(result)
            return
        thread = self._book.find(investigation_id)
        if thread is None:  # asked through the API, not in Slack
            return
        self._follower.release(investigation_id)
        self._board.finish(investigation_id, thread, result)
        post_answer(self._client, thread.channel, thread.thread_ts, result)
