"""The agent against a real model over HTTP: llama-cpp-python's OpenAI-compatible server with gemma 270M.

The live test starts the server on a loopback port and fails loudly when it cannot (CI installs the [local]
extra). The replay test plays the cassette recorded from that server, so the same path runs in about a second.
Re-record with `HOLMES_RECORD_CASSETTES=1 pytest tests/agent/test_llm_server.py -k live`.

The 270M model cannot diagnose anything: these tests assert the loop's guarantees (ends within budget, never
raises, a valid Diagnosis, honest accounting, engine fallback when the answer is unusable), not its quality.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
import vcr
from bundle_run import INCIDENTS, investigate_bundle
from llama_server import ServerError, llama_server

from holmes.agent.models import build_chat_model
from holmes.config import Settings
from holmes.domain import Diagnosis
from holmes.runbooks.taxonomy import load_taxonomy

pytestmark = pytest.mark.llm

BUNDLE = INCIDENTS / "gpu-pending-untolerated-taint"
CASSETTE = Path(__file__).parent / "cassettes" / "gemma-270m-gpu-pending-untolerated-taint.yaml"
RECORD = os.environ.get("HOLMES_RECORD_CASSETTES") == "1"
MAX_STEPS = 3
MAX_WALL_S = 900.0  # a 2-core CI box evaluates the ~4,500-token first prompt in well under this


def settings_for(base_url: str) -> Settings:
    """The same settings for the live run and the replay, so the recorded requests match byte for byte."""
    return Settings(llm={"provider": "openai", "base_url": base_url, "model": "gemma-3-270m", "temperature": 0.0,
                         "context_window": 8192, "max_output_tokens": 128, "timeout_s": MAX_WALL_S,
                         "max_retries": 0},
                    agent={"max_steps": MAX_STEPS, "max_wall_s": MAX_WALL_S, "max_total_tokens": 60000})


def _json_body(r1: Any, r2: Any) -> None:
    """Requests match on their parsed JSON body: the same messages, tools and parameters."""
    assert json.loads(r1.body or b"{}") == json.loads(r2.body or b"{}")


def _only_model_calls(request: Any) -> Any:
    """Record the chat completions only; the replay API and everything else go to their real servers."""
    if not request.path.endswith("/chat/completions"):
        return None
    request.headers = {}
    return request


RECORDER = vcr.VCR(cassette_library_dir=str(CASSETTE.parent), match_on=["method", "path", "json_body"],
                   before_record_request=_only_model_calls, decode_compressed_response=True)
RECORDER.register_matcher("json_body", _json_body)


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    try:
        with llama_server(startup_s=180) as url:
            yield url
    except ServerError as exc:
        pytest.fail(f"the llama.cpp server is required for this test and did not start: {exc}")


def assert_guarantees(diagnosis: Diagnosis, report: Any, elapsed: float) -> None:
    """What the loop promises whatever the model says."""
    assert Diagnosis.model_validate_json(diagnosis.model_dump_json()) == diagnosis
    assert diagnosis.root_cause in {cause.id for cause in load_taxonomy()}
    usage = diagnosis.usage
    assert 1 <= usage.steps <= MAX_STEPS
    assert usage.input_tokens > 1000  # the first request alone carries the engine's facts
    assert usage.tool_calls >= len(report.results)
    assert elapsed <= MAX_WALL_S + 60
    if diagnosis.source == "agent":
        assert not diagnosis.degraded
        for evidence in diagnosis.evidence:
            assert re.fullmatch(r"t\d+", evidence.call_id)
    else:  # the model's answer was unusable: the engine's diagnosis, marked, saying why
        assert diagnosis.degraded
        assert diagnosis.root_cause == report.diagnosis.root_cause
        assert any("the agent's answer was not used" in gap for gap in diagnosis.gaps)


def test_live_investigation_over_http_ends_within_budget_with_a_valid_diagnosis(server_url):
    settings = settings_for(server_url)
    if RECORD:
        CASSETTE.unlink(missing_ok=True)  # "all" mode would append to the old recording
    recording = RECORDER.use_cassette(CASSETTE.name, record_mode="all") if RECORD else nullcontext()
    started = time.monotonic()
    with recording:
        diagnosis, report = investigate_bundle(BUNDLE, settings, build_chat_model(settings.llm))
    assert_guarantees(diagnosis, report, time.monotonic() - started)
    assert not any("model call failed" in gap for gap in diagnosis.gaps), diagnosis.gaps


def test_recorded_investigation_replays_the_same_requests_fast():
    assert CASSETTE.exists(), f"{CASSETTE} is missing: record it with HOLMES_RECORD_CASSETTES=1"
    settings = settings_for("http://127.0.0.1:9/v1")  # nothing listens there: every model call must replay
    started = time.monotonic()
    with RECORDER.use_cassette(CASSETTE.name, record_mode="none") as cassette:
        diagnosis, report = investigate_bundle(BUNDLE, settings, build_chat_model(settings.llm))
    assert cassette.all_played  # the loop sent exactly the recorded requests, in order
    assert diagnosis.usage.steps == cassette.play_count
    assert_guarantees(diagnosis, report, time.monotonic() - started)
    assert not any("model call failed" in gap for gap in diagnosis.gaps), diagnosis.gaps
