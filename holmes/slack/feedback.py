"""Feedback on a diagnosis ("correct" / "wrong root cause" with an optional reason), stored with the investigation."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from holmes.service.store import Store
from holmes.slack.access import Access
from holmes.slack.limits import clip

log = logging.getLogger("holmes.slack.feedback")

FEEDBACK_EVENT = "feedback"
REASON_VIEW = "holmes_feedback_reason"
REASON_BLOCK = "reason"
REASON_INPUT = "reason_input"
REASON_CHARS = 2000


def reason_modal(investigation_id: str, channel: str, thread_ts: str) -> dict[str, Any]:
    """The modal asking what was wrong; where to answer rides in private_metadata."""
    where = json.dumps({"id": investigation_id, "channel": channel, "thread_ts": thread_ts})
    return {
        "type": "modal", "callback_id": REASON_VIEW, "private_metadata": where,
        "title": {"type": "plain_text", "text": "Wrong root cause"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [{"type": "input", "block_id": REASON_BLOCK, "optional": True,
                    "label": {"type": "plain_text", "text": "What is the real cause, or what was wrong?"},
                    "element": {"type": "plain_text_input", "action_id": REASON_INPUT, "multiline": True,
                                "max_length": REASON_CHARS}}],
    }


class FeedbackDesk:
    def __init__(self, client: WebClient, store: Callable[[], Store], access: Access) -> None:
        self._client = client
        self._store = store
        self._access = access

    def correct(self, body: dict[str, Any]) -> None:
        investigation_id, channel, thread_ts = _button(body)
        self.record(investigation_id, "correct", None, _user(body), channel, thread_ts)

    def wrong(self, body: dict[str, Any]) -> None:
        """Ask for a reason in a modal; the verdict is stored when the modal is submitted."""
        investigation_id, channel, thread_ts = _button(body)
        refusal = self._access.user_refusal(_user(body))
        if refusal:
            self._tell(channel, _user(body), thread_ts, refusal)
            return
        self._client.views_open(trigger_id=body["trigger_id"], view=reason_modal(investigation_id, channel, thread_ts))

    def reason(self, body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        where = json.loads(view.get("private_metadata") or "{}")
        values = (view.get("state") or {}).get("values") or {}
        reason = ((values.get(REASON_BLOCK) or {}).get(REASON_INPUT) or {}).get("value")
        self.record(str(where.get("id", "")), "wrong", reason, _user(body), str(where.get("channel", "")),
                    str(where.get("thread_ts", "")))

    def record(self, investigation_id: str, verdict: str, reason: str | None, user: str, channel: str,
               thread_ts: str) -> None:
        refusal = self._access.user_refusal(user)
        if refusal:
            self._tell(channel, user, thread_ts, refusal)
            return
        store = self._store()
        record = store.get(investigation_id) if investigation_id else None
        if record is None:
            self._tell(channel, user, thread_ts, f"I have no investigation `{investigation_id}`; feedback not stored.")
            return
        reason = clip(reason.strip(), REASON_CHARS) if reason and reason.strip() else None
        store.add_event(investigation_id, FEEDBACK_EVENT,
                        json.dumps({"verdict": verdict, "reason": reason, "user": user})).result()
        self._tell(channel, user, thread_ts, _thanks(verdict, record.trigger.subject))

    def _tell(self, channel: str, user: str, thread_ts: str, text: str) -> None:
        if channel:
            self._client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts or None, text=text)


def _thanks(verdict: str, subject: Any) -> str:
    if verdict == "correct":
        return "Thanks, recorded: the root cause was correct."
    capture = (f" To keep this case as a recorded incident for holmes' evals, capture it while it still happens: "
               f"`holmes incident capture {subject.kind} {subject.namespace + '/' if subject.namespace else ''}"
               f"{subject.name} --out evals/incidents/NEW-NAME`." if subject is not None else "")
    return f"Thanks, recorded: wrong root cause.{capture}"


def _button(body: dict[str, Any]) -> tuple[str, str, str]:
    action = (body.get("actions") or [{}])[0]
    channel = str((body.get("channel") or {}).get("id", ""))
    message = body.get("message") or {}
    return str(action.get("value", "")), channel, str(message.get("thread_ts") or message.get("ts") or "")


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id", ""))
