"""Pod logs as the kubelet serves them: container choice, previous, tail, since (from the capture time), bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from holmes.replay.logs import LogWindow, read_log
from holmes.sources.kube import KubeError, KubeReader

LOG = "/api/v1/namespaces/llm/pods/vllm-0/log"


@pytest.fixture(scope="module")
def reader(url: str) -> KubeReader:
    return KubeReader.for_url(url)


def test_single_container_pod_needs_no_container_name(reader: KubeReader) -> None:
    assert reader.log("llm", "vllm-0") == "INFO 03-14 10:19:50 api_server.py:585] vLLM API server version 0.6.3\n"


def test_previous_log_is_the_crashed_run(reader: KubeReader) -> None:
    text = reader.log("llm", "vllm-0", previous=True)
    assert text is not None
    assert "torch.OutOfMemoryError: CUDA out of memory" in text
    assert not text.startswith("2025-")  # timestamps only when asked


def test_timestamps_are_kept_when_asked(reader: KubeReader) -> None:
    text = reader.log("llm", "vllm-0", previous=True, timestamps=True, tail_lines=1)
    assert text == "2025-03-14T10:19:31.000000000Z ERROR engine exited\n"


def test_tail_lines_returns_the_last_lines(reader: KubeReader) -> None:
    text = reader.log("llm", "vllm-0", previous=True, tail_lines=2)
    assert text == '  File "/usr/lib/python3/site-packages/vllm/worker.py", line 12, in load\nERROR engine exited\n'
    assert reader.log("llm", "vllm-0", previous=True, tail_lines=0) == ""


def test_since_seconds_counts_back_from_the_capture_time(reader: KubeReader) -> None:
    # captured_at is 10:20:00; 60 s back keeps lines stamped 10:19:00 or later
    text = reader.log("llm", "vllm-0", previous=True, since_seconds=60)
    assert text is not None and text.splitlines()[0].startswith("torch.OutOfMemoryError")
    assert len(text.splitlines()) == 3


def test_huge_since_seconds_means_everything(reader: KubeReader) -> None:
    assert reader.log("llm", "vllm-0", previous=True, since_seconds=10**15) == \
        reader.log("llm", "vllm-0", previous=True)


def test_since_time_and_limit_bytes(http: httpx.Client) -> None:
    response = http.get(LOG, params={"previous": "true", "sinceTime": "2025-03-14T10:18:00Z", "limitBytes": 10})
    assert response.status_code == 200 and response.text == "INFO 03-14"


def test_multi_container_pod_without_container_is_400_listing_choices(reader: KubeReader) -> None:
    with pytest.raises(KubeError) as raised:
        reader.log("llm", "router-5c9d-abcde")
    assert ("a container name must be specified for pod router-5c9d-abcde, choose one of: [router sidecar] "
            "or one of the init containers: [fetch-config]") in str(raised.value)


def test_named_and_init_containers_are_served(reader: KubeReader) -> None:
    assert reader.log("llm", "router-5c9d-abcde", container="router", tail_lines=1) == "routed 10 requests\n"
    assert reader.log("llm", "router-5c9d-abcde", container="fetch-config") == "fetched config\n"


def test_unknown_container_is_400(http: httpx.Client) -> None:
    response = http.get(LOG, params={"container": "nope"})
    assert response.status_code == 400
    assert response.json()["message"] == "container nope is not valid for pod vllm-0"


def test_missing_previous_log_says_so_like_the_api(http: httpx.Client) -> None:
    response = http.get("/api/v1/namespaces/llm/pods/router-5c9d-abcde/log",
                        params={"container": "router", "previous": "true"})
    assert response.status_code == 400
    assert response.json()["message"] == 'previous terminated container "router" in pod "router-5c9d-abcde" not found'


def test_waiting_container_log_is_400_with_its_reason(http: httpx.Client) -> None:
    response = http.get("/api/v1/namespaces/cache/pods/kvcache-helper/log")
    assert response.status_code == 400
    assert response.json()["message"] == \
        'container "helper" in pod "kvcache-helper" is waiting to start: ContainerCreating'


def test_log_of_a_missing_pod_is_404(http: httpx.Client, reader: KubeReader) -> None:
    assert http.get("/api/v1/namespaces/llm/pods/ghost/log").json()["message"] == 'pods "ghost" not found'
    assert reader.log("llm", "ghost") is None


@pytest.mark.parametrize(("params", "fragment"), [
    ({"tailLines": "-1"}, "tailLines=-1: must be at least 0"),
    ({"limitBytes": "0"}, "limitBytes=0: must be at least 1"),
    ({"sinceSeconds": "10", "sinceTime": "2025-03-14T10:00:00Z"}, "at most one of sinceTime or sinceSeconds"),
    ({"sinceTime": "yesterday"}, "is not an RFC3339 time"),
    ({"previous": "maybe"}, "expected true or false"),
])
def test_bad_log_parameters_are_400(http: httpx.Client, params: dict[str, str], fragment: str) -> None:
    response = http.get(LOG, params=params)
    assert response.status_code == 400 and fragment in response.json()["message"]


# --- the file slicing itself, on a log several read blocks long ------------------------------------------

START = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def long_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """6000 timestamped lines a second apart, every 7th followed by an untimestamped continuation line."""
    lines = []
    for i in range(6000):
        stamp = (START + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
        lines.append(f"{stamp} INFO step {i} " + "x" * (i % 50))
        if i % 7 == 0:
            lines.append(f"    continuation of step {i}")
    path = tmp_path_factory.mktemp("logs") / "long.log"
    path.write_text("\n".join(lines) + "\n")
    return path, lines


def _read(path: Path, window: LogWindow) -> str:
    return b"".join(read_log(path, window)).decode()


@pytest.mark.parametrize("tail", [1, 5, 999, 6857, 10_000])
def test_tail_across_block_boundaries_matches_the_last_lines(long_log: tuple[Path, list[str]], tail: int) -> None:
    path, lines = long_log
    assert _read(path, LogWindow(tail_lines=tail, timestamps=True)) == "".join(f"{x}\n" for x in lines[-tail:])


@pytest.mark.parametrize("second", [0, 1, 2500, 4321, 5999])
def test_since_bisects_to_the_first_line_at_or_after(long_log: tuple[Path, list[str]], second: int) -> None:
    path, lines = long_log
    since = START + timedelta(seconds=second)
    first = lines.index(next(x for x in lines if x.startswith(since.strftime("%Y-%m-%dT%H:%M:%S."))))
    assert _read(path, LogWindow(since=since, timestamps=True)) == "".join(f"{x}\n" for x in lines[first:])


def test_since_after_the_last_line_is_empty(long_log: tuple[Path, list[str]]) -> None:
    path, _ = long_log
    assert _read(path, LogWindow(since=START + timedelta(hours=5))) == ""


def test_since_then_tail_then_limit_bytes_compose_like_the_kubelet(long_log: tuple[Path, list[str]]) -> None:
    path, lines = long_log
    text = _read(path, LogWindow(since=START + timedelta(seconds=10), tail_lines=3, limit_bytes=20))
    expected = "".join(f"{x.split(' ', 1)[1] if x.startswith('2025') else x}\n" for x in lines[-3:])
    assert text == expected[:20]


def test_stripping_timestamps_keeps_untimestamped_lines(long_log: tuple[Path, list[str]]) -> None:
    path, lines = long_log
    text = _read(path, LogWindow(tail_lines=len(lines)))
    assert text.splitlines()[:3] == ["INFO step 0 ", "    continuation of step 0", "INFO step 1 x"]
    assert len(text.splitlines()) == len(lines)


def test_log_without_trailing_newline_tails_its_last_line(tmp_path: Path) -> None:
    path = tmp_path / "c.log"
    path.write_text("one\ntwo\nthree")
    assert _read(path, LogWindow(tail_lines=2)) == "two\nthree"


def _peak_while_reading(path: Path, window: LogWindow) -> tuple[int, int, bytes]:
    """(largest chunk, peak traced memory, first bytes) of serving `path` through `window`."""
    import tracemalloc

    tracemalloc.start()
    try:
        largest, first = 0, b""
        for chunk in read_log(path, window):
            largest = max(largest, len(chunk))
            first = first or chunk[:40]
        return largest, tracemalloc.get_traced_memory()[1], first
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("window", [LogWindow(), LogWindow(since=datetime(2025, 3, 14, 10, 0, tzinfo=UTC))])
def test_a_log_without_newlines_streams_in_bounded_chunks(tmp_path: Path, window: LogWindow) -> None:
    log = tmp_path / "huge.log"
    size = 8 * 1024 * 1024
    log.write_bytes(b"2025-03-14T10:05:00Z " + b"x" * size)
    largest, peak, first = _peak_while_reading(log, window)
    assert first == b"x" * 40  # the timestamp of the line's start is still dropped
    assert largest <= 128 * 1024 and peak < 2 * 1024 * 1024
