"""Legacy discovery documents (/api, /apis, /apis/<group>/<version>) for what the catalog serves.

Aggregated discovery (apidiscovery.k8s.io/v2) is not offered: answering plain JSON makes kubectl and
client-go fall back to these documents, which every client understands.
"""

from __future__ import annotations

from typing import Any

from holmes.replay.catalog import Catalog, ServedResource

# What `kubectl get all` lists, as on a real cluster.
IN_CATEGORY_ALL = {("", "pods"), ("", "services"), ("", "replicationcontrollers"), ("apps", "daemonsets"),
                   ("apps", "deployments"), ("apps", "replicasets"), ("apps", "statefulsets"), ("batch", "jobs"),
                   ("batch", "cronjobs")}

SERVER_VERSION = {"major": "1", "minor": "34", "gitVersion": "v1.34.0-holmes-replay", "gitCommit": "",
                  "gitTreeState": "clean", "buildDate": "", "goVersion": "", "compiler": "gc",
                  "platform": "linux/amd64"}


def api_versions(server_address: str) -> dict[str, Any]:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def api_group_list(catalog: Catalog) -> dict[str, Any]:
    groups = [api_group(catalog, name) for name in sorted(catalog.groups) if name]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(catalog: Catalog, group: str) -> dict[str, Any]:
    versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in catalog.groups[group]]
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": versions,
            "preferredVersion": versions[0]}


def api_resource_list(catalog: Catalog, group: str, version: str) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for served in catalog.resources(group):
        resources.append(_entry(served))
        if group == "" and served.resource.plural == "pods":
            resources.append({"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod",
                              "verbs": ["get"]})
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{version}" if group else version,
            "resources": resources}


def _entry(served: ServedResource) -> dict[str, Any]:
    resource = served.resource
    entry: dict[str, Any] = {"name": resource.plural, "singularName": resource.singular,
                             "namespaced": resource.namespaced, "kind": resource.kind, "verbs": ["get", "list"]}
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if (resource.group, resource.plural) in IN_CATEGORY_ALL:
        entry["categories"] = ["all"]
    return entry
