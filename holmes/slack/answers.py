"""Posting a finished investigation into a thread: the diagnosis messages, and the full evidence as a file."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from holmes.slack.blocks import diagnosis_messages, evidence_file, failure_message
from holmes.slack.limits import context

log = logging.getLogger("holmes.slack.answers")


def post_answer(client: WebClient, channel: str, thread_ts: str, view: dict[str, Any]) -> None:
    """The diagnosis (split over several messages when long) or the failure, in the thread."""
    if view.get("status") != "completed":
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, **failure_message(view))
        return
    for message in diagnosis_messages(view):
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message)
    content = evidence_file(view)
    if content is not None:
        _attach_evidence(client, channel, thread_ts, str(view.get("id", "")), content)


def _attach_evidence(client: WebClient, channel: str, thread_ts: str, investigation_id: str, content: str) -> None:
    try:
        client.files_upload_v2(channel=channel, thread_ts=thread_ts, content=content,
                               filename=f"holmes-evidence-{investigation_id}.txt",
                               title=f"Evidence of investigation {investigation_id}")
    except SlackApiError as exc:
        error = exc.response.get("error", "error")
        log.warning("attaching the evidence of %s failed: %s", investigation_id, error)
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text="The full evidence could not be attached.",
                                blocks=[context(f"The full evidence could not be attached ({error}); it is in "
                                                f"the investigation `{investigation_id}` (holmes API).")])
