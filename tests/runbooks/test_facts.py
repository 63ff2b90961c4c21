"""Facts read before runbooks run: the subject from an alert or a question, a workload's most troubled pod."""

from __future__ import annotations

from holmes.domain import Alert, Subject, ToolResult, Trigger
from holmes.runbooks.facts import facts_from, most_troubled_pod, pod_selector, read_facts, subject_of
from holmes.toolsets.base import ToolContext

from .canned import CannedTools, pod


def test_a_deployment_alert_names_the_deployment_not_the_exporter_pod() -> None:
    alert = Alert(labels={"alertname": "KubeDeploymentReplicasMismatch", "namespace": "llm",
                          "deployment": "vllm", "pod": "kube-state-metrics-7f9-abcde"})
    assert subject_of(Trigger(alert=alert)) == Subject(kind="deployment", namespace="llm", name="vllm")


def test_a_pod_alert_names_the_pod() -> None:
    alert = Alert(labels={"alertname": "KubePodCrashLooping", "namespace": "llm", "pod": "vllm-0"})
    assert subject_of(Trigger(alert=alert)) == Subject(kind="pod", namespace="llm", name="vllm-0")


def test_pod_facts_collect_phase_reasons_node_and_the_failing_container() -> None:
    body = pod(phase="Running", containerStatuses=[
        {"name": "server", "ready": False, "restartCount": 7,
         "state": {"waiting": {"reason": "CrashLoopBackOff"}}, "lastState": {"terminated": {"reason": "Error"}}},
        {"name": "proxy", "ready": True, "restartCount": 0, "state": {"running": {}}}])
    body["spec"]["containers"] = [{"name": "proxy"}, {"name": "server"}]
    body["spec"]["nodeName"] = "gpu-node-1"
    facts = facts_from(Trigger(), Subject.parse("pod llm/vllm-0"),
                       [ToolResult(tool="kubernetes_get", status="ok", data=body)])
    assert facts.phase == "Running"
    assert facts.waiting_reasons == {"CrashLoopBackOff"} and facts.terminated_reasons == {"Error"}
    assert facts.values["node"] == "gpu-node-1" and facts.values["container"] == "server"


def test_the_most_troubled_pod_of_a_workload_is_chosen() -> None:
    healthy = pod(name="a", phase="Running", containerStatuses=[{"name": "s", "ready": True, "restartCount": 0}])
    pending = pod(name="b", phase="Pending")
    assert most_troubled_pod([healthy, pending]) == "b"


def test_a_workload_subject_is_diagnosed_through_its_most_troubled_pod(tools: CannedTools) -> None:
    deployment = {"kind": "Deployment", "metadata": {"name": "vllm", "namespace": "llm"},
                  "spec": {"selector": {"matchLabels": {"app": "vllm"}}}}
    stuck = pod(name="vllm-2", phase="Pending")
    tools.add("kubernetes_get", lambda p: deployment if p["kind"] == "deployment" else stuck)
    tools.add("kubernetes_events", lambda p: {"events": []})
    tools.add("kubernetes_list", lambda p: {"items": [pod(name="vllm-1", phase="Running", containerStatuses=[
        {"name": "s", "ready": True}]), stuck]} if p.get("label_selector") == "app=vllm" else {"items": []})
    facts = read_facts(Trigger(subject=Subject.parse("deployment llm/vllm")), tools.registry, ToolContext())
    assert facts.pod == "vllm-2" and facts.values["pod"] == "vllm-2" and facts.phase == "Pending"


def test_a_question_names_its_pod_by_name_words_within_the_namespace_it_mentions(tools: CannedTools) -> None:
    namespaces = {"items": [{"metadata": {"name": n}} for n in ("default", "search", "llm")]}
    pods = {"items": [pod(name="web-1", namespace="search", phase="Running"),
                      pod(name="reranker-7d9-x2", namespace="search", phase="Pending")]}
    tools.add("kubernetes_list", lambda p: namespaces if p["kind"] == "namespace" else pods)
    tools.add("kubernetes_get", lambda p: pods["items"][1])
    tools.add("kubernetes_events", lambda p: {"events": []})
    question = "why is the reranker-7d9 pod in namespace search stuck?"
    facts = read_facts(Trigger(question=question), tools.registry, ToolContext())
    assert facts.subject == Subject(kind="pod", namespace="search", name="reranker-7d9-x2")


def test_a_question_naming_a_workload_kind_and_name_selects_it_if_it_exists(tools: CannedTools) -> None:
    namespaces = {"items": [{"metadata": {"name": "dra-test"}}]}
    statefulset = {"kind": "StatefulSet", "metadata": {"name": "gpu-test", "namespace": "dra-test"}, "spec": {}}
    tools.add("kubernetes_list", lambda p: namespaces if p["kind"] == "namespace" else {"items": []})
    tools.add("kubernetes_get", lambda p: statefulset if p["name"] == "gpu-test" else None)
    tools.add("kubernetes_events", lambda p: {"events": []})
    question = "the statefulset in namespace dra-test, statefulset gpu-test, shows 0/1. why?"
    facts = read_facts(Trigger(question=question), tools.registry, ToolContext())
    assert facts.subject == Subject(kind="statefulset", namespace="dra-test", name="gpu-test")


def test_wrong_typed_pod_fields_read_as_absent_instead_of_crashing() -> None:
    body = pod(phase="Running", conditions=["x", {"type": "Ready", "status": "False", "reason": "NotReady"}],
               containerStatuses=["oops", {"name": "server", "ready": True, "restartCount": "many",
                                           "state": "running", "lastState": {"terminated": "x"}}],
               initContainerStatuses="none", resourceClaimStatuses=[1])
    body["spec"]["containers"] = ["server-as-text", {"name": "server"}]
    body["spec"]["initContainers"] = {"name": "init"}
    body["spec"]["resourceClaims"] = "claims"
    facts = facts_from(Trigger(), Subject.parse("pod llm/vllm-0"),
                       [ToolResult(tool="kubernetes_get", status="ok", data=body),
                        ToolResult(tool="kubernetes_events", status="ok", data={"events": ["x", {"reason": 3}]})])
    assert facts.found and facts.phase == "Running" and facts.ready is True
    assert facts.pod_reasons == {"NotReady"} and facts.values["container"] == "server"
    assert "init_container" not in facts.values and "claim" not in facts.values and not facts.event_reasons


def test_wrong_typed_workload_and_pod_list_fields_read_as_absent() -> None:
    assert pod_selector("deployment", {"spec": {"selector": 1.5}}) is None
    assert pod_selector("deployment", {"spec": "x"}) is None
    odd = {"metadata": {"name": "odd"}, "status": {"containerStatuses": "x", "phase": 3}}
    assert most_troubled_pod([odd, "not-a-pod", pod(name="b", phase="Running")]) == "odd"
    assert most_troubled_pod([odd]) == "odd"
