"""Building chat models from settings, and retries on 429/5xx/timeouts that honour Retry-After.

The HTTP server here is a STUB of an OpenAI-compatible endpoint: nothing real answers 429 on demand."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from langchain_core.messages import HumanMessage

from holmes.agent.models import build_chat_model
from holmes.config import LLMSettings, Settings
from holmes.errors import UserError

COMPLETION = {"id": "c1", "object": "chat.completion", "created": 0, "model": "stub",
              "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}],
              "usage": {"prompt_tokens": 7, "completion_tokens": 1, "total_tokens": 8}}


class StubOpenAI:
    """Answers each POST from a list of (status, headers, delay); then 200 with a completion."""

    def __init__(self, plan: list[tuple[int, dict[str, str], float]]) -> None:
        self.plan = list(plan)
        self.arrivals: list[float] = []
        self.bodies: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                stub.arrivals.append(time.monotonic())
                stub.bodies.append(json.loads(body))
                status, headers, delay = stub.plan.pop(0) if stub.plan else (200, {}, 0.0)
                time.sleep(delay)
                payload = json.dumps(COMPLETION if status == 200 else {"error": {"message": "stub"}}).encode()
                try:
                    self.send_response(status)
                    for key, value in {"content-type": "application/json", **headers}.items():
                        self.send_header(key, value)
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> StubOpenAI:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub_factory() -> Iterator:
    stubs: list[StubOpenAI] = []

    def make(plan):
        stub = StubOpenAI(plan).__enter__()
        stubs.append(stub)
        return stub

    yield make
    for stub in stubs:
        stub.__exit__()


def openai_settings(url: str, **extra) -> LLMSettings:
    return LLMSettings(provider="openai", model="stub-model", base_url=url, **extra)


def test_rate_limit_is_retried_after_the_servers_retry_after(stub_factory):
    stub = stub_factory([(429, {"retry-after": "1"}, 0.0)])
    reply = build_chat_model(openai_settings(stub.url)).invoke([HumanMessage("hi")])
    assert reply.content == "ok"
    assert len(stub.arrivals) == 2
    assert stub.arrivals[1] - stub.arrivals[0] >= 0.95  # waited as told, not the 0.5 s default backoff


def test_server_errors_are_retried_with_backoff(stub_factory):
    stub = stub_factory([(503, {}, 0.0), (500, {}, 0.0)])
    reply = build_chat_model(openai_settings(stub.url)).invoke([HumanMessage("hi")])
    assert reply.content == "ok" and len(stub.arrivals) == 3
    assert stub.arrivals[2] - stub.arrivals[0] >= 0.6  # exponential backoff: ~0.5 s then ~1 s (minus jitter)


def test_timeouts_are_retried(stub_factory):
    stub = stub_factory([(200, {}, 1.5)])
    reply = build_chat_model(openai_settings(stub.url, timeout_s=0.5)).invoke([HumanMessage("hi")])
    assert reply.content == "ok" and len(stub.arrivals) == 2


def test_retries_stop_at_max_retries(stub_factory):
    stub = stub_factory([(500, {}, 0.0)] * 5)
    with pytest.raises(Exception, match=r"500|Internal|stub"):
        build_chat_model(openai_settings(stub.url, max_retries=1)).invoke([HumanMessage("hi")])
    assert len(stub.arrivals) == 2


def test_request_carries_the_configured_model_and_limits(stub_factory):
    stub = stub_factory([])
    build_chat_model(openai_settings(stub.url, temperature=0.0, max_output_tokens=321)).invoke([HumanMessage("hi")])
    body = stub.bodies[0]
    assert body["model"] == "stub-model" and body["temperature"] == 0.0
    assert body["max_tokens"] == 321  # what llama.cpp and older servers read
    assert body["max_completion_tokens"] == 321  # what the OpenAI API reads


def test_environment_form_configures_the_provider(monkeypatch):
    monkeypatch.setenv("HOLMES_LLM__PROVIDER", "openai")
    monkeypatch.setenv("HOLMES_LLM__BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("HOLMES_LLM__MODEL", "served-model")
    monkeypatch.setenv("HOLMES_LLM__API_KEY", "sk-test-not-a-real-key-000000000000")
    model = build_chat_model(Settings().llm)
    assert model.model_name == "served-model"
    assert model.openai_api_base == "http://127.0.0.1:9/v1"
    assert model.openai_api_key.get_secret_value() == "sk-test-not-a-real-key-000000000000"


@pytest.mark.parametrize(("llm", "message"), [
    (LLMSettings(provider="none"), "no model configured"),
    (LLMSettings(provider="openai"), "llm.model is not set"),
    (LLMSettings(provider="azure"), "azure_deployment"),
    (LLMSettings(provider="azure", model="gpt-4o", api_key="k", base_url="https://x.openai.azure.com"), "api_version"),
])
def test_missing_configuration_is_one_clear_user_error(llm, message, monkeypatch):
    monkeypatch.delenv("OPENAI_API_VERSION", raising=False)
    with pytest.raises(UserError, match=message) as raised:
        build_chat_model(llm)
    assert "\n" not in str(raised.value)


def test_azure_provider_uses_deployment_endpoint_and_api_version():
    model = build_chat_model(LLMSettings(provider="azure", model="gpt-4o", azure_deployment="prod-gpt4o",
                                         base_url="https://example.openai.azure.com", api_key="k",
                                         api_version="2024-10-21", max_retries=5))
    assert model.deployment_name == "prod-gpt4o" and model.azure_endpoint == "https://example.openai.azure.com"
    assert model.openai_api_version == "2024-10-21" and model.max_retries == 5


def test_local_provider_defaults_to_the_packaged_gemma_model():
    pytest.importorskip("llama_cpp", reason="the [local] extra is not installed")
    model = build_chat_model(LLMSettings(provider="local", context_window=2048, max_output_tokens=16))
    assert model.model_path.endswith(".gguf") and model.chat_format == "chatml-function-calling"


def test_the_agents_wall_time_limit_also_ends_a_slow_http_call(stub_factory):
    from fakes import FakeCluster, engine_report, registry_for, settings

    from holmes.agent.loop import run_agent
    from holmes.domain import Trigger
    from holmes.toolsets.base import ToolContext

    stub = stub_factory([(200, {}, 4.0)])
    ctx, cluster = ToolContext(), FakeCluster()
    registry = registry_for(cluster)
    config = settings(max_wall_s=1.0)
    config.llm.base_url, config.llm.max_retries = stub.url, 0
    started = time.monotonic()
    diagnosis = run_agent(Trigger(question="why?"), engine_report(ctx, registry), registry, ctx, config,
                          build_chat_model(config.llm))
    assert time.monotonic() - started < 3.0
    assert diagnosis.degraded and any("wall-time limit" in gap for gap in diagnosis.gaps)
    assert "timeout" not in stub.bodies[0]  # the deadline is a client option, never sent to the server
