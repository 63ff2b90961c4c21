"""Render the chart with the real Helm engine (helm-python-sdk, offline) and check what it would apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python
import kubernetes_validate
import pytest
import yaml

CHART = Path(__file__).resolve().parents[2] / "helm" / "holmes"
KUBE_VERSION = "1.34.0"
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate", "*"}

COMBINATIONS = {
    "defaults": {},
    "namespace-scoped": {"rbac": {"scope": "namespace", "namespaces": ["llm", "inference"]}},
    "pvc-and-secrets": {"persistence": {"enabled": True, "size": "5Gi"},
                        "existingSecret": {"name": "holmes-credentials"},
                        "runbooksConfigMap": "team-runbooks", "toolsetsConfigMap": "team-toolsets"},
    "postgres-replicas": {"replicaCount": 2, "externalDatabase": {"enabled": True},
                          "existingSecret": {"name": "holmes-credentials"}},
    "monitoring": {"serviceMonitor": {"enabled": True}, "prometheusRule": {"enabled": True},
                   "config": {"llm": {"provider": "openai", "base_url": "http://vllm.llm:8000/v1", "model": "m"}}},
}


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    chart = helm_python.Chart.load(CHART)
    rendered = chart.render(values, name="holmes", namespace="ops", is_install=True)
    objects = []
    for path, text in rendered.items():
        if path.endswith(".txt"):
            continue
        objects += [doc for doc in yaml.safe_load_all(text) if doc]
    return objects


@pytest.fixture(scope="module", params=sorted(COMBINATIONS))
def objects(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(COMBINATIONS[request.param])


def _monitoring_crd(obj: dict[str, Any]) -> bool:
    return obj["apiVersion"].startswith("monitoring.coreos.com/")


def test_every_rendered_object_matches_the_kubernetes_schema(objects):
    for obj in objects:
        if _monitoring_crd(obj):
            assert obj["spec"], f"{obj['kind']} has an empty spec"
            continue
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)


def test_rbac_grants_only_reads_and_never_secrets_or_exec(objects):
    roles = [o for o in objects if o["kind"] in {"ClusterRole", "Role"}]
    assert roles, "the chart must create a role"
    for role in roles:
        for rule in role["rules"]:
            assert set(rule["verbs"]) <= {"get", "list", "watch"}, rule
            assert not set(rule["verbs"]) & WRITE_VERBS
            assert "secrets" not in rule["resources"] and "*" not in rule["resources"], rule
            assert not any(r.startswith("pods/") and r != "pods/log" for r in rule["resources"]), rule


def test_rbac_covers_dra_and_kserve_reads(objects):
    rules = [r for o in objects if o["kind"] in {"ClusterRole", "Role"} for r in o["rules"]]
    resources = {(group, res) for r in rules for group in r["apiGroups"] for res in r["resources"]}
    for needed in [("resource.k8s.io", "resourceclaims"), ("resource.k8s.io", "resourceslices"),
                   ("resource.k8s.io", "deviceclasses"), ("resource.k8s.io", "resourceclaimtemplates"),
                   ("serving.kserve.io", "inferenceservices"), ("", "pods/log"), ("", "events"), ("", "nodes")]:
        assert needed in resources


def test_deployment_has_probes_and_a_locked_down_security_context(objects):
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    for container in pod["containers"]:
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        assert container["resources"]["requests"]


def test_credentials_come_only_from_the_existing_secret():
    deployment = next(o for o in render(COMBINATIONS["pvc-and-secrets"]) if o["kind"] == "Deployment")
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    secret_envs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in env if "valueFrom" in e}
    assert secret_envs["HOLMES_LLM__API_KEY"]["name"] == "holmes-credentials"
    assert "HOLMES_SERVICE__BEARER_TOKEN" in secret_envs and "HOLMES_SLACK__BOT_TOKEN" in secret_envs
    assert not [e for e in env if "KEY" in e["name"] or "TOKEN" in e["name"] if "value" in e]


def test_namespace_scope_renders_roles_per_namespace_and_no_cluster_role():
    objects = render(COMBINATIONS["namespace-scoped"])
    assert not [o for o in objects if o["kind"] in {"ClusterRole", "ClusterRoleBinding"}]
    assert sorted(o["metadata"]["namespace"] for o in objects if o["kind"] == "Role") == ["inference", "llm"]


def test_sqlite_store_gets_a_pvc_when_persistence_is_on_and_none_with_postgres():
    assert any(o["kind"] == "PersistentVolumeClaim" for o in render(COMBINATIONS["pvc-and-secrets"]))
    assert not any(o["kind"] == "PersistentVolumeClaim" for o in render(COMBINATIONS["postgres-replicas"]))


def test_schema_rejects_a_misspelt_value_and_enabling_telemetry():
    chart = helm_python.Chart.load(CHART)
    with pytest.raises(helm_python.HelmError):
        chart.render({"rbac": {"scop": "cluster"}}, name="holmes", namespace="ops", is_install=True)
    with pytest.raises(helm_python.HelmError):
        chart.render({"telemetry": {"enabled": True}}, name="holmes", namespace="ops", is_install=True)


def test_replicas_without_a_shared_database_are_refused():
    chart = helm_python.Chart.load(CHART)
    with pytest.raises(helm_python.HelmError, match="externalDatabase"):
        chart.render({"replicaCount": 3}, name="holmes", namespace="ops", is_install=True)


def test_no_outbound_configuration_by_default():
    config_map = next(o for o in render({}) if o["kind"] == "ConfigMap")
    config = yaml.safe_load(config_map["data"]["config.yaml"])
    assert config["llm"]["provider"] == "none"
    assert not config.get("prometheus") and "slack" not in config
