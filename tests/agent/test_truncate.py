"""Fitting a tool result into its share: cut by the shape of the data, always saying what was cut."""

from __future__ import annotations

import pytest

from holmes.agent.tokens import TokenCounter
from holmes.agent.truncate import fit_result, narrowing_params
from holmes.domain import ToolResult

COUNTER = TokenCounter()


def logs(lines: list[str]) -> ToolResult:
    return ToolResult(call_id="t1", tool="kubernetes_logs", status="ok", text="\n".join(lines), data={"lines": lines})


def test_a_result_within_its_share_is_untouched():
    result = logs(["INFO ready", "INFO serving"])
    fitted = fit_result(result, 500, COUNTER)
    assert fitted.text == result.text and fitted.cut is None
    assert fitted.tokens == COUNTER.count(result.text)


def test_a_long_log_keeps_head_tail_and_error_lines_from_the_middle():
    lines = [f"2025-03-14T10:00:{i % 60:02d}Z INFO step {i} ok" for i in range(4000)]
    lines[1200] = "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 224.00 MiB"
    lines[2500] = "NCCL WARN Error while creating shared memory segment /dev/shm/nccl-F9ffgB"
    fitted = fit_result(logs(lines), 600, COUNTER, ["grep", "since_seconds", "tail_lines"])
    assert fitted.tokens <= 600
    assert lines[0] in fitted.text and lines[-1] in fitted.text
    assert lines[1200] in fitted.text and lines[2500] in fitted.text
    assert "lines omitted" in fitted.text
    assert fitted.cut is not None and "of 4000 lines" in fitted.cut and "2 of 2 error-looking" in fitted.cut
    assert "narrow the call with grep, since_seconds, tail_lines" in fitted.cut


def test_events_keep_the_newest_first_lines():
    lines = [f"{i}m Warning FailedScheduling default-scheduler 0/3 nodes are available (event {i})" for i in range(500)]
    result = ToolResult(call_id="t2", tool="kubernetes_events", status="ok", text="\n".join(lines),
                        data={"events": [{} for _ in lines]})
    fitted = fit_result(result, 300, COUNTER)
    assert fitted.text.startswith(lines[0]) and lines[-1] not in fitted.text
    assert fitted.cut is not None and "of 500 events (newest first)" in fitted.cut


def test_series_are_summarised_instead_of_listing_samples():
    series = [{"metric": {"gpu": str(g), "__name__": "DCGM_FI_DEV_GPU_UTIL"},
               "values": [[1700000000 + 15 * i, str((i * g) % 100)] for i in range(400)]} for g in range(4)]
    text = "\n".join(f"{s['metric']} {v}" for s in series for v in s["values"])
    result = ToolResult(call_id="t3", tool="prometheus_query_range", status="ok", text=text, data={"result": series})
    fitted = fit_result(result, 400, COUNTER)
    assert fitted.text.count("samples=400") == 4
    assert 'gpu="3"' in fitted.text and "max=99" in fitted.text
    assert fitted.cut is not None and "1600 samples of 4 series" in fitted.cut


def test_the_tools_own_cut_note_is_kept():
    result = logs([f"line {i}" for i in range(3000)])
    result.cut = "the tool returned the last 3000 of 90000 lines"
    fitted = fit_result(result, 200, COUNTER)
    assert fitted.cut is not None and fitted.cut.startswith("the tool returned the last 3000 of 90000 lines; then")


def test_one_enormous_line_is_cut_at_a_token_boundary():
    result = ToolResult(call_id="t4", tool="kubernetes_get", status="ok", text="x" * 200_000)
    fitted = fit_result(result, 300, COUNTER)
    assert fitted.tokens <= 300 and fitted.cut is not None


def test_an_error_result_shows_its_error():
    result = ToolResult(call_id="t5", tool="kubernetes_get", status="error", error="pods \"x\" not found")
    assert fit_result(result, 100, COUNTER).text == 'pods "x" not found'


@pytest.mark.parametrize(("schema", "expected"), [
    ({"properties": {"namespace": {}, "pod": {}, "grep": {}, "tail_lines": {}}}, ["grep", "tail_lines", "pod",
                                                                                    "namespace"]),
    ({"properties": {"query": {}}}, ["query"]),
    ({}, []),
])
def test_narrowing_hints_come_from_the_tools_own_parameters(schema, expected):
    assert narrowing_params(schema) == expected
