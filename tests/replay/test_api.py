"""Objects through the official kubernetes client: get, list, errors as Status, and nothing writable."""

from __future__ import annotations

import json

import httpx
import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from holmes.sources.kube import KubeReader


@pytest.fixture(scope="module")
def core(url: str) -> k8s.CoreV1Api:
    configuration = k8s.Configuration()
    configuration.host = url
    return k8s.CoreV1Api(k8s.ApiClient(configuration))


def test_typed_client_reads_a_pod_with_its_recorded_status(core: k8s.CoreV1Api) -> None:
    pod = core.read_namespaced_pod("vllm-0", "llm")
    assert pod.spec.node_name == "gpu-node-1"
    assert pod.status.container_statuses[0].restart_count == 4
    assert pod.status.container_statuses[0].state.waiting.reason == "CrashLoopBackOff"


def test_typed_client_lists_pods_in_all_namespaces_sorted_like_the_api(core: k8s.CoreV1Api) -> None:
    pods = core.list_pod_for_all_namespaces()
    assert [(p.metadata.namespace, p.metadata.name) for p in pods.items] == [
        ("cache", "kvcache-helper"), ("llm", "router-5c9d-abcde"), ("llm", "vllm-0")]
    assert pods.metadata.resource_version == "1103"  # the highest recorded resourceVersion


def test_namespaced_list_holds_only_that_namespace(core: k8s.CoreV1Api) -> None:
    assert [p.metadata.name for p in core.list_namespaced_pod("cache").items] == ["kvcache-helper"]
    assert core.list_namespaced_pod("nowhere").items == []


def test_missing_pod_is_a_404_status_with_the_api_message(core: k8s.CoreV1Api) -> None:
    with pytest.raises(ApiException) as raised:
        core.read_namespaced_pod("ghost", "llm")
    assert raised.value.status == 404
    status = json.loads(raised.value.body)
    assert status["message"] == 'pods "ghost" not found'
    assert (status["reason"], status["code"]) == ("NotFound", 404)


def test_missing_object_in_a_named_group_is_qualified_by_group(http: httpx.Client) -> None:
    response = http.get("/apis/resource.k8s.io/v1/namespaces/llm/resourceclaims/ghost")
    assert response.status_code == 404
    assert response.json()["message"] == 'resourceclaims.resource.k8s.io "ghost" not found'
    assert response.json()["details"] == {"name": "ghost", "kind": "resourceclaims", "group": "resource.k8s.io"}


def test_kube_reader_gets_none_for_a_missing_object_and_the_object_otherwise(url: str) -> None:
    reader = KubeReader.for_url(url)
    assert reader.get("pod", "ghost", "llm") is None
    node = reader.get("node", "gpu-node-1")
    assert node is not None and node["spec"]["taints"][0]["key"] == "nvidia.com/gpu"


def test_secret_is_served_without_its_values(http: httpx.Client) -> None:
    response = http.get("/api/v1/namespaces/llm/secrets/hf-token")
    assert response.status_code == 200
    secret = response.json()
    assert secret["metadata"]["name"] == "hf-token" and secret["type"] == "Opaque"
    assert "data" not in secret and "stringData" not in secret
    listed = http.get("/api/v1/secrets").text
    assert "aGZfc2VjcmV0X3ZhbHVl" not in listed and "plain-secret-value" not in listed


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_every_write_verb_is_refused_with_method_not_allowed(http: httpx.Client, method: str) -> None:
    response = http.request(method, "/api/v1/namespaces/llm/pods/vllm-0", json={"metadata": {}})
    assert response.status_code == 405
    assert response.json()["kind"] == "Status" and response.json()["reason"] == "MethodNotAllowed"
    assert http.get("/api/v1/namespaces/llm/pods/vllm-0").status_code == 200  # still there


def test_typed_client_delete_raises_405(core: k8s.CoreV1Api) -> None:
    with pytest.raises(ApiException) as raised:
        core.delete_namespaced_pod("vllm-0", "llm")
    assert raised.value.status == 405


def test_watch_is_answered_with_a_clear_status(http: httpx.Client) -> None:
    response = http.get("/api/v1/pods", params={"watch": "true"})
    assert response.status_code == 405
    assert "watch is not supported" in response.json()["message"]


@pytest.mark.parametrize("path", ["/api/v1/widgets", "/apis/nope.example.com/v1/things", "/apis/apps/v9/deployments",
                                  "/api/v1/pods/vllm-0", "/api/v1/namespaces/llm/nodes/gpu-node-1", "/openapi/v2"])
def test_unknown_paths_are_404_status(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert response.status_code == 404
    assert response.json()["kind"] == "Status"


def test_cluster_scoped_custom_kind_is_served_under_its_group(http: httpx.Client) -> None:
    response = http.get("/apis/example.com/v1alpha1/widgets/w-1")
    assert response.status_code == 200
    assert response.json()["spec"] == {"size": 3}


def test_namespaced_crd_object_is_served_at_its_version(url: str) -> None:
    reader = KubeReader.for_url(url)
    isvc = reader.get("inferenceservice", "llama", "llm")
    assert isvc is not None and isvc["apiVersion"] == "serving.kserve.io/v1beta1"


def test_event_about_a_node_lists_in_the_namespace_it_was_recorded_in(core: k8s.CoreV1Api) -> None:
    events = core.list_namespaced_event("default")
    assert [e.involved_object.name for e in events.items] == ["gpu-node-1"]


def test_table_accept_header_gets_a_table_with_row_metadata(http: httpx.Client) -> None:
    response = http.get("/api/v1/namespaces/llm/pods",
                        headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"})
    assert response.status_code == 200
    table = response.json()
    assert (table["kind"], table["apiVersion"]) == ("Table", "meta.k8s.io/v1")
    assert [c["name"] for c in table["columnDefinitions"] if c["priority"] == 0] == \
        ["Name", "Ready", "Status", "Restarts", "Age"]
    assert [row["object"]["metadata"]["name"] for row in table["rows"]] == ["router-5c9d-abcde", "vllm-0"]


def test_plain_json_accept_gets_the_list(http: httpx.Client) -> None:
    response = http.get("/api/v1/namespaces/llm/pods", headers={"Accept": "application/json"})
    assert response.headers["content-type"] == "application/json"
    assert response.json()["kind"] == "PodList"
