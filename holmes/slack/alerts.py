"""Alert investigations in Slack: the channel chosen by the alert's labels, one thread per alert group."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from holmes.config import SlackSettings
from holmes.domain import Alert, Diagnosis
from holmes.service.store import EventRecord
from holmes.slack.answers import post_answer
from holmes.slack.follow import EventFollower
from holmes.slack.limits import FALLBACK_CHARS, clip, context, escape, sections
from holmes.slack.threads import SlackThread, ThreadBook

log = logging.getLogger("holmes.slack.alerts")

SHOWN_LABELS = ("namespace", "pod", "node", "team", "severity")


def route_channel(settings: SlackSettings, labels: dict[str, str]) -> str | None:
    """The first route whose every label matches; the default channel otherwise; None: not posted."""
    for route in settings.alert_routes:
        if all(labels.get(name) == value for name, value in route.match.items()):
            return route.channel
    return settings.default_channel


class AlertThreads:
    def __init__(self, client: WebClient, settings: SlackSettings, book: ThreadBook, follower: EventFollower,
                 view: Callable[[str], dict[str, Any] | None]) -> None:
        self._client = client
        self._settings = settings
        self._book = book
        self._follower = follower
        self._view = view

    def deliver(self, view: dict[str, Any]) -> None:
        """Post into the group's thread (opened on its first alert), then watch for the alert's resolve."""
        alert = _alert(view)
        channel = route_channel(self._settings, alert.labels)
        if channel is None:
            return
        group = str(view.get("fingerprint") or "")
        thread = self._book.for_group(group, besides=str(view["id"])) if group else None
        if thread is None or thread.channel != channel:
            posted = self._client.chat_postMessage(channel=channel, **root_message(view))
            thread = SlackThread(channel=channel, thread_ts=str(posted["ts"]), group=group or None)
        else:
            self._client.chat_update(channel=channel, ts=thread.thread_ts, **root_message(view))
            self._client.chat_postMessage(channel=channel, thread_ts=thread.thread_ts,
                                          text=f":rotating_light: *{escape(alert.name)}* fired again.")
        self._book.record(str(view["id"]), thread)
        post_answer(self._client, channel, thread.thread_ts, view)
        if view.get("alert_status") != "resolved":
            self._follower.watch(str(view["id"]), ResolveWatch(self, str(view["id"]), thread))

    def resolved(self, investigation_id: str, thread: SlackThread) -> None:
        """The alert resolved: the thread's root message says so, and a reply tells when."""
        view = self._view(investigation_id)
        if view is None:
            return
        self._client.chat_update(channel=thread.channel, ts=thread.thread_ts, **root_message(view))
        when = view.get("resolved_at") or "now"
        self._client.chat_postMessage(channel=thread.channel, thread_ts=thread.thread_ts,
                                      text=f":white_check_mark: *{escape(_alert(view).name)}* resolved at {when}.")

    def resume(self, investigation_ids: list[str]) -> None:
        """After a restart: watch again the posted alert threads whose alerts still fire."""
        for investigation_id in investigation_ids:
            thread = self._book.find(investigation_id)
            if thread is not None and thread.group is not None:
                self._follower.watch(investigation_id, ResolveWatch(self, investigation_id, thread))


class ResolveWatch:
    """Waits for the `resolved` event of one alert investigation."""

    def __init__(self, threads: AlertThreads, investigation_id: str, thread: SlackThread) -> None:
        self._threads = threads
        self._id = investigation_id
        self._thread = thread

    def seen(self, events: list[EventRecord]) -> bool:
        if any(event.kind == "resolved" for event in events):
            self._threads.resolved(self._id, self._thread)
            return True
        return False

    def tick(self) -> None:
        return None


def root_message(view: dict[str, Any]) -> dict[str, Any]:
    """The thread's root: the alert, whether it still fires, and holmes' one-line verdict."""
    alert = _alert(view)
    resolved = view.get("alert_status") == "resolved"
    state = ":white_check_mark: resolved" if resolved else ":rotating_light: firing"
    where = ", ".join(f"{name} `{escape(alert.labels[name])}`" for name in SHOWN_LABELS if alert.labels.get(name))
    summary = alert.annotations.get("summary") or alert.annotations.get("description") or ""
    lines = [f"*{escape(alert.name or 'alert')}* {state}" + (f" — {where}" if where else "")]
    if summary:
        lines.append(escape(clip(summary, 500)))
    lines.append(_verdict(view))
    subject = _subject(alert)
    about = f" ({subject})" if subject else ""
    text = f"{alert.name or 'alert'} {'resolved' if resolved else 'firing'}{about}: {_plain_verdict(view)}"
    return {"text": clip(text, FALLBACK_CHARS),
            "blocks": [*sections("\n".join(lines)),
                       context(f"alert group `{escape(str(view.get('fingerprint') or ''))}` · investigation "
                               f"`{view.get('id', '')}` · details in the thread")]}


def _verdict(view: dict[str, Any]) -> str:
    if view.get("status") != "completed":
        return f"*holmes:* the investigation failed: {escape(str(view.get('error') or 'unknown error'))}"
    diagnosis = Diagnosis.model_validate(view.get("diagnosis") or {})
    title = f" — {escape(diagnosis.title)}" if diagnosis.title else ""
    return f"*holmes:* `{escape(diagnosis.root_cause)}` ({diagnosis.confidence:.0%}){title}"


def _plain_verdict(view: dict[str, Any]) -> str:
    if view.get("status") != "completed":
        return "investigation failed"
    diagnosis = Diagnosis.model_validate(view.get("diagnosis") or {})
    return f"{diagnosis.root_cause} ({diagnosis.confidence:.0%})"


def _subject(alert: Alert) -> str | None:
    """`pod ns/name` in the plain text, so a follow-up question in the thread knows what the alert was about."""
    namespace, pod = alert.labels.get("namespace"), alert.labels.get("pod")
    return f"pod {namespace}/{pod}" if namespace and pod else None


def _alert(view: dict[str, Any]) -> Alert:
    return Alert.model_validate((view.get("trigger") or {}).get("alert") or {})
