"""Socket Mode: holmes opens the connection to Slack, so no public URL is needed."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

log = logging.getLogger("holmes.slack.socket")


class SocketConnection:
    """Bolt's socket mode handler (slack_sdk's built-in client), reconnecting on its own."""

    def __init__(self, app: App, app_token: str) -> None:
        self._handler = SocketModeHandler(app, app_token)

    def connect(self) -> None:
        self._handler.connect()
        log.info("connected to Slack in socket mode")

    def close(self) -> None:
        self._handler.close()
