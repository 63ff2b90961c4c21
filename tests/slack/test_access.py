"""Access and limits: allowed channels and users, a per-user sliding-window rate limit, clear refusals."""

from __future__ import annotations

import time
from typing import Any

from holmes.config import SlackSettings
from holmes.slack.access import Access, RateLimiter

from .conftest import Serve
from .stub import SlackWebApiStub
from .support import CHANNEL, ScriptedInvestigator, command_body, event_body, mention, signed


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_is_a_sliding_window_per_user() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, clock)
    assert limiter.wait_s("U1") == 0 and limiter.wait_s("U1") == 0
    assert limiter.wait_s("U2") == 0, "another user has their own window"
    clock.now += 30
    assert limiter.wait_s("U1") == 30.0, "the first question leaves the window 60 s after it was asked"
    clock.now += 30
    assert limiter.wait_s("U1") == 0


def test_zero_means_no_rate_limit() -> None:
    limiter = RateLimiter(0, FakeClock())
    assert all(limiter.wait_s("U1") == 0 for _ in range(100))


def test_direct_messages_are_not_held_to_the_channel_list() -> None:
    access = Access(SlackSettings(allowed_channels=["C1"], rate_limit_per_minute=0))
    assert access.refusal("U1", "C1") is None
    assert access.refusal("U1", "D9", direct=True) is None
    refusal = access.refusal("U1", "C2")
    assert refusal is not None and "slack.allowed_channels" in refusal


def ephemerals(stub: SlackWebApiStub) -> list[dict[str, Any]]:
    return stub.calls_to("chat.postEphemeral")


def test_mention_in_a_channel_not_allowed_gets_an_ephemeral_refusal_and_no_investigation(
        serve: Serve, stub: SlackWebApiStub, settings_for: Any) -> None:
    investigator = ScriptedInvestigator()
    client, _bot = serve(investigator, settings_for(allowed_channels=["C0ALLOWED"]))
    client.post("/slack/events", **signed(event_body(mention("why is pod llm/vllm-0 pending", ts="5.1"))))
    refusal = stub.wait_for(lambda: ephemerals(stub), what="the refusal")[0]
    assert refusal["user"] == "UASKER" and refusal["channel"] == CHANNEL and refusal["thread_ts"] == "5.1"
    assert "does not answer in this channel" in refusal["text"]
    time.sleep(0.3)
    assert investigator.calls == [] and stub.calls_to("chat.postMessage") == []
    assert client.get("/api/v1/investigations").json()["count"] == 0


def test_user_not_allowed_is_refused_by_the_slash_command_ack(serve: Serve, stub: SlackWebApiStub,
                                                              settings_for: Any) -> None:
    investigator = ScriptedInvestigator()
    client, _bot = serve(investigator, settings_for(allowed_users=["UTRUSTED"]))
    response = client.post("/slack/events", **signed(command_body("why is pod llm/vllm-0 pending"),
                                                     content_type="application/x-www-form-urlencoded"))
    assert response.status_code == 200
    assert "not on holmes' list of allowed users" in response.text  # shown to the user alone
    time.sleep(0.3)
    assert investigator.calls == [] and stub.calls_to("chat.postMessage") == []


def test_rate_limit_refuses_the_question_over_the_limit_and_says_when_to_retry(
        serve: Serve, stub: SlackWebApiStub, settings_for: Any) -> None:
    investigator = ScriptedInvestigator()
    client, _bot = serve(investigator, settings_for(rate_limit_per_minute=2))
    for number in range(3):
        ts = stub.seed(CHANNEL, f"<@UHOLMES> why is pod llm/vllm-{number} pending")
        client.post("/slack/events", **signed(event_body(mention(f"why is pod llm/vllm-{number} pending", ts=ts),
                                                         f"EvRate{number}")))
    refusal = stub.wait_for(lambda: ephemerals(stub), what="the rate-limit refusal")[0]
    assert "2 questions in the last minute" in refusal["text"] and "Try again in" in refusal["text"]
    stub.wait_for(lambda: len(investigator.calls) == 2, what="the two allowed questions")
    time.sleep(0.3)
    assert len(investigator.calls) == 2


def test_empty_mention_gets_help_instead_of_an_investigation(serve: Serve, stub: SlackWebApiStub) -> None:
    investigator = ScriptedInvestigator()
    client, _bot = serve(investigator)
    client.post("/slack/events", **signed(event_body({"type": "app_mention", "user": "UASKER", "text": "<@UHOLMES>",
                                                      "ts": "7.1", "channel": CHANNEL, "event_ts": "7.1"})))
    help_text = stub.wait_for(lambda: ephemerals(stub), what="the help")[0]["text"]
    assert "/holmes why is pod" in help_text
    assert investigator.calls == []
