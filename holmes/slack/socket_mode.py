"""Socket Mode: holmes opens the connection to Slack, so no public URL is needed."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

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


@dataclass(frozen=True)
class SocketLink:
    """A checked Slack connection: the Web API client, who holmes is, and the app-level token."""

    client: WebClient
    identity: Identity
    app_token: str


def link_socket_mode(settings: Settings) -> SocketLink:
    """Check the settings and both tokens with Slack, in one line each when they fail."""
    slack = settings.slack
    check_settings(slack, socket_mode=True)
    assert slack.app_token is not None  # checked above
    client = web_client(slack)
    identity = identify(client)
    check_app_token(client, slack.app_token.get_secret_value())
    return SocketLink(client, identity, slack.app_token.get_secret_value())


def run_socket_mode(settings: Settings, link: SocketLink, investigator: Investigator, stopping: threading.Event,
                    connected: Callable[[], None] = lambda: None, tuning: SlackTuning | None = None,
                    service_tuning: Tuning | None = None) -> None:
    """`holmes slack`: the service's store and workers with the Slack app over socket mode, no HTTP API."""
    service = Service(settings, investigator, tuning=service_tuning)
    service.start()
    try:
        bot = SlackBot(settings, service, link.client, link.identity.user_id, verify_requests=False, tuning=tuning)
        bot.start()
        connection = SocketConnection(bot.app, link.app_token)
        try:
            connection.connect()
            connected()
            stopping.wait()
        finally:
            connection.close()
            bot.stop()
    finally:
        service.stop()
