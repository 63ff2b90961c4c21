"""Table cells as kubectl prints them: short ages from the capture time, pod status from container states."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from holmes.replay.tables import human_age, table

NOW = datetime(2025, 3, 14, 10, 20, tzinfo=UTC)


@pytest.mark.parametrize(("since", "shown"), [
    ("2025-03-14T10:19:59Z", "1s"), ("2025-03-14T10:18:01Z", "119s"), ("2025-03-14T10:15:30Z", "4m30s"),
    ("2025-03-14T10:00:00Z", "20m"), ("2025-03-14T06:50:00Z", "3h30m"), ("2025-03-13T10:20:00Z", "24h"),
    ("2025-03-10T08:20:00Z", "4d2h"), ("2024-03-14T10:20:00Z", "365d"), ("2022-03-14T10:20:00Z", "3y1d"),
    (None, "<unknown>"), ("not a time", "<unknown>"), ("2025-03-14T10:25:00Z", "<invalid>"),
])
def test_human_age_is_relative_to_the_capture_time(since: str | None, shown: str) -> None:
    assert human_age(since, NOW) == shown


def _pod(**status: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p", "creationTimestamp": "2025-03-14T10:00:00Z"},
            "spec": {"initContainers": [{"name": "init"}], "containers": [{"name": "a"}, {"name": "b"}]},
            "status": {"phase": "Pending", **status}}


def _cells(pod: dict[str, Any]) -> list[Any]:
    return list(table("", "pods", [pod], NOW, {})["rows"][0]["cells"])


def test_init_container_crash_shows_as_init_status() -> None:
    pod = _pod(initContainerStatuses=[{"name": "init", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}])
    assert _cells(pod)[1:4] == ["0/2", "Init:CrashLoopBackOff", "0"]


def test_running_init_container_shows_progress() -> None:
    pod = _pod(initContainerStatuses=[{"name": "init", "state": {"running": {}}}])
    assert _cells(pod)[2] == "Init:0/1"


def test_terminated_container_reason_and_restarts_with_last_restart_age() -> None:
    pod = _pod(phase="Running", containerStatuses=[
        {"name": "a", "ready": True, "restartCount": 0, "state": {"running": {}}},
        {"name": "b", "ready": False, "restartCount": 2,
         "state": {"terminated": {"reason": "OOMKilled", "exitCode": 137}},
         "lastState": {"terminated": {"finishedAt": "2025-03-14T10:17:00Z"}}}])
    assert _cells(pod)[1:5] == ["1/2", "OOMKilled", "2 (3m ago)", "20m"]


def test_deleted_pod_is_terminating() -> None:
    pod = _pod(phase="Running")
    pod["metadata"]["deletionTimestamp"] = "2025-03-14T10:19:00Z"
    assert _cells(pod)[2] == "Terminating"


def test_unknown_kinds_get_name_and_age() -> None:
    rows = table("example.com", "widgets", [{"metadata": {"name": "w", "creationTimestamp": "2025-03-14T10:19:00Z"}}],
                 NOW, {"resourceVersion": "5"})
    assert [c["name"] for c in rows["columnDefinitions"]] == ["Name", "Age"]
    assert rows["rows"][0]["cells"] == ["w", "60s"] and rows["metadata"] == {"resourceVersion": "5"}
