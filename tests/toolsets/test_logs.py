"""kubernetes_logs over the replay API: bounded, filtered, and cut so the failure's lines survive."""

from __future__ import annotations

from holmes.toolsets.base import run_tool
from holmes.toolsets.logs import TOOLS

from .objects import pod

LOGS = TOOLS[0]
OOM = ("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 252.00 MiB. "
       "GPU 0 has a total capacity of 10.57 GiB")


def _crashing_pod():
    statuses = [{"name": "vllm", "ready": False, "restartCount": 3, "image": "vllm", "imageID": "",
                 "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                 "lastState": {"terminated": {"reason": "Error", "exitCode": 1}}},
                {"name": "sidecar", "ready": True, "restartCount": 0, "image": "envoy", "imageID": "",
                 "state": {"running": {"startedAt": "2025-03-14T09:00:00Z"}}}]
    containers = [{"name": "sidecar", "image": "envoy"}, {"name": "vllm", "image": "vllm/vllm-openai:v0.8.5"}]
    return pod("vllm-0", containers=containers, statuses=statuses)


def _long_log(lines: int) -> str:
    body = [f"INFO 03-14 10:{i // 60:02d}:{i % 60:02d} [loader.py:12] loading shard {i} of the model weights"
            for i in range(lines)]
    body[700] = "Traceback (most recent call last):"
    body[701] = '  File "/usr/local/lib/python3.12/site-packages/vllm/worker/worker.py", line 210, in determine_blocks'
    body[702] = OOM
    return "\n".join(body) + "\n"


def test_logs_cut_keeps_error_lines_and_says_what_was_cut(replay):
    ctx = replay([_crashing_pod()], logs={("llm", "vllm-0", "vllm", True): _long_log(1500)}, budget=1500)
    result = run_tool(LOGS, ctx, {"namespace": "llm", "pod": "vllm-0", "previous": True, "tail_lines": 1500})
    assert result.status == "ok", result.error
    assert result.data["container"] == "vllm"  # the failing container, not the first one
    assert result.data["total_lines"] == 1500
    assert 0 < result.data["shown"] < 1500
    assert OOM in result.text and "Traceback (most recent call last):" in result.text
    assert "loading shard 0 of" in result.text and "loading shard 1499 of" in result.text
    assert "lines omitted ..." in result.text
    assert result.cut.startswith(f"showing {result.data['shown']} of 1,500 lines (head, tail and ")
    assert "narrow with grep=" in result.cut


def test_logs_default_tail_is_bounded_on_the_server(replay):
    ctx = replay([_crashing_pod()], logs={("llm", "vllm-0", "vllm", False): _long_log(1500)})
    result = run_tool(LOGS, ctx, {"namespace": "llm", "pod": "vllm-0"})
    assert result.data["total_lines"] == 200
    assert result.data["lines"][-1].endswith("loading shard 1499 of the model weights")


def test_logs_grep_filters_with_a_regex(replay):
    ctx = replay([_crashing_pod()], logs={("llm", "vllm-0", "vllm", True): _long_log(1500)})
    result = run_tool(LOGS, ctx, {"namespace": "llm", "pod": "vllm-0", "previous": True, "grep": "cuda|traceback"})
    assert result.data["lines"] == ["Traceback (most recent call last):", OOM]
    assert result.cut is None


def test_logs_previous_without_a_restart_is_no_data(replay):
    ctx = replay([_crashing_pod()], logs={("llm", "vllm-0", "sidecar", False): "started\n"})
    result = run_tool(LOGS, ctx, {"namespace": "llm", "pod": "vllm-0", "container": "sidecar", "previous": True})
    assert result.status == "no_data"
    assert "previous log" in result.text


def test_logs_unknown_container_names_the_real_ones(replay):
    ctx = replay([_crashing_pod()])
    result = run_tool(LOGS, ctx, {"namespace": "llm", "pod": "vllm-0", "container": "nope"})
    assert result.status == "error"
    assert result.error == "pod vllm-0 has no container 'nope'; containers: sidecar, vllm"


def test_logs_bad_regex_is_one_clear_error(replay):
    ctx = replay([_crashing_pod()], logs={("llm", "vllm-0", "vllm", False): "x\n"})
    result = run_tool(LOGS, ctx, {"namespace": "llm", "pod": "vllm-0", "grep": "(unclosed"})
    assert result.status == "error"
    assert result.error.startswith("grep: invalid regular expression '(unclosed'")
