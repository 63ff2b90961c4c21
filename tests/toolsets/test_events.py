"""kubernetes_events over the replay API: both event shapes, dedupe, newest first, ages from the incident's now."""

from __future__ import annotations

from holmes.toolsets.base import run_tool
from holmes.toolsets.events import TOOLS, merge, normalize

from .objects import classic_event, pod, series_event

EVENTS = TOOLS[0]
TAINT = "0/3 nodes are available: 3 node(s) had untolerated taint {nvidia.com/gpu: present}."


def test_events_merge_classic_and_series_shapes_newest_first(replay):
    ctx = replay([
        pod("helper", node=None, phase="Pending"),
        classic_event("llm", "Pod", "helper", "FailedScheduling", TAINT, count=4, first=50, last=20),
        series_event("llm", "Pod", "helper", "FailedScheduling", TAINT, count=7, first=19, last=2),
        classic_event("llm", "Pod", "helper", "Scheduled", "old unrelated", count=1, first=90, last=90, type="Normal"),
    ])
    result = run_tool(EVENTS, ctx, {"namespace": "llm", "name": "helper"})
    assert result.status == "ok", result.error
    events = result.data["events"]
    assert [e["reason"] for e in events] == ["FailedScheduling", "Scheduled"]
    merged = events[0]
    assert merged["count"] == 11
    assert merged["first_seen"].startswith("2025-03-14T09:30")  # 50 minutes before capture
    assert merged["last_seen"].startswith("2025-03-14T10:18")  # the series' lastObservedTime
    assert merged["component"] == "default-scheduler"
    assert merged["object"] == {"kind": "Pod", "name": "helper", "namespace": "llm"}
    first_row = result.text.splitlines()[2]
    assert "2m (x11 over 50m)" in first_row and "untolerated taint {nvidia.com/gpu: present}" in first_row
    assert result.cut is None


def test_events_narrow_by_reason_and_type_on_the_server(replay):
    ctx = replay([
        pod("a", node=None, phase="Pending"),
        classic_event("llm", "Pod", "a", "FailedScheduling", TAINT, 2, 10, 1),
        classic_event("llm", "Pod", "a", "Pulled", "Successfully pulled image", 1, 5, 5, type="Normal",
                      component="kubelet"),
    ])
    result = run_tool(EVENTS, ctx, {"namespace": "llm", "type": "Normal"})
    assert [e["reason"] for e in result.data["events"]] == ["Pulled"]
    assert result.data["events"][0]["component"] == "kubelet"


def test_events_cut_says_how_many_and_how_to_narrow(replay):
    objects = [classic_event("llm", "Pod", f"worker-{i}", "BackOff", f"Back-off restarting failed container {i}",
                             1, 100 - i * 0.1, 100 - i * 0.1) for i in range(300)]
    ctx = replay(objects, budget=800)
    result = run_tool(EVENTS, ctx, {"namespace": "llm"})
    assert result.status == "ok"
    assert len(result.data["events"]) == 300
    shown = len(result.text.splitlines()) - 2
    assert 0 < shown < 300
    narrowers = "reason=, type=Warning, kind= or name="
    assert result.cut == f"showing {shown} of 300 events, newest first; narrow with {narrowers}"
    assert "container 299" in result.text.splitlines()[2]  # the newest row first


def test_events_for_unknown_object_are_no_data(replay):
    ctx = replay([pod("a")])
    result = run_tool(EVENTS, ctx, {"namespace": "llm", "name": "missing"})
    assert result.status == "no_data"
    assert result.data == {"events": []}


def test_merge_keeps_distinct_messages_apart():
    a = normalize(classic_event("llm", "Pod", "p", "BackOff", "one", 2, 10, 5))
    b = normalize(classic_event("llm", "Pod", "p", "BackOff", "two", 3, 10, 1))
    merged = merge([a, b])
    assert [(e["message"], e["count"]) for e in merged] == [("two", 3), ("one", 2)]
