"""`holmes eval run --record-llm` then `--replay-llm`: an evaluation done once with a real model replays offline.

The real model is llama.cpp's OpenAI-compatible server with the small gemma GGUF (tests/agent/llama_server.py);
the replay runs with nothing listening at the model's address, so every answer must come from the cassette.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "agent"))
from llama_server import ServerError, llama_server

from holmes.config import Settings
from holmes.evals.cassettes import CassettePolicy
from holmes.evals.runner import run_all
from holmes.paths import builtin_incidents

pytestmark = pytest.mark.llm
BUNDLE = builtin_incidents() / "vllm-nccl-dev-shm-64mib"


def _settings(base_url: str) -> Settings:
    return Settings(llm={"provider": "openai", "base_url": base_url, "model": "gemma-3-270m", "temperature": 0.0,
                         "context_window": 8192, "max_output_tokens": 96, "timeout_s": 600, "max_retries": 0},
                    agent={"max_steps": 2, "max_wall_s": 600})


def test_recorded_evaluation_replays_offline_with_the_same_verdicts_and_token_counts(tmp_path: Path):
    try:
        with llama_server(startup_s=180) as url:
            live = _settings(url)
            recorded = run_all([BUNDLE], live, use_llm=True,
                               cassettes=CassettePolicy(tmp_path, "gemma-3-270m", "record", url))
    except ServerError as exc:
        pytest.fail(f"the llama.cpp server is required for this test and did not start: {exc}")
    cassette = tmp_path / f"{BUNDLE.name}--gemma-3-270m.yaml"
    assert cassette.exists() and "chat/completions" in cassette.read_text()
    assert recorded[0].input_tokens > 0, recorded[0]
    offline = "http://127.0.0.1:9/v1"  # nothing listens there
    replayed = run_all([BUNDLE], _settings(offline), use_llm=True,
                       cassettes=CassettePolicy(tmp_path, "gemma-3-270m", "replay", offline))
    first, again = recorded[0], replayed[0]
    assert again.verdict == first.verdict and again.root_cause == first.root_cause
    assert (again.input_tokens, again.output_tokens, again.steps) == (first.input_tokens, first.output_tokens,
                                                                       first.steps)


def test_replay_without_a_recording_is_an_error_run_naming_the_cassette(tmp_path: Path):
    offline = "http://127.0.0.1:9/v1"
    (run,) = run_all([BUNDLE], _settings(offline), use_llm=True,
                     cassettes=CassettePolicy(tmp_path, "gemma-3-270m", "replay", offline))
    assert run.verdict == "error" and "no cassette recorded" in run.error
