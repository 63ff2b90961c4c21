"""Alert investigations in Slack: the configured channel, one thread per alert group, resolve updates the thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from holmes.bundle.loader import load_spec
from holmes.bundle.model import IncidentSpec
from holmes.paths import builtin_incidents
from holmes.service.investigator import open_investigator

from .conftest import Serve
from .stub import Message, SlackWebApiStub
from .support import ScriptedInvestigator, event_body, mention, signed

ALERTS = "C0ALERTS"
OTHER = "C0OTHERS"


def alert_bundle() -> tuple[Path, IncidentSpec]:
    """The first recorded incident (by name) an alert triggered, with no metrics to serve."""
    for directory in sorted(builtin_incidents().iterdir()):
        if (directory / "incident.yaml").is_file() and not (directory / "metrics").is_dir():
            spec = load_spec(directory)
            if spec.trigger.alert is not None and spec.trigger.alert.labels.get("namespace"):
                return directory, spec
    raise AssertionError(f"no recorded incident with an alert trigger in {builtin_incidents()}")


def webhook(*alerts: dict[str, Any]) -> dict[str, Any]:
    """Alertmanager's webhook body (version 4) around `alerts`."""
    status = "firing" if any(alert["status"] == "firing" for alert in alerts) else "resolved"
    return {"version": "4", "groupKey": "{}:{alertname=\"x\"}", "status": status, "receiver": "holmes",
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am.invalid",
            "alerts": list(alerts)}


def simple_alert(status: str = "firing", starts_at: str = "2025-06-11T13:41:30Z", **labels: str) -> dict[str, Any]:
    return {"status": status, "labels": {"alertname": "KubePodNotReady", "namespace": "llm", "pod": "vllm-0", **labels},
            "annotations": {"summary": "Pod has been in a non-ready state."}, "startsAt": starts_at,
            "endsAt": "2025-06-11T14:00:00Z" if status == "resolved" else "0001-01-01T00:00:00Z", "fingerprint": ""}


def roots(stub: SlackWebApiStub, channel: str) -> list[Message]:
    return sorted((m for m in stub.messages.values() if m.channel == channel and m.thread_ts is None),
                  key=lambda m: float(m.ts))


def replies(stub: SlackWebApiStub, channel: str, root: str) -> list[Message]:
    return [m for m in stub.thread(channel, root) if m.ts != root]


def diagnoses(stub: SlackWebApiStub, root: str) -> list[Message]:
    return [m for m in replies(stub, ALERTS, root) if m.blocks and m.blocks[0]["type"] == "header"]


def test_recorded_alert_reaches_its_routed_channel_as_a_thread_and_resolve_updates_it(
        serve: Serve, stub: SlackWebApiStub, settings_for: Any) -> None:
    bundle, spec = alert_bundle()
    alert = spec.trigger.alert
    assert alert is not None
    namespace = alert.labels["namespace"]
    settings = settings_for(alert_routes=[{"channel": OTHER, "match": {"namespace": f"not-{namespace}"}},
                                          {"channel": ALERTS, "match": {"namespace": namespace}}],
                            default_channel=OTHER)
    firing = alert.model_dump(mode="json")
    with open_investigator(settings, bundle, use_llm=False) as investigator:
        client, _bot = serve(investigator, settings)
        assert client.post("/api/v1/alertmanager", json=webhook(firing)).json()["queued"] == 1
        root = stub.wait_for(lambda: roots(stub, ALERTS), timeout=120, what="the alert's root message")[0]
        stub.wait_for(lambda: diagnoses(stub, root.ts), timeout=60, what="the diagnosis in the alert's thread")

        assert roots(stub, OTHER) == []
        assert alert.name in root.text and "firing" in root.text
        assert f"`{spec.expected.root_cause}`" in root.blocks[0]["text"]["text"]
        diagnosis = [m for m in replies(stub, ALERTS, root.ts) if m.blocks]
        assert f"`{spec.expected.root_cause}`" in diagnosis[0].blocks[1]["text"]["text"]

        resolved = {**firing, "status": "resolved", "endsAt": "2026-06-18T11:00:00Z"}
        assert client.post("/api/v1/alertmanager", json=webhook(resolved)).json()["resolved"] == 1
        stub.wait_for(lambda: "resolved" in stub.messages[(ALERTS, root.ts)].text, what="the root updated as resolved")
        stub.wait_for(lambda: any("resolved at" in m.text for m in replies(stub, ALERTS, root.ts)),
                      what="a reply saying when it resolved")
    assert stub.messages[(ALERTS, root.ts)].edits == 1
    assert len(roots(stub, ALERTS)) == 1


