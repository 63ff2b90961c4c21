"""Rendering helpers: kubectl-like tables, ages from the incident's now, cutting to a token budget."""

from __future__ import annotations

from datetime import UTC, datetime

from holmes.toolsets.render import age, count_tokens, fit_text, keep_within, parse_time, quantity, table

NOW = datetime(2025, 3, 14, 10, 20, tzinfo=UTC)


def test_table_aligns_columns_like_kubectl():
    text = table(["name", "status"], [["vllm-0", "CrashLoopBackOff"], ["a", "Running"]])
    assert text.splitlines() == ["NAME     STATUS", "vllm-0   CrashLoopBackOff", "a        Running"]


def test_age_is_relative_to_the_incident_not_the_wall_clock():
    assert age("2025-03-14T10:19:15Z", NOW) == "45s"
    assert age("2025-03-14T10:16:40Z", NOW) == "3m20s"
    assert age("2025-03-14T07:15:00Z", NOW) == "3h5m"
    assert age("2025-03-10T08:20:00Z", NOW) == "4d2h"
    assert age("2025-03-14T10:25:00Z", NOW) == "in the future"
    assert age(None, NOW) == "<unknown>"


def test_parse_time_reads_micro_and_nano_times():
    assert parse_time("2025-03-14T10:19:15.123456789Z") == datetime(2025, 3, 14, 10, 19, 15, 123456, tzinfo=UTC)
    assert parse_time("not a time") is None


def test_count_tokens_is_exact_once_the_tokenizer_is_loaded():
    import bpe_openai  # noqa: F401  (the agent loads it; then every count is exact)

    assert count_tokens("hello world") == 2  # o200k_base; a chars/4 estimate would say 3


def test_count_tokens_without_the_tokenizer_bounds_the_real_count(monkeypatch):
    import sys

    import bpe_openai

    text = "I1203 10:20:00 kubelet.go:2412] Error syncing pod vllm-0 (GPU-3f1c9a2e): CrashLoopBackOff\n" * 20
    exact = count_tokens(text)
    monkeypatch.delitem(sys.modules, "bpe_openai")
    estimate = count_tokens(text)
    assert estimate >= exact * 0.8
    assert estimate <= len(text)
    assert bpe_openai  # the module object is untouched; only the import state was hidden


def test_fit_text_cuts_on_lines_and_says_so():
    text = "\n".join(f"line {i} with some words in it" for i in range(500))
    cut_text, note = fit_text(text, 200, "narrow with name=")
    kept = cut_text.splitlines()
    assert 0 < len(kept) < 500 and count_tokens(cut_text) <= 200
    assert note == f"showing the first {len(kept)} of 500 lines (token budget 200); narrow with name="
    assert fit_text("short", 200) == ("short", None)


def test_keep_within_keeps_head_tail_and_important_lines():
    lines = [f"INFO step {i} of the model load" for i in range(2000)]
    lines[900] = "RuntimeError: CUDA error: no CUDA-capable device is detected"
    kept, omitted = keep_within(lines, 1200, lambda line: "error" in line.lower())
    assert lines[900] in kept and lines[0] in kept and lines[-1] in kept
    assert omitted > 0 and any(line.endswith("lines omitted ...") for line in kept)
    assert sum(count_tokens(line) + 1 for line in kept) <= 1200


def test_quantity_reads_kubernetes_quantities():
    assert quantity("80Gi") == 80 * 2**30
    assert quantity("500m") == 0.5
    assert quantity("8") == 8
    assert quantity("lots") is None
