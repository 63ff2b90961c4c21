"""Slack settings and tokens checked up front: a bad one is one clear line, not a failed request later."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from holmes.config import SlackSettings
from holmes.errors import UserError

DEFAULT_BASE_URL = WebClient.BASE_URL
TIMEOUT_S = 15


@dataclass(frozen=True)
class Identity:
    """Who holmes is in the workspace (auth.test)."""

    user_id: str | None
    bot_id: str | None
    team: str | None


def wanted(slack: SlackSettings) -> bool:
    """Slack is on when any of its credentials is set."""
    return any((slack.bot_token, slack.app_token, slack.signing_secret))


def check_settings(slack: SlackSettings, socket_mode: bool) -> None:
    """Tokens present and of the right kind for the connection mode."""
    if slack.bot_token is None:
        raise UserError("slack.bot_token is not set (the bot user OAuth token, xoxb-...)")
    if not slack.bot_token.get_secret_value().startswith("xoxb-"):
        raise UserError("slack.bot_token: not a bot token (expected one starting with xoxb-)")
    if slack.app_token is not None and not slack.app_token.get_secret_value().startswith("xapp-"):
        raise UserError("slack.app_token: not an app-level token (expected one starting with xapp-)")
    if socket_mode and slack.app_token is None:
        raise UserError("slack.app_token is not set: socket mode needs an app-level token (xapp-...) with "
                        "connections:write")
    if not socket_mode and slack.app_token is None and slack.signing_secret is None:
        raise UserError("slack: set slack.signing_secret (HTTP mode, Slack posts to /slack/events) or "
                        "slack.app_token (socket mode)")


def web_client(slack: SlackSettings) -> WebClient:
    token = slack.bot_token.get_secret_value() if slack.bot_token else None
    base_url = slack.base_url or DEFAULT_BASE_URL
    return WebClient(token=token, base_url=base_url if base_url.endswith("/") else base_url + "/", timeout=TIMEOUT_S)


def identify(client: WebClient) -> Identity:
    """auth.test: the token works, and which user the bot is (its own messages are not questions)."""
    try:
        response = client.auth_test()
    except SlackApiError as exc:
        raise UserError(f"slack.bot_token: Slack refused it ({exc.response.get('error', 'error')})") from None
    except (URLError, OSError) as exc:
        raise UserError(f"cannot reach Slack at {client.base_url}: {getattr(exc, 'reason', exc)}") from None
    return Identity(user_id=response.get("user_id"), bot_id=response.get("bot_id"), team=response.get("team"))


def check_app_token(client: WebClient, app_token: str) -> None:
    """apps.connections.open: the app-level token may open socket mode connections."""
    try:
        client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        raise UserError(f"slack.app_token: Slack refused it ({exc.response.get('error', 'error')})") from None
    except (URLError, OSError) as exc:
        raise UserError(f"cannot reach Slack at {client.base_url}: {getattr(exc, 'reason', exc)}") from None
