"""Socket Mode: holmes opens the connection to Slack, so no public URL is needed."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from holmes.config import Settings
from holmes.service.investigator import Investigator
from holmes.service.runtime import Service, Tuning
from holmes.slack.bot import SlackBot, SlackTuning
from holmes.slack.connect import Identity, check_app_token, check_settings, identify, web_client

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


def run_socket_mode(settings: Settings, investigator: Investigator, stopping: threading.Event,
                    connected: Callable[[Identity], None] = lambda _identity: None,
                    tuning: SlackTuning | None = None, service_tuning: Tuning | None = None) -> None:
    """`holmes slack`: the service's store and workers with the Slack app over socket mode, no HTTP API."""
    slack = settings.slack
    check_settings(slack, socket_mode=True)
    assert slack.app_token is not None  # checked above
    app_token = slack.app_token.get_secret_value()
    client = web_client(slack)
    identity = identify(client)
    check_app_token(client, app_token)
    service = Service(settings, investigator, tuning=service_tuning)
    service.start()
    try:
        bot = SlackBot(settings, service, client, identity.user_id, verify_requests=False, tuning=tuning)
        bot.start()
        connection = SocketConnection(bot.app, app_token)
        try:
            connection.connect()
            connected(identity)
            stopping.wait()
        finally:
            connection.close()
            bot.stop()
    finally:
        service.stop()
