"""Read-only access to a Kubernetes API (live cluster or replay) through the official client.

Only GET requests exist here: holmes never changes a cluster, and Secrets are never read.
Objects come back as plain dicts exactly as the API serves them, so checks see real shapes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException

# kind (lower case, singular) -> (group, plural, namespaced). The version is found by discovery.
KINDS: dict[str, tuple[str, str, bool]] = {
    "pod": ("", "pods", True),
    "event": ("", "events", True),
    "node": ("", "nodes", False),
    "namespace": ("", "namespaces", False),
    "service": ("", "services", True),
    "configmap": ("", "configmaps", True),
    "persistentvolumeclaim": ("", "persistentvolumeclaims", True),
    "persistentvolume": ("", "persistentvolumes", False),
    "resourcequota": ("", "resourcequotas", True),
    "limitrange": ("", "limitranges", True),
    "serviceaccount": ("", "serviceaccounts", True),
    "deployment": ("apps", "deployments", True),
    "statefulset": ("apps", "statefulsets", True),
    "daemonset": ("apps", "daemonsets", True),
    "replicaset": ("apps", "replicasets", True),
    "job": ("batch", "jobs", True),
    "cronjob": ("batch", "cronjobs", True),
    "runtimeclass": ("node.k8s.io", "runtimeclasses", False),
    "priorityclass": ("scheduling.k8s.io", "priorityclasses", False),
    "resourceclaim": ("resource.k8s.io", "resourceclaims", True),
    "resourceclaimtemplate": ("resource.k8s.io", "resourceclaimtemplates", True),
    "resourceslice": ("resource.k8s.io", "resourceslices", False),
    "deviceclass": ("resource.k8s.io", "deviceclasses", False),
    "inferenceservice": ("serving.kserve.io", "inferenceservices", True),
    "servingruntime": ("serving.kserve.io", "servingruntimes", True),
    "nodeclaim": ("karpenter.sh", "nodeclaims", False),
    "nodepool": ("karpenter.sh", "nodepools", False),
    "raycluster": ("ray.io", "rayclusters", True),
}

ALIASES = {
    "pods": "pod", "po": "pod", "events": "event", "ev": "event", "nodes": "node", "no": "node",
    "ns": "namespace", "svc": "service", "cm": "configmap", "pvc": "persistentvolumeclaim",
    "pv": "persistentvolume", "quota": "resourcequota", "deploy": "deployment", "sts": "statefulset",
    "ds": "daemonset", "rs": "replicaset", "isvc": "inferenceservice", "claim": "resourceclaim",
}

REFUSED = {"secret", "secrets"}


class KubeError(Exception):
    """The API could not answer (unreachable, forbidden, bad request). The message is one line."""


def normalize_kind(kind: str) -> str:
    key = kind.strip().lower()
    key = ALIASES.get(key, key)
    if key.endswith("s") and key[:-1] in KINDS:
        key = key[:-1]
    if key in REFUSED:
        raise KubeError("holmes does not read Secrets")
    if key not in KINDS:
        raise KubeError(f"unknown kind {kind!r}; known kinds: {', '.join(sorted(KINDS))}")
    return key


@dataclass
class ListPage:
    items: list[dict[str, Any]]
    continue_token: str = ""
    remaining: int | None = None
    api_version: str = ""


@dataclass
class KubeReader:
    """GET-only client over the official kubernetes ApiClient."""

    api: k8s.ApiClient
    request_timeout: float = 15.0
    _versions: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def for_url(cls, url: str, request_timeout: float = 15.0) -> KubeReader:
        configuration = k8s.Configuration()
        configuration.host = url
        return cls(k8s.ApiClient(configuration), request_timeout)

    @classmethod
    def from_kubeconfig(cls, context: str | None = None, path: str | None = None,
                        request_timeout: float = 15.0) -> KubeReader:
        try:
            api = k8s_config.new_client_from_config(config_file=path, context=context)
        except Exception as exc:  # ConfigException, missing file, ...
            try:
                k8s_config.load_incluster_config()
                api = k8s.ApiClient()
            except Exception:
                where = f" ({path})" if path else ""
                raise KubeError(f"no usable kubeconfig{where} or in-cluster config: {exc}") from exc
        return cls(api, request_timeout)

    # --- raw GET -----------------------------------------------------------------------------
    def _get(self, path: str, query: dict[str, Any] | None = None, raw: bool = False) -> Any:
        params = [(k, v) for k, v in (query or {}).items() if v is not None and v != ""]
        try:
            method, url, headers, body, post = self.api.param_serialize(
                "GET", path, query_params=params, header_params={"Accept": "application/json"},
                auth_settings=["BearerToken"])
            response = self.api.call_api(method, url, header_params=headers, body=body, post_params=post,
                                         _request_timeout=self.request_timeout)
            response.read()
        except ApiException as exc:
            raise KubeError(f"GET {path}: cannot reach the Kubernetes API ({exc.reason})") from exc
        except Exception as exc:  # urllib3 connection errors, timeouts
            raise KubeError(f"GET {path}: cannot reach the Kubernetes API ({type(exc).__name__}: {exc})") from exc
        if response.status == 404:
            return None
        if not 200 <= response.status < 300:
            reason = _status_message(response.data) or response.reason
            raise KubeError(f"GET {path}: HTTP {response.status} {reason}")
        if raw:
            return response.data
        return json.loads(response.data or b"null")

    # --- discovery ---------------------------------------------------------------------------
    def versions(self, group: str) -> list[str]:
        """Served versions of an API group, preferred first; [] when the group is not served."""
        if group in self._versions:
            return self._versions[group]
        if group == "":
            found = ["v1"]
        else:
            doc = self._get(f"/apis/{group}")
            found = []
            if doc:
                preferred = (doc.get("preferredVersion") or {}).get("version")
                found = [v["version"] for v in doc.get("versions", [])]
                if preferred in found:
                    found.remove(preferred)
                    found.insert(0, preferred)
        self._versions[group] = found
        return found

    def serves(self, kind: str) -> bool:
        group, _, _ = KINDS[normalize_kind(kind)]
        return bool(self.versions(group))

    def _path(self, kind: str, namespace: str | None, name: str | None = None) -> str:
        key = normalize_kind(kind)
        group, plural, namespaced = KINDS[key]
        versions = self.versions(group)
        if not versions:
            raise KubeError(f"the API does not serve {group or 'core'} (kind {key})")
        base = "/api/v1" if group == "" else f"/apis/{group}/{versions[0]}"
        if namespaced and namespace:
            base += f"/namespaces/{namespace}"
        path = f"{base}/{plural}"
        return f"{path}/{name}" if name else path

    # --- reads -------------------------------------------------------------------------------
    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        """One object, or None when it does not exist."""
        result: dict[str, Any] | None = self._get(self._path(kind, namespace, name))
        return result

    def list(self, kind: str, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None, limit: int | None = None,
             continue_token: str | None = None) -> ListPage:
        query = {"labelSelector": label_selector, "fieldSelector": field_selector, "limit": limit,
                 "continue": continue_token}
        doc = self._get(self._path(kind, namespace), query)
        if doc is None:
            return ListPage(items=[])
        meta = doc.get("metadata") or {}
        return ListPage(items=doc.get("items") or [], continue_token=meta.get("continue") or "",
                        remaining=meta.get("remainingItemCount"), api_version=doc.get("apiVersion", ""))

    def log(self, namespace: str, pod: str, container: str | None = None, previous: bool = False,
            tail_lines: int | None = None, limit_bytes: int | None = None, since_seconds: int | None = None,
            timestamps: bool = False) -> str | None:
        """A container's log text (bounded by the server with limit_bytes), or None when the pod is gone."""
        body = self._get(f"/api/v1/namespaces/{namespace}/pods/{pod}/log",
                         {"container": container, "previous": "true" if previous else None,
                          "tailLines": tail_lines, "limitBytes": limit_bytes, "sinceSeconds": since_seconds,
                          "timestamps": "true" if timestamps else None}, raw=True)
        if body is None:
            return None
        return bytes(body).decode("utf-8", errors="replace")

    def server_version(self) -> dict[str, Any]:
        result: dict[str, Any] = self._get("/version") or {}
        return result


def _status_message(body: Any) -> str:
    try:
        doc = json.loads(body)
        return str(doc.get("message", ""))
    except Exception:
        return ""
