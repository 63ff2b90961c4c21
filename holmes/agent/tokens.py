"""Exact token counts offline with bpe-openai, so budgets hold without downloading tokenizer tables."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import bpe_openai

DEFAULT_ENCODING = "o200k_base"
MESSAGE_OVERHEAD = 4  # role and separators the chat format adds around each message


@lru_cache(maxsize=8)
def _encoding(name: str) -> bpe_openai.Encoding:
    return bpe_openai.get_encoding(name)


def encoding_name_for(model: str) -> str:
    """The model's own encoding when bpe-openai knows it; o200k_base for everything else (local models)."""
    if not model:
        return DEFAULT_ENCODING
    try:
        return bpe_openai.encoding_name_for_model(model)
    except Exception:  # unknown model names are the norm for self-hosted servers
        return DEFAULT_ENCODING


class TokenCounter:
    """Counts tokens of text, messages and tool schemas with one encoding."""

    def __init__(self, encoding: str = DEFAULT_ENCODING) -> None:
        self.encoding_name = encoding
        self._encoding = _encoding(encoding)

    @classmethod
    def for_model(cls, model: str) -> TokenCounter:
        return cls(encoding_name_for(model))

    def count(self, text: str) -> int:
        """Tokens of plain text; special-token lookalikes in tool output count as ordinary text."""
        if not text:
            return 0
        return len(self._encoding.encode_ordinary(text))

    def count_message(self, content: str) -> int:
        return self.count(content) + MESSAGE_OVERHEAD

    def count_json(self, value: Any) -> int:
        """Tokens of a JSON value as it travels in a request (tool schemas, tool-call arguments)."""
        return self.count(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str))

    def head(self, text: str, max_tokens: int) -> str:
        """The longest prefix of `text` within `max_tokens`, cut at a token boundary."""
        tokens = self._encoding.encode_ordinary(text)
        if len(tokens) <= max_tokens:
            return text
        return self._encoding.decode(tokens[:max(max_tokens, 0)])
