"""Where finished investigations go: a generic outgoing webhook, and any hook another interface (Slack) plugs in."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any, Protocol

import httpx

log = logging.getLogger("holmes.service.routing")


class ResultHook(Protocol):
    """Receives every finished investigation (the API's JSON view); raising marks the delivery as failed."""

    name: str

    def __call__(self, result: dict[str, Any]) -> None: ...


class WebhookRoute:
    """POSTs the investigation as JSON to a URL, retrying transient failures a few times."""

    name = "webhook"

    def __init__(self, url: str, timeout_s: float = 10.0, attempts: int = 3, backoff_s: float = 0.5,
                 headers: dict[str, str] | None = None) -> None:
        self.url = url
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._client = httpx.Client(timeout=timeout_s, headers=headers or {})

    def __call__(self, result: dict[str, Any]) -> None:
        for attempt in range(1, self._attempts + 1):
            try:
                response = self._client.post(self.url, json=result)
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 500 and response.status_code != 429:
                    response.raise_for_status()  # a 4xx will not get better by retrying
                    return
                error = f"HTTP {response.status_code}"
            if attempt < self._attempts:
                time.sleep(self._backoff_s * 2 ** (attempt - 1))
        raise RuntimeError(f"{self.url}: {error} after {self._attempts} attempts")

    def close(self) -> None:
        self._client.close()


class Router:
    """Delivers one result to every hook; one failing hook never stops the others."""

    def __init__(self, hooks: Iterable[ResultHook] = ()) -> None:
        self.hooks = list(hooks)

    def deliver(self, result: dict[str, Any]) -> list[tuple[str, str | None]]:
        """Per hook: (name, None) when delivered, (name, error line) when not."""
        outcomes: list[tuple[str, str | None]] = []
        for hook in self.hooks:
            try:
                hook(result)
            except Exception as exc:
                text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                log.warning("route %s failed for %s: %s", hook.name, result.get("id"), text)
                outcomes.append((hook.name, text))
            else:
                outcomes.append((hook.name, None))
        return outcomes

    def close(self) -> None:
        for hook in self.hooks:
            close = getattr(hook, "close", None)
            if callable(close):
                close()
