"""The Bolt app: Slack's events, slash command and interactions turned into holmes' questions and feedback."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from holmes.slack.asking import Asker, Question, not_in_channel
from holmes.slack.blocks import FEEDBACK_CORRECT, FEEDBACK_WRONG
from holmes.slack.conversation import plain_question
from holmes.slack.feedback import REASON_VIEW, FeedbackDesk

log = logging.getLogger("holmes.slack.bolt")

COMMAND = "/holmes"
SEEN_EVENTS = 10_000
LISTENER_THREADS = 8


class SeenEvents:
    """Slack re-sends an event it thinks went unanswered (X-Slack-Retry-Num): each event_id is handled once."""

    def __init__(self, size: int = SEEN_EVENTS) -> None:
        self._size = size
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._seen:
                return False
            self._seen[event_id] = None
            while len(self._seen) > self._size:
                self._seen.popitem(last=False)
            return True

    def middleware(self, body: dict[str, Any], next: Callable[[], Any]) -> Any:
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if isinstance(event_id, str) and not self.first_time(event_id):
            log.info("event %s already handled; acknowledging the retry only", event_id)
            return BoltResponse(status=200, body="")
        return next()


def build_bolt_app(client: WebClient, signing_secret: str | None, asker: Asker, feedback: FeedbackDesk,
                   verify_requests: bool) -> App:
    """Signature checks (5-minute timestamp window) stay on for HTTP; socket mode needs none."""
    app = App(client=client, signing_secret=signing_secret or "", name="holmes",
              request_verification_enabled=verify_requests, token_verification_enabled=False,
              process_before_response=False, listener_executor=ThreadPoolExecutor(LISTENER_THREADS, "holmes-slack"))
    app.use(SeenEvents().middleware)
    _questions(app, asker)
    _feedback(app, feedback)

    @app.error
    def _failed(error: Exception) -> None:
        log.error("Slack listener failed: %s: %s", type(error).__name__, error)

    return app


def _questions(app: App, asker: Asker) -> None:
    def answer(question: Question) -> None:
        refusal = asker.refusal(question)
        if refusal:
            app.client.chat_postEphemeral(channel=question.channel, user=question.user,
                                          thread_ts=question.thread_ts or question.ts, text=refusal)
            return
        asker.start(question)

    @app.event("app_mention")
    def mention(event: dict[str, Any]) -> None:
        answer(_question(event, direct=False))

    @app.event("message")
    def message(event: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return  # channel messages come as app_mention; edits, joins and bots are not questions
        answer(_question(event, direct=True))

    @app.command(COMMAND)
    def command(ack: Ack, command: dict[str, Any], respond: Any) -> None:
        question = Question(text=plain_question(command.get("text", "")), user=command.get("user_id", ""),
                            channel=command.get("channel_id", ""),
                            direct=str(command.get("channel_id", "")).startswith("D"))
        refusal = asker.refusal(question)
        if refusal:
            ack(text=refusal)
            return
        ack()
        try:
            asker.start(question)
        except SlackApiError as exc:
            if not not_in_channel(exc):
                raise
            respond(text="I am not in this channel: invite me (`/invite @holmes`) or send me a direct message.")


def _feedback(app: App, feedback: FeedbackDesk) -> None:
    @app.action(FEEDBACK_CORRECT)
    def correct(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        feedback.correct(body)

    @app.action(FEEDBACK_WRONG)
    def wrong(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        feedback.wrong(body)

    @app.view(REASON_VIEW)
    def reason(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        feedback.reason(body)


def _question(event: dict[str, Any], direct: bool) -> Question:
    return Question(text=plain_question(event.get("text", "")), user=str(event.get("user", "")),
                    channel=str(event.get("channel", "")), ts=event.get("ts"), thread_ts=event.get("thread_ts"),
                    direct=direct)
