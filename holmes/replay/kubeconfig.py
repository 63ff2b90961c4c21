"""A kubeconfig pointing kubectl (or any client) at a running replay API."""

from __future__ import annotations

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
    """Write `kubeconfig` into a new private directory (under `directory` if given) and return the file's path.

    The directory also holds `cache/`, for KUBECACHEDIR: kubectl caches discovery per host:port, and a
    later replay of another bundle on the same port must not reuse it.
    """
    home = Path(tempfile.mkdtemp(prefix=f"holmes-replay-{name}-", dir=directory))
    (home / "cache").mkdir()
    path = home / "kubeconfig"
    path.write_text(kubeconfig_text(url, name, namespace))
    return path
