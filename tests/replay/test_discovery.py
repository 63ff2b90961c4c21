"""Discovery: the groups, versions and resources a client needs to find every recorded kind."""

from __future__ import annotations

from pathlib import Path

import httpx

from holmes.bundle.loader import load_bundle
from holmes.replay import serve_bundle
from holmes.sources.kube import KubeReader


def test_version_and_core_api_are_served(http: httpx.Client) -> None:
    assert http.get("/version").json()["major"] == "1"
    assert http.get("/api").json()["versions"] == ["v1"]
    core = http.get("/api/v1").json()
    names = {r["name"]: r for r in core["resources"]}
    assert names["pods"]["namespaced"] is True and names["pods"]["shortNames"] == ["po"]
    assert names["nodes"]["namespaced"] is False and names["nodes"]["kind"] == "Node"
    assert names["pods/log"]["verbs"] == ["get"]
    assert all(r["verbs"] == ["get", "list"] for r in core["resources"] if "/" not in r["name"])


def test_group_list_has_builtin_recorded_and_custom_groups(http: httpx.Client) -> None:
    groups = {g["name"]: g for g in http.get("/apis").json()["groups"]}
    assert {"apps", "batch", "node.k8s.io", "resource.k8s.io", "serving.kserve.io", "example.com"} <= set(groups)
    assert groups["serving.kserve.io"]["preferredVersion"]["version"] == "v1beta1"
    assert groups["example.com"]["versions"] == [{"groupVersion": "example.com/v1alpha1", "version": "v1alpha1"}]


def test_resource_group_is_served_at_every_recorded_version_preferring_ga(http: httpx.Client) -> None:
    group = http.get("/apis/resource.k8s.io").json()
    assert [v["version"] for v in group["versions"]] == ["v1", "v1beta1"]
    assert group["preferredVersion"]["version"] == "v1"
    resources = http.get("/apis/resource.k8s.io/v1beta1").json()
    claim = next(r for r in resources["resources"] if r["name"] == "resourceclaims")
    assert claim == {"name": "resourceclaims", "singularName": "resourceclaim", "namespaced": True,
                     "kind": "ResourceClaim", "verbs": ["get", "list"]}


def test_claims_recorded_at_an_older_version_are_listed_at_the_preferred_one(url: str) -> None:
    reader = KubeReader.for_url(url)
    assert reader.versions("resource.k8s.io")[0] == "v1"
    claims = reader.list("resourceclaim", "llm").items
    assert [c["metadata"]["name"] for c in claims] == ["vllm-0-gpu"]
    assert claims[0]["apiVersion"] == "resource.k8s.io/v1beta1"  # served as recorded, never silently converted


def test_crd_short_names_and_scope_come_from_the_builtin_table(http: httpx.Client) -> None:
    resources = http.get("/apis/serving.kserve.io/v1beta1").json()["resources"]
    isvc = next(r for r in resources if r["name"] == "inferenceservices")
    assert isvc["shortNames"] == ["isvc"] and isvc["namespaced"] is True


def test_recorded_crd_definition_decides_plural_and_scope(tmp_path: Path) -> None:
    bundle_dir = _minimal_bundle(tmp_path, """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gpupolicies.example.io}
spec:
  group: example.io
  scope: Cluster
  names: {kind: GPUPolicy, plural: gpupolicies, singular: gpupolicy, shortNames: [gp]}
  versions: [{name: v2, served: true, storage: true}]
---
apiVersion: example.io/v2
kind: GPUPolicy
metadata: {name: default-policy}
spec: {mig: all-1g.10gb}
""")
    with serve_bundle(load_bundle(bundle_dir)) as url, httpx.Client(base_url=url) as http:
        resources = http.get("/apis/example.io/v2").json()["resources"]
        assert resources == [{"name": "gpupolicies", "singularName": "gpupolicy", "namespaced": False,
                              "kind": "GPUPolicy", "verbs": ["get", "list"], "shortNames": ["gp"]}]
        assert http.get("/apis/example.io/v2/gpupolicies/default-policy").json()["spec"] == {"mig": "all-1g.10gb"}


def test_empty_bundle_still_serves_core_groups_with_empty_lists(tmp_path: Path) -> None:
    bundle_dir = _minimal_bundle(tmp_path, "")
    with serve_bundle(load_bundle(bundle_dir)) as url:
        reader = KubeReader.for_url(url)
        for kind in ("pod", "node", "event", "deployment", "job", "runtimeclass", "resourceclaim", "deviceclass"):
            assert reader.serves(kind), kind
            assert reader.list(kind).items == [], kind
        assert not reader.serves("inferenceservice")


def _minimal_bundle(root: Path, cluster_yaml: str) -> Path:
    bundle = root / "minimal"
    (bundle / "cluster").mkdir(parents=True)
    (bundle / "incident.yaml").write_text('id: minimal\ntitle: t\ncaptured_at: "2025-01-01T00:00:00Z"\n'
                                         "trigger: {question: why?}\nexpected: {root_cause: unknown}\n")
    (bundle / "cluster" / "objects.yaml").write_text(cluster_yaml)
    return bundle


AGGREGATED = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
              "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")


def test_aggregated_discovery_request_gets_legacy_documents_to_fall_back_on(http: httpx.Client) -> None:
    for path, kind in (("/api", "APIVersions"), ("/apis", "APIGroupList")):
        response = http.get(path, headers={"Accept": AGGREGATED})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"  # not ...;as=APIGroupDiscoveryList
        assert response.json()["kind"] == kind
