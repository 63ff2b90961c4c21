"""Questions as Slack delivers them, and follow-ups: the thread (read back from Slack) is the conversation's memory."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from holmes.domain import Trigger
from holmes.questions import subject_in_question
from holmes.slack.limits import clip

log = logging.getLogger("holmes.slack.conversation")

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_LINK = re.compile(r"<(?:https?|mailto):[^|>]*\|([^>]*)>|<((?:https?|mailto):[^>]*)>")
HISTORY_MESSAGES = 50
TURN_CHARS = 300
HISTORY_CHARS = 1500


@dataclass(frozen=True)
class Turn:
    """One earlier message of the thread: who said it (`user` or `holmes`) and what."""

    speaker: str
    text: str


def plain_question(text: str) -> str:
    """Slack's message text as the user typed it: mentions dropped, links and entities back to plain text."""
    text = _MENTION.sub(" ", text or "")
    text = _LINK.sub(lambda match: match.group(1) or match.group(2), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


def thread_turns(client: WebClient, channel: str, thread_ts: str, bot_user_id: str | None,
                 current_ts: str | None) -> list[Turn]:
    """The thread's messages before the current one, oldest first; none when Slack will not show them."""
    try:
        response = client.conversations_replies(channel=channel, ts=thread_ts, limit=HISTORY_MESSAGES)
    except SlackApiError as exc:
        log.warning("cannot read thread %s in %s (%s); answering without its history", thread_ts, channel,
                    exc.response.get("error"))
        return []
    turns = []
    for message in response.get("messages") or []:
        if message.get("ts") == current_ts:
            continue
        by_holmes = bool(message.get("bot_id")) or (bot_user_id is not None and message.get("user") == bot_user_id)
        text = plain_question(message.get("text", ""))
        if text:
            turns.append(Turn("holmes" if by_holmes else "user", text))
    return turns


def trigger_for(question: str, turns: list[Turn]) -> Trigger:
    """The new question, with the subject and the gist of the earlier exchange when it is a follow-up."""
    subject = subject_in_question(question)
    for turn in reversed(turns):
        if subject is not None:
            break
        subject = subject_in_question(turn.text)
    if not turns:
        return Trigger(question=question or None, subject=subject)
    return Trigger(question=f"{question}\n\n{_history(turns)}", subject=subject)


def _history(turns: list[Turn]) -> str:
    """The most recent turns that fit, oldest first."""
    lines: list[str] = []
    used = 0
    for turn in reversed(turns):
        line = f"- {turn.speaker}: {clip(turn.text, TURN_CHARS)}"
        if used + len(line) > HISTORY_CHARS:
            break
        lines.append(line)
        used += len(line) + 1
    return "Earlier in this Slack thread (oldest first):\n" + "\n".join(reversed(lines))
