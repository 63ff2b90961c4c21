from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from holmes.config import Settings
from holmes.service.app import create_app
from holmes.service.investigator import Investigator
from holmes.service.runtime import Tuning
from holmes.slack.bot import SlackBot, SlackTuning
from holmes.slack.http import mount_slack

from .stub import SlackWebApiStub
from .support import SECRET

Serve = Callable[..., tuple[TestClient, SlackBot]]


@pytest.fixture
def stub() -> Iterator[SlackWebApiStub]:
    server = SlackWebApiStub().start()
    yield server
    server.stop()


@pytest.fixture
def settings_for(tmp_path: Path, stub: SlackWebApiStub) -> Callable[..., Settings]:
    def make(**slack: Any) -> Settings:
        values = {"bot_token": "xoxb-test", "signing_secret": SECRET, "base_url": stub.base_url, **slack}
        return Settings(service={"data_dir": str(tmp_path / "data")}, slack=values)

    return make


@pytest.fixture
def serve(settings_for: Callable[..., Settings]) -> Iterator[Serve]:
    """`holmes serve` in-process with Slack mounted (HTTP mode); every app started is stopped at the end."""
    with ExitStack() as stack:
        def start(investigator: Investigator, settings: Settings | None = None, tuning: SlackTuning | None = None,
                  service_tuning: Tuning | None = None) -> tuple[TestClient, SlackBot]:
            settings = settings or settings_for()
            app = create_app(settings, investigator, tuning=service_tuning or Tuning(poll_s=0.05))
            bot = mount_slack(app, settings, tuning or SlackTuning(progress_interval_s=0.0, poll_s=0.05))
            assert bot is not None
            return stack.enter_context(TestClient(app)), bot

        yield start
