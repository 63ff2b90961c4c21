"""An in-process llama.cpp chat model (llama-cpp-python) behind langchain's chat-model interface, tools included."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, convert_to_openai_messages
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import InvalidToolCall, ToolCall
from langchain_core.output_parsers.openai_tools import make_invalid_tool_call, parse_tool_call
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import PrivateAttr

DEFAULT_CHAT_FORMAT = "chatml-function-calling"


class LlamaCppChatModel(BaseChatModel):
    """A GGUF model run in this process; one completion at a time (llama.cpp contexts are not thread-safe)."""

    model_path: str
    chat_format: str = DEFAULT_CHAT_FORMAT
    n_ctx: int = 8192
    temperature: float = 0.0
    max_tokens: int = 1024
    seed: int = 0
    _llama: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-in-process"

    def bind_tools(self, tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool], *,
                   tool_choice: str | None = None, **kwargs: Any) -> Runnable[LanguageModelInput, AIMessage]:
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        if tool_choice and tool_choice not in ("auto", "none"):
            kwargs["tool_choice"] = {"type": "function", "function": {"name": tool_choice}}
        elif tool_choice:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=formatted, **kwargs)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        llama = self._load()
        with self._lock:
            response = llama.create_chat_completion(
                messages=convert_to_openai_messages(messages), tools=kwargs.get("tools"),
                tool_choice=kwargs.get("tool_choice"), temperature=self.temperature, max_tokens=self.max_tokens,
                stop=stop or [], seed=self.seed)
        return ChatResult(generations=[ChatGeneration(message=to_ai_message(response))])

    def _load(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama  # the [local] extra; imported only when this provider is used

            self._llama = Llama(model_path=self.model_path, n_ctx=self.n_ctx, chat_format=self.chat_format,
                                seed=self.seed, verbose=False)
        return self._llama


def to_ai_message(response: dict[str, Any]) -> AIMessage:
    """An OpenAI-shaped chat completion (as llama-cpp-python returns it) as a langchain AIMessage."""
    message = response["choices"][0]["message"]
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for raw in message.get("tool_calls") or []:
        try:
            parsed = parse_tool_call(raw, return_id=True)
        except Exception as exc:  # arguments that are not JSON: the loop tells the model
            function = raw.get("function", {})
            invalid.append(make_invalid_tool_call(raw, str(exc)) if function else
                           InvalidToolCall(name=None, args=None, id=raw.get("id"), error=str(exc),
                                           type="invalid_tool_call"))
            continue
        if parsed:
            calls.append(ToolCall(name=parsed["name"], args=parsed["args"], id=parsed.get("id")))
    usage = response.get("usage") or {}
    metadata = UsageMetadata(input_tokens=usage.get("prompt_tokens", 0),
                             output_tokens=usage.get("completion_tokens", 0),
                             total_tokens=usage.get("total_tokens", 0)) if usage else None
    return AIMessage(content=message.get("content") or "", tool_calls=calls, invalid_tool_calls=invalid,
                     usage_metadata=metadata)
