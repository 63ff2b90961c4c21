"""Slack in `holmes serve`: the events and interactivity endpoint, and socket mode alongside, in the app's lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt import BoltRequest
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool

from holmes.config import Settings
from holmes.service.runtime import Service
from holmes.slack.bot import SlackBot, SlackTuning
from holmes.slack.connect import check_app_token, check_settings, identify, wanted, web_client
from holmes.slack.socket_mode import SocketConnection

log = logging.getLogger("holmes.slack.http")

EVENTS_PATH = "/slack/events"


def mount_slack(app: FastAPI, settings: Settings, tuning: SlackTuning | None = None) -> SlackBot | None:
    """Add Slack to the service app when configured: HTTP mode with a signing secret, socket mode with an app token."""
    slack = settings.slack
    if not wanted(slack):
        return None
    check_settings(slack, socket_mode=False)
    client = web_client(slack)
    identity = identify(client)
    app_token = slack.app_token.get_secret_value() if slack.app_token else None
    if app_token:
        check_app_token(client, app_token)
    service: Service = app.state.service
    bot = SlackBot(settings, service, client, identity.user_id, verify_requests=True, tuning=tuning)
    if slack.signing_secret is not None:
        _add_events_route(app, bot)
    _run_with_app(app, bot, SocketConnection(bot.app, app_token) if app_token else None)
    return bot


def _add_events_route(app: FastAPI, bot: SlackBot) -> None:
    async def slack_events(request: Request) -> Response:
        """Slack's Events API, slash commands and interactivity; requests signed with slack.signing_secret."""
        body = await request.body()
        try:
            bolt_request: BoltRequest = to_bolt_request(request, body)
        except (ValueError, UnicodeDecodeError):
            return JSONResponse({"detail": "body: not a Slack request (neither JSON nor a form)"}, status_code=400)
        response = await run_in_threadpool(bot.app.dispatch, bolt_request)
        return to_starlette_response(response)

    app.add_api_route(EVENTS_PATH, slack_events, methods=["POST"], tags=["slack"], response_class=Response,
                      responses={401: {"description": "bad or stale Slack signature"}})


def _run_with_app(app: FastAPI, bot: SlackBot, socket: SocketConnection | None) -> None:
    """Start after the service (the store must be open), stop before it."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        async with inner(asgi_app) as state:
            await run_in_threadpool(bot.start)
            if socket is not None:
                await run_in_threadpool(socket.connect)
            try:
                yield state
            finally:
                if socket is not None:
                    await run_in_threadpool(socket.close)
                await run_in_threadpool(bot.stop)

    app.router.lifespan_context = lifespan
