"""Load an incident bundle directory, rejecting anything malformed with one line naming the file and field."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from holmes.bundle.documents import read_document, read_documents
from holmes.bundle.model import Bundle, IncidentSpec, LogKey
from holmes.bundle.shape import check_shape
from holmes.bundle.store import ObjectStore
from holmes.errors import UserError

__all__ = ["Bundle", "LogKey", "load_bundle", "load_spec"]

CLUSTER_SUFFIXES = (".yaml", ".yml", ".json")


def load_bundle(path: str | Path) -> Bundle:
    """Read incident.yaml, every cluster/*.yaml object, and index logs/ and metrics/ without reading them."""
    root = Path(path)
    if not root.is_dir():
        raise UserError(f"{root}: bundle directory not found")
    _refuse_escaping_links(root)
    for name in ("cluster", "logs", "metrics"):
        if (root / name).exists() and not (root / name).is_dir():
            raise UserError(f"{root.name}/{name}: expected a directory, found a file")
    spec = load_spec(root)
    store = _load_objects(root)
    return Bundle(root=root, spec=spec, store=store, logs=_index_logs(root), metrics=_metrics(root))


def load_spec(root: Path) -> IncidentSpec:
    path = root / "incident.yaml"
    shown = _shown(root, path)
    if not path.is_file():
        raise UserError(f"{shown}: missing (every bundle needs incident.yaml)")
    document = read_document(path, shown)
    if not isinstance(document, dict):
        raise UserError(f"{shown}: expected a mapping with id, title, captured_at, trigger, expected")
    try:
        return IncidentSpec.model_validate(document)
    except ValidationError as exc:
        raise UserError(f"{shown}: {_first_error(exc)}") from None


def _refuse_escaping_links(root: Path) -> None:
    """A bundle is untrusted: a symlink out of it would let the replay API serve any file of this machine."""
    inside = root.resolve()
    for directory, subdirs, names in os.walk(root):
        subdirs.sort()
        for name in [*subdirs, *sorted(names)]:
            path = Path(directory) / name
            if path.is_symlink() and not path.resolve().is_relative_to(inside):
                raise UserError(f"{_shown(root, path)}: symlink pointing outside the bundle (refused)")


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"field {where}: {message}{more}" if where else f"{message}{more}"


def _load_objects(root: Path) -> ObjectStore:
    store = ObjectStore()
    seen: dict[tuple[str, str, str, str], tuple[str, int, int | None]] = {}  # object -> where it was first
    cluster = root / "cluster"
    files = sorted(p for p in cluster.rglob("*") if p.is_file() and p.suffix in CLUSTER_SUFFIXES) \
        if cluster.is_dir() else []
    for path in files:
        shown = _shown(root, path)
        for number, document in read_documents(path, shown):
            for item, obj in _objects_in(document, _where(shown, number)):
                checked = _checked(obj, _where(shown, number, item))
                metadata = checked["metadata"]
                key = (checked["apiVersion"].rpartition("/")[0], checked["kind"], metadata.get("namespace") or "",
                       metadata["name"])
                if key in seen:
                    raise UserError(f"{_where(shown, number, item)}: duplicate {_ref(key)} "
                                    f"(first in {_where(*seen[key])})")
                seen[key] = (shown, number, item)
                store.add(checked)
    store.freeze()
    return store


def _where(shown: str, number: int, item: int | None = None) -> str:
    return f"{shown} document {number}" + (f" items[{item}]" if item is not None else "")


def _ref(key: tuple[str, str, str, str]) -> str:
    _, kind, namespace, name = key
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def _objects_in(document: Any, where: str) -> list[tuple[int | None, Any]]:
    """A document's objects, with their index when it is a list that gets flattened.

    `kind: List` is what kubectl prints; `kind: PodList` is what the API itself answers, whose items carry no
    apiVersion and kind: they get the list's.
    """
    kind = document.get("kind") if isinstance(document, dict) else None
    if not (isinstance(kind, str) and kind.endswith("List") and "items" in document):
        return [(None, document)]
    items = document.get("items") or []
    if not isinstance(items, list):
        raise UserError(f"{where}: field items: expected a list of objects")
    if kind != "List" and isinstance(document.get("apiVersion"), str):
        defaults = {"apiVersion": document["apiVersion"], "kind": kind.removesuffix("List")}
        items = [{**defaults, **item} if isinstance(item, dict) else item for item in items]
    return list(enumerate(items))


def _checked(obj: Any, where: str) -> dict[str, Any]:
    """The object when it has what the API always serves (apiVersion, kind, metadata.name); never Secret values."""
    if not isinstance(obj, dict):
        raise UserError(f"{where}: expected a Kubernetes object (a mapping), got {type(obj).__name__}")
    for name in ("apiVersion", "kind"):
        if not isinstance(obj.get(name), str) or not obj[name].strip():
            raise UserError(f"{where}: field {name}: missing (every object needs apiVersion, kind and metadata.name)")
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        raise UserError(f"{where}: field metadata: missing or not a mapping ({obj['kind']})")
    if not isinstance(metadata.get("name"), str) or not metadata["name"]:
        raise UserError(f"{where}: field metadata.name: missing ({obj['kind']})")
    if "namespace" in metadata and not isinstance(metadata["namespace"], str | None):
        raise UserError(f"{where}: field metadata.namespace: expected a string")
    if "labels" in metadata and not isinstance(metadata["labels"], dict | None):
        raise UserError(f"{where}: field metadata.labels: expected a mapping")
    check_shape(obj, where)
    if obj["kind"] == "Secret" and obj["apiVersion"] == "v1":
        obj = {k: v for k, v in obj.items() if k not in ("data", "stringData")}
    return obj


def _index_logs(root: Path) -> dict[LogKey, Path]:
    """logs/<namespace>/<pod>/<container>.log and <container>.previous.log, by (namespace, pod, container, previous)."""
    logs_dir = root / "logs"
    index: dict[LogKey, Path] = {}
    if not logs_dir.is_dir():
        return index
    for directory, subdirs, names in os.walk(logs_dir):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in sorted(n for n in names if not n.startswith(".")):
            path = Path(directory) / name
            parts = path.relative_to(logs_dir).parts
            if len(parts) != 3 or not name.endswith(".log") or name in (".log", ".previous.log"):
                raise UserError(f"{_shown(root, path)}: expected logs/<namespace>/<pod>/<container>.log "
                                "or <container>.previous.log")
            previous = name.endswith(".previous.log")
            container = name.removesuffix(".log").removesuffix(".previous") if previous else name.removesuffix(".log")
            index[LogKey(parts[0], parts[1], container, previous)] = path
    return index


def _metrics(root: Path) -> list[Path]:
    metrics_dir = root / "metrics"
    return sorted(metrics_dir.glob("*.om")) if metrics_dir.is_dir() else []


def _shown(root: Path, path: Path) -> str:
    """A file as errors name it: the bundle directory's name plus the path inside it."""
    return f"{root.name}/{path.relative_to(root).as_posix()}"
