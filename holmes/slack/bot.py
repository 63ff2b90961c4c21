"""The Slack app bound to one running service: its parts built once, started and stopped with the service."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient

from holmes.config import Settings
from holmes.service.runtime import Service
from holmes.service.store import ListFilter
from holmes.slack.access import Access
from holmes.slack.alerts import AlertThreads
from holmes.slack.asking import Asker
from holmes.slack.bolt_app import build_bolt_app
from holmes.slack.feedback import FeedbackDesk
from holmes.slack.follow import EventFollower
from holmes.slack.progress import ProgressBoard
from holmes.slack.results import SlackResultHook
from holmes.slack.threads import ThreadBook

log = logging.getLogger("holmes.slack")


@dataclass
class SlackTuning:
    """Knobs tests and operators rarely touch."""

    progress_interval_s: float = 3.0  # chat.update is rate limited (about 50 a minute per workspace)
    poll_s: float = 1.0
    resume_lookback: int = 200  # recent investigations searched at start-up for threads to follow again


class SlackBot:
    """Questions in, answers and alert threads out, through the service's store and workers."""

    def __init__(self, settings: Settings, service: Service, client: WebClient, bot_user_id: str | None,
                 verify_requests: bool, tuning: SlackTuning | None = None) -> None:
        self.tuning = tuning or SlackTuning()
        self._service = service
        store = service.require_store
        self.book = ThreadBook(store)
        self.follower = EventFollower(store, poll_s=self.tuning.poll_s)
        self.board = ProgressBoard(client, self.tuning.progress_interval_s)
        self.alerts = AlertThreads(client, settings.slack, self.book, self.follower, service.view)
        self.hook = SlackResultHook(client, self.book, self.board, self.follower, self.alerts)
        access = Access(settings.slack)
        asker = Asker(client, self.book, self.board, self.follower, access, bot_user_id)
        secret = settings.slack.signing_secret.get_secret_value() if settings.slack.signing_secret else None
        self.app = build_bolt_app(client, secret, asker, FeedbackDesk(client, store, access), verify_requests)
        service.router.hooks.append(self.hook)

    def start(self) -> None:
        """After the service started: follow again what was in flight when holmes last stopped."""
        self.follower.start()
        try:
            self._resume()
        except Exception:
            log.exception("resuming Slack threads failed; new questions are not affected")

    def stop(self) -> None:
        self.follower.stop()

    def _resume(self) -> None:
        store = self._service.require_store()
        for status in ("queued", "running"):
            for record in store.find(ListFilter(status=status, limit=self.tuning.resume_lookback)):
                thread = self.book.find(record.id)
                if thread is not None and thread.progress_ts is not None:
                    self.follower.watch(record.id, self.board.open(record.id, thread, record.trigger))
        firing = [record.id for record in store.find(ListFilter(limit=self.tuning.resume_lookback))
                  if record.origin == "alertmanager" and record.alert_status == "firing"
                  and record.status in ("completed", "failed")]
        self.alerts.resume(firing)
