"""A question asked in Slack becomes an investigation in the service's store, answered in the question's thread."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from holmes.domain import Trigger
from holmes.slack.access import Access
from holmes.slack.conversation import thread_turns, trigger_for
from holmes.slack.follow import EventFollower
from holmes.slack.limits import clip, escape
from holmes.slack.progress import ProgressBoard, acknowledgement
from holmes.slack.threads import SlackThread, ThreadBook

log = logging.getLogger("holmes.slack.asking")

HELP = ("Ask me about a workload in plain words, e.g. `@holmes why is pod llm/vllm-0 pending?` or "
        "`/holmes why is pod llm/vllm-0 pending`. Reply in my thread to follow up.")


@dataclass(frozen=True)
class Question:
    """What was asked, by whom, where; `thread_ts` is set for a follow-up in an existing thread."""

    text: str
    user: str
    channel: str
    ts: str | None = None  # the asking message (None for a slash command)
    thread_ts: str | None = None
    direct: bool = False


class Asker:
    def __init__(self, client: WebClient, book: ThreadBook, board: ProgressBoard, follower: EventFollower,
                 access: Access, bot_user_id: str | None) -> None:
        self._client = client
        self._book = book
        self._board = board
        self._follower = follower
        self._access = access
        self._bot_user_id = bot_user_id

    def refusal(self, question: Question) -> str | None:
        """Why holmes will not take this question (empty, not allowed, over the rate), or None."""
        if not question.text.strip():
            return HELP
        return self._access.refusal(question.user, question.channel, question.direct)

    def start(self, question: Question) -> str | None:
        """Acknowledge in the thread, queue the investigation, follow it; returns its id (None if it failed)."""
        trigger = self._trigger(question)
        root = question.thread_ts or question.ts or self._post_root(question)
        acknowledged = self._client.chat_postMessage(channel=question.channel, thread_ts=root,
                                                     text=acknowledgement(trigger))
        thread = SlackThread(channel=question.channel, thread_ts=root, progress_ts=acknowledged.get("ts"),
                             user=question.user)
        try:
            return self._book.open(lambda store: store.create(trigger).result(), thread,
                                   lambda investigation_id: self._follow(investigation_id, thread, trigger))
        except Exception as exc:
            log.exception("queueing a Slack question failed")
            self._client.chat_update(channel=thread.channel, ts=thread.progress_ts or root,
                                     text=f":x: I could not queue the investigation: {type(exc).__name__}. "
                                          "Try again in a minute.")
            return None

    def _trigger(self, question: Question) -> Trigger:
        follow_up = question.thread_ts is not None and question.thread_ts != question.ts
        turns = thread_turns(self._client, question.channel, question.thread_ts or "", self._bot_user_id,
                             question.ts) if follow_up else []
        return trigger_for(question.text, turns)

    def _post_root(self, question: Question) -> str:
        """Slash commands have no message to thread under: post the question as the thread's root."""
        posted = self._client.chat_postMessage(channel=question.channel,
                                               text=f"<@{question.user}> asked: {escape(clip(question.text, 2900))}")
        return str(posted["ts"])

    def _follow(self, investigation_id: str, thread: SlackThread, trigger: Trigger) -> None:
        self._follower.watch(investigation_id, self._board.open(investigation_id, thread, trigger))


def not_in_channel(exc: SlackApiError) -> bool:
    return exc.response.get("error") in ("not_in_channel", "channel_not_found")
