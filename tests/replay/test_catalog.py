"""Lists: label and field selectors with API semantics, bad selectors as 400, and paging with continue tokens."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from holmes.bundle.loader import load_bundle
from holmes.replay import serve_bundle
from holmes.sources.kube import KubeError, KubeReader


@pytest.fixture(scope="module")
def reader(url: str) -> KubeReader:
    return KubeReader.for_url(url)


def _names(reader: KubeReader, kind: str, namespace: str | None = None, **selectors: str) -> list[str]:
    return [o["metadata"]["name"] for o in reader.list(kind, namespace, **selectors).items]


@pytest.mark.parametrize(("selector", "expected"), [
    ("app=vllm", ["vllm-0"]),
    ("app==router", ["router-5c9d-abcde"]),
    ("app!=vllm", ["kvcache-helper", "router-5c9d-abcde"]),
    ("tier in (serving, frontend)", ["router-5c9d-abcde", "vllm-0"]),
    ("tier notin (serving)", ["kvcache-helper", "router-5c9d-abcde"]),  # notin matches pods without the label
    ("gpu", ["vllm-0"]),
    ("!gpu", ["kvcache-helper", "router-5c9d-abcde"]),
    ("app=vllm,tier=frontend", []),
])
def test_label_selector_operators(reader: KubeReader, selector: str, expected: list[str]) -> None:
    assert _names(reader, "pod", label_selector=selector) == expected


@pytest.mark.parametrize(("selector", "expected"), [
    ("spec.nodeName=gpu-node-1", ["vllm-0"]),
    ("status.phase!=Running", ["kvcache-helper"]),
    ("status.phase==Running,metadata.namespace=llm", ["router-5c9d-abcde", "vllm-0"]),
    ("metadata.name=vllm-0", ["vllm-0"]),
    ("spec.nodeName=", ["kvcache-helper"]),
])
def test_pod_field_selectors(reader: KubeReader, selector: str, expected: list[str]) -> None:
    assert _names(reader, "pod", field_selector=selector) == expected


@pytest.mark.parametrize(("selector", "expected"), [
    ("involvedObject.name=vllm-0", ["vllm-0.182c0a1b2c3d4e5f", "vllm-0.182c0a1b2c3d4e60"]),
    ("involvedObject.name=vllm-0,reason=BackOff", ["vllm-0.182c0a1b2c3d4e5f"]),
    ("involvedObject.kind=Node", ["gpu-node-1.182c0a1b2c3d4e62"]),
    ("type=Warning,involvedObject.namespace=cache", ["kvcache-helper.182c0a1b2c3d4e61"]),
    ("involvedObject.fieldPath=spec.containers{vllm}", ["vllm-0.182c0a1b2c3d4e5f"]),
    ("involvedObject.uid=6f1c0d0e-0000-4000-8000-000000000003", ["kvcache-helper.182c0a1b2c3d4e61"]),
    ("source=kubelet,type!=Normal", ["vllm-0.182c0a1b2c3d4e5f"]),
    ("reportingComponent=default-scheduler", ["vllm-0.182c0a1b2c3d4e60", "kvcache-helper.182c0a1b2c3d4e61"]),
])
def test_event_field_selectors_across_namespaces(reader: KubeReader, selector: str, expected: list[str]) -> None:
    assert sorted(_names(reader, "event", field_selector=selector)) == sorted(expected)


def test_event_field_selector_within_a_namespace(reader: KubeReader) -> None:
    assert _names(reader, "event", "cache", field_selector="involvedObject.name=vllm-0") == []
    assert len(_names(reader, "event", "llm", field_selector="involvedObject.name=vllm-0")) == 2


def test_node_field_selector_on_a_boolean(reader: KubeReader) -> None:
    assert _names(reader, "node", field_selector="spec.unschedulable=true") == ["cpu-node-1"]


@pytest.mark.parametrize(("param", "value", "fragment"), [
    ("labelSelector", "app in (vllm", "unable to parse label selector"),
    ("labelSelector", "app=(x)", "unable to parse label selector"),
    ("fieldSelector", "spec.containers=vllm", "field label not supported: spec.containers"),
    ("fieldSelector", "nodeName", "has no operator"),
    ("limit", "ten", "expected an integer"),
    ("continue", "not-a-token", "continue token is not valid"),
])
def test_bad_list_parameters_are_400_status(http: httpx.Client, param: str, value: str, fragment: str) -> None:
    response = http.get("/api/v1/pods", params={param: value})
    assert response.status_code == 400
    assert response.json()["reason"] == "BadRequest"
    assert fragment in response.json()["message"]


def test_kube_reader_reports_a_bad_selector_in_one_line(reader: KubeReader) -> None:
    with pytest.raises(KubeError, match=r"HTTP 400 field label not supported: spec\.foo"):
        reader.list("pod", field_selector="spec.foo=bar")


def test_limit_and_continue_walk_every_item_once(reader: KubeReader) -> None:
    seen, token, pages = [], None, 0
    while True:
        page = reader.list("event", limit=3, continue_token=token)
        pages += 1
        seen += [e["metadata"]["name"] for e in page.items]
        if not page.continue_token:
            break
        assert page.remaining == 4 - len(seen)
        token = page.continue_token
    assert pages == 2
    assert sorted(seen) == sorted(_names(reader, "event"))


def test_continue_token_is_rejected_for_a_different_query(reader: KubeReader, http: httpx.Client) -> None:
    token = reader.list("event", limit=1).continue_token
    response = http.get("/api/v1/namespaces/llm/events", params={"limit": 1, "continue": token})
    assert response.status_code == 400


def test_list_metadata_carries_resource_version_and_kind(http: httpx.Client) -> None:
    listed = http.get("/apis/resource.k8s.io/v1/resourceclaims").json()
    assert listed["kind"] == "ResourceClaimList" and listed["apiVersion"] == "resource.k8s.io/v1"
    assert listed["metadata"] == {"resourceVersion": "1103"}


def test_long_lists_stream_every_item_in_order(tmp_path: Path) -> None:
    bundle_dir = tmp_path / "many"
    (bundle_dir / "cluster").mkdir(parents=True)
    (bundle_dir / "incident.yaml").write_text('id: many\ntitle: t\ncaptured_at: "2025-01-01T00:00:00Z"\n'
                                             "trigger: {question: why?}\nexpected: {root_cause: unknown}\n")
    documents = [f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i:05d}, namespace: ns-{i % 3}}}\n"
                 f"data: {{index: '{i}'}}\n" for i in range(2500)]
    (bundle_dir / "cluster" / "cms.yaml").write_text("---\n".join(documents))
    with serve_bundle(load_bundle(bundle_dir)) as url:
        reader = KubeReader.for_url(url)
        items = reader.list("configmap").items
        assert len(items) == 2500
        assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in items] == sorted(
            (f"ns-{n % 3}", f"cm-{n:05d}") for n in range(2500))
        assert len(reader.list("configmap", "ns-1").items) == 833
        assert reader.get("configmap", "cm-01234", "ns-1") == {  # kept compressed, served as recorded
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm-01234", "namespace": "ns-1"},
            "data": {"index": "1234"}}
