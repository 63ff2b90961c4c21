"""Token counts come from bpe-openai offline, exactly as the OpenAI tokenizers count."""

from __future__ import annotations

from holmes.agent.tokens import TokenCounter, encoding_name_for


def test_counts_are_exact_for_known_strings():
    counter = TokenCounter("cl100k_base")
    assert counter.count("hello world") == 2
    assert counter.count("") == 0


def test_special_token_lookalikes_in_tool_output_count_as_text():
    counter = TokenCounter()
    assert counter.count("<|endoftext|>") > 1  # never a control token, never an exception


def test_unknown_models_fall_back_to_o200k():
    assert encoding_name_for("gemma-3-270m") == "o200k_base"
    assert encoding_name_for("gpt-4") == "cl100k_base"


def test_head_cuts_at_a_token_boundary():
    counter = TokenCounter()
    text = "GPU-8f2c3b4a-1d2e-4f50-9a6b-7c8d9e0f1a2b " * 50
    head = counter.head(text, 20)
    assert text.startswith(head) and counter.count(head) <= 20
    assert counter.head("short", 20) == "short"
