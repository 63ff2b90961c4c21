"""Who may ask holmes where, and how often: allowed channels and users, and a per-user sliding-window limit."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from holmes.config import SlackSettings

WINDOW_S = 60.0


class RateLimiter:
    """At most `limit` questions per user in any 60-second window (0 means no limit)."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._asked: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait_s(self, user: str) -> float:
        """0 when `user` may ask now (and counts the question); otherwise the seconds until they may."""
        if self.limit <= 0:
            return 0.0
        now = self._clock()
        with self._lock:
            asked = self._asked.setdefault(user, deque())
            while asked and now - asked[0] >= WINDOW_S:
                asked.popleft()
            if len(asked) >= self.limit:
                return max(0.1, WINDOW_S - (now - asked[0]))
            asked.append(now)
            return 0.0


class Access:
    """The refusal to show a user, or None when they may ask (DMs are governed by the user list alone)."""

    def __init__(self, settings: SlackSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self._channels = set(settings.allowed_channels)
        self._users = set(settings.allowed_users)
        self.limiter = RateLimiter(settings.rate_limit_per_minute, clock)

    def refusal(self, user: str, channel: str, direct: bool = False) -> str | None:
        """Checks in order: user, channel, rate; only an allowed question counts against the rate."""
        if self._users and user not in self._users:
            return "Sorry, you are not on holmes' list of allowed users (slack.allowed_users); ask your admin."
        if self._channels and not direct and channel not in self._channels:
            return ("holmes does not answer in this channel (slack.allowed_channels); ask in an allowed channel "
                    "or send holmes a direct message.")
        wait = self.limiter.wait_s(user)
        if wait:
            return (f"You have asked {self.limiter.limit} questions in the last minute, holmes' limit "
                    f"(slack.rate_limit_per_minute). Try again in {wait:.0f} s.")
        return None

    def user_refusal(self, user: str) -> str | None:
        """For feedback: only the user list applies."""
        if self._users and user not in self._users:
            return "Sorry, you are not on holmes' list of allowed users (slack.allowed_users)."
        return None
