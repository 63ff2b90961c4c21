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

from .support import FakeInvestigator

Client = Callable[..., TestClient]


def make_settings(data_dir: Path, **service: Any) -> Settings:
    return Settings(service={"data_dir": str(data_dir), **service})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def fake() -> FakeInvestigator:
    return FakeInvestigator()


@pytest.fixture
def client_for(tmp_path: Path) -> Iterator[Client]:
    """Start an app (lifespan included) in-process; every app started is stopped at the end of the test."""
    with ExitStack() as stack:
        def start(investigator: Investigator, settings: Settings | None = None, tuning: Tuning | None = None,
                  **service: Any) -> TestClient:
            settings = settings or make_settings(tmp_path / "data", **service)
            app = create_app(settings, investigator, tuning=tuning or Tuning(poll_s=0.05))
            return stack.enter_context(TestClient(app))

        yield start


@pytest.fixture
def client(client_for: Client, fake: FakeInvestigator) -> TestClient:
    return client_for(fake)
