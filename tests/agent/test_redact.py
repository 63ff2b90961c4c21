"""The redactor: no secret of the corpus reaches a model; ordinary GPU/vLLM/NCCL/kubelet lines pass unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from holmes.agent.redact import Redactor, redact

CORPUS = yaml.safe_load((Path(__file__).parent / "secret_corpus.yaml").read_text(encoding="utf-8"))
SECRETS = CORPUS["secrets"]
ORDINARY = CORPUS["ordinary"]


def test_the_corpus_is_large_and_varied():
    assert len(SECRETS) >= 100
    assert len({item["kind"] for item in SECRETS}) >= 25
    assert all(item["secret"] in item["text"] for item in SECRETS)  # each sample really contains its secret


@pytest.mark.parametrize("item", SECRETS, ids=[f"{i}-{item['kind']}" for i, item in enumerate(SECRETS)])
def test_no_secret_of_the_corpus_survives(item):
    redacted = redact(item["text"])
    assert item["secret"] not in redacted
    assert "[REDACTED" in redacted


@pytest.mark.parametrize("line", ORDINARY)
def test_ordinary_lines_pass_unchanged(line):
    assert redact(line) == line


def test_readable_identifiers_survive_next_to_a_secret():
    text = ("pod llm/vllm-0 on gpu-node-1 (10.244.3.17) GPU-8f2c3b4a-1d2e-4f50-9a6b-7c8d9e0f1a2b "
            "image vllm/vllm-openai@sha256:3b1f8e5c9d2a4f6e8b0c1d3e5f7a9b2c4d6e8f0a1b3c5d7e9f2a4b6c8d0e1f3a "
            "HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyz0123456789")
    redacted = redact(text)
    assert "hf_abcdefghijklmnopqrstuvwxyz0123456789" not in redacted
    for kept in ("llm/vllm-0", "gpu-node-1", "10.244.3.17", "GPU-8f2c3b4a-1d2e-4f50-9a6b-7c8d9e0f1a2b",
                 "sha256:3b1f8e5c9d2a4f6e8b0c1d3e5f7a9b2c4d6e8f0a1b3c5d7e9f2a4b6c8d0e1f3a", "HF_TOKEN="):
        assert kept in redacted


def test_the_redactor_counts_what_it_masked():
    redactor = Redactor()
    redactor.redact("password=hunter22 and token=abc123xyz")
    assert redactor.masked == 2


def test_redaction_is_idempotent():
    once = redact("\n".join(item["text"] for item in SECRETS))
    assert redact(once) == once