def test_alert_without_a_matching_route_goes_to_the_default_channel(serve: Serve, stub: SlackWebApiStub,
                                                                    settings_for: Any) -> None:
    settings = settings_for(alert_routes=[{"channel": ALERTS, "match": {"team": "inference"}}], default_channel=OTHER)
    client, _bot = serve(ScriptedInvestigator(), settings)
    client.post("/api/v1/alertmanager", json=webhook(simple_alert(team="platform")))
    client.post("/api/v1/alertmanager", json=webhook(simple_alert(team="inference", pod="vllm-1")))
    stub.wait_for(lambda: roots(stub, OTHER) and roots(stub, ALERTS), what="both alerts posted")
    assert "`vllm-0`" in roots(stub, OTHER)[0].blocks[0]["text"]["text"]
    assert "`vllm-1`" in roots(stub, ALERTS)[0].blocks[0]["text"]["text"]


def test_alert_with_no_route_and_no_default_channel_is_not_posted(serve: Serve, stub: SlackWebApiStub,
                                                                  settings_for: Any) -> None:
    settings = settings_for(alert_routes=[{"channel": ALERTS, "match": {"team": "inference"}}])
    client, _bot = serve(ScriptedInvestigator(), settings)
    investigation = client.post("/api/v1/alertmanager", json=webhook(simple_alert())).json()["investigations"][0]
    stub.wait_for(lambda: client.get(f"/api/v1/investigations/{investigation}").json()["status"] == "completed",
                  what="the investigation to finish")
    assert stub.calls_to("chat.postMessage") == []


def test_the_same_alert_firing_again_answers_in_its_group_thread(serve: Serve, stub: SlackWebApiStub,
                                                                 settings_for: Any) -> None:
    client, _bot = serve(ScriptedInvestigator(), settings_for(default_channel=ALERTS))
    client.post("/api/v1/alertmanager", json=webhook(simple_alert()))
    root = stub.wait_for(lambda: roots(stub, ALERTS), what="the first root")[0]
    client.post("/api/v1/alertmanager", json=webhook(simple_alert("resolved")))
    stub.wait_for(lambda: "resolved" in stub.messages[(ALERTS, root.ts)].text, what="the resolve")
    client.post("/api/v1/alertmanager", json=webhook(simple_alert(starts_at="2025-06-11T15:00:00Z")))
    stub.wait_for(lambda: any("fired again" in m.text for m in replies(stub, ALERTS, root.ts)), what="the re-fire")
    stub.wait_for(lambda: "firing" in stub.messages[(ALERTS, root.ts)].text, what="the root firing again")
    stub.wait_for(lambda: len(diagnoses(stub, root.ts)) == 2, what="the second diagnosis in the same thread")
    assert len(roots(stub, ALERTS)) == 1


def test_a_question_in_an_alert_thread_is_about_the_alerted_pod(serve: Serve, stub: SlackWebApiStub,
                                                                settings_for: Any) -> None:
    investigator = ScriptedInvestigator()
    client, _bot = serve(investigator, settings_for(default_channel=ALERTS))
    client.post("/api/v1/alertmanager", json=webhook(simple_alert(pod="vllm-7")))
    root = stub.wait_for(lambda: roots(stub, ALERTS), what="the alert's root")[0]
    stub.wait_for(lambda: diagnoses(stub, root.ts), what="the alert's diagnosis")
    ts = stub.seed(ALERTS, "<@UHOLMES> is its node healthy?", thread_ts=root.ts)
    event = mention("is its node healthy?", ts=ts, channel=ALERTS, thread_ts=root.ts)
    client.post("/slack/events", **signed(event_body(event)))
    stub.wait_for(lambda: len(investigator.calls) == 2, what="the follow-up investigation")
    follow_up = investigator.calls[1]
    assert follow_up.alert is None and follow_up.subject is not None
    assert follow_up.subject.ref() == "pod llm/vllm-7"
