"""A kubeconfig pointing kubectl (or any client) at a running replay API."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml


def kubeconfig_text(url: str, name: str, namespace: str | None = None) -> str:
    """A one-context kubeconfig; the default namespace is the incident subject's when it has one."""
    context: dict[str, str] = {"cluster": name, "user": "holmes-replay"}
    if namespace:
        context["namespace"] = namespace
    document = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": name, "cluster": {"server": url}}],
        "users": [{"name": "holmes-replay", "user": {}}],
        "contexts": [{"name": name, "context": context}],
        "current-context": name,
    }
    return yaml.safe_dump(document, sort_keys=False)


def write_kubeconfig(url: str, name: str, namespace: str | None = None, directory: Path | None = None) -> Path:
    """Write the kubeconfig to a private temporary file and return its path."""
    handle, path = tempfile.mkstemp(prefix=f"holmes-replay-{name}-", suffix=".kubeconfig", dir=directory)
    with os.fdopen(handle, "w") as stream:
        stream.write(kubeconfig_text(url, name, namespace))
    return Path(path)
