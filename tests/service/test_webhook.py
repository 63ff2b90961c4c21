"""Concurrent webhook calls on a real server: gathered into shared writes, each still gets its own outcomes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from holmes.service.app import create_app
from holmes.service.runtime import Tuning

from .conftest import make_settings
from .support import FakeInvestigator, alert, free_port, payload, wait_until


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    fake = FakeInvestigator()
    fake.release.clear()  # keep the workers out of the way
    app = create_app(make_settings(tmp_path / "data"), fake, tuning=Tuning(shutdown_grace_s=0.1))
    runner = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    wait_until(lambda: runner.started, what="uvicorn")
    yield f"http://127.0.0.1:{port}"
    fake.release.set()
    runner.should_exit = True
    thread.join(15)


async def _burst(url: str, count: int) -> list[tuple[str, dict]]:
    async with httpx.AsyncClient(base_url=url, limits=httpx.Limits(max_connections=16)) as client:
        async def send(index: int) -> tuple[str, dict]:
            fingerprint = f"fp-{index}"
            alerts = [alert(fingerprint, pod=f"pod-{index}")] + ([alert("shared")] if index % 3 == 0 else [])
            response = await client.post("/api/v1/alertmanager", json=payload(*alerts))
            assert response.status_code == 200, response.text
            return fingerprint, response.json()

        return await asyncio.gather(*(send(i) for i in range(count)))


def test_each_concurrent_call_gets_the_outcomes_of_its_own_alerts(server: str) -> None:
    results = asyncio.run(_burst(server, 60))
    shared_ids = set()
    for fingerprint, ack in results:
        own_id = ack["investigations"][0]
        stored = httpx.get(f"{server}/api/v1/investigations/{own_id}").json()
        assert stored["fingerprint"] == fingerprint
        assert ack["queued"] + ack["duplicates"] == ack["received"]
        if len(ack["investigations"]) == 2:
            shared_ids.add(ack["investigations"][1])
    assert len(shared_ids) == 1  # twenty calls carried the same episode: one investigation
    listed = httpx.get(f"{server}/api/v1/investigations", params={"fingerprint": "shared"}).json()
    assert listed["count"] == 1 and listed["items"][0]["repeats"] == 19
