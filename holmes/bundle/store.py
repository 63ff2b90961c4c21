"""Recorded objects kept as compact JSON bytes with just enough decoded identity to find and select them.

A large bundle (100k events) must stay lean: each object is one bytes value plus a few interned strings,
decoded only when someone asks for it; the replay API sends the bytes as they are.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from holmes.bundle.kinds import ApiResource, builtin, from_crd, guess_plural, split_api_version, version_rank

# Fields a real API server accepts in a fieldSelector beyond metadata.name and metadata.namespace.
SELECTABLE_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "Pod"): ("spec.nodeName", "status.phase", "spec.restartPolicy", "spec.schedulerName",
                  "spec.serviceAccountName", "spec.hostNetwork", "status.podIP", "status.nominatedNodeName"),
    ("", "Event"): ("involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                    "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                    "reason", "reportingComponent", "source", "type"),
    ("", "Node"): ("spec.unschedulable",),
    ("", "Namespace"): ("status.phase",),
    ("", "Secret"): ("type",),
    ("apps", "ReplicaSet"): ("status.replicas",),
    ("batch", "Job"): ("status.successful",),
}

# Where a selectable field's value lives when it is not simply the dotted path.
_FIELD_PATHS: dict[str, tuple[str, ...]] = {"source": ("source", "component")}


def field_value(obj: dict[str, Any], name: str) -> str:
    """A field's value as the API compares it in a fieldSelector: a string, "" when absent."""
    value: Any = obj
    for part in _FIELD_PATHS.get(name, tuple(name.split("."))):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


class StoredObject:
    """One recorded object: identity, labels, selectable fields, and its JSON as served."""

    __slots__ = ("api_version", "fields", "kind", "labels", "name", "namespace", "raw")

    def __init__(self, obj: dict[str, Any]) -> None:
        metadata = obj["metadata"]
        self.api_version: str = sys.intern(obj["apiVersion"])
        self.kind: str = sys.intern(obj["kind"])
        self.namespace: str = sys.intern(metadata.get("namespace") or "")
        self.name: str = metadata["name"]
        self.labels: dict[str, str] | None = metadata.get("labels") or None
        selectable = SELECTABLE_FIELDS.get((self.group, self.kind))
        self.fields: tuple[str, ...] | None = (
            tuple(sys.intern(field_value(obj, name)) for name in selectable) if selectable else None)
        self.raw: bytes = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str).encode()

    @property
    def group(self) -> str:
        return split_api_version(self.api_version)[0]

    @property
    def version(self) -> str:
        return split_api_version(self.api_version)[1]

    def field(self, name: str) -> str | None:
        """A selectable field's value; None when the API would not accept this field for this kind."""
        if name == "metadata.name":
            return self.name
        if name == "metadata.namespace":
            return self.namespace
        selectable = SELECTABLE_FIELDS.get((self.group, self.kind))
        if not selectable or name not in selectable or self.fields is None:
            return None
        return self.fields[selectable.index(name)]

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.raw)
        return result

    def ref(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}"


@dataclass
class Collection:
    """All recorded objects of one (group, kind), sorted by namespace then name like the API lists them."""

    resource: ApiResource
    objects: list[StoredObject] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)  # recorded apiVersions' versions, preferred first


class ObjectStore:
    """Recorded objects grouped by (group, kind), plus the resource type each group of objects belongs to."""

    def __init__(self) -> None:
        self._pending: dict[tuple[str, str], list[StoredObject]] = {}
        self.collections: dict[tuple[str, str], Collection] = {}
        self.resource_version = "1"

    def add(self, stored: StoredObject) -> None:
        self._pending.setdefault((stored.group, stored.kind), []).append(stored)

    def freeze(self) -> None:
        """Resolve each kind's resource type (built-in, recorded CRD, or guessed) and sort for listing."""
        crds = {(r.group, r.kind): r for r in self._recorded_crds()}
        highest = 0
        for (group, kind), objects in self._pending.items():
            resource = builtin(group, kind) or crds.get((group, kind)) or _guessed(group, kind, objects)
            if resource.namespaced:
                objects = [_in_default_namespace(o) if not o.namespace else o for o in objects]
            objects.sort(key=lambda o: (o.namespace, o.name))
            versions = sorted({o.version for o in objects}, key=version_rank)
            self.collections[(group, kind)] = Collection(resource, objects, versions)
            highest = max([highest, *(_resource_version(o) for o in objects)])
        self._pending = {}
        self.resource_version = str(highest or 1)

    def _recorded_crds(self) -> Iterator[ApiResource]:
        for stored in self._pending.get(("apiextensions.k8s.io", "CustomResourceDefinition"), []):
            resource = from_crd(stored.to_dict())
            if resource:
                yield resource

    def __iter__(self) -> Iterator[StoredObject]:
        for collection in self.collections.values():
            yield from collection.objects

    def __len__(self) -> int:
        return sum(len(c.objects) for c in self.collections.values())


def _guessed(group: str, kind: str, objects: list[StoredObject]) -> ApiResource:
    return ApiResource(group, kind, guess_plural(kind), any(o.namespace for o in objects))


def _in_default_namespace(stored: StoredObject) -> StoredObject:
    """A namespaced object recorded without a namespace lands in `default`, as the API would put it."""
    obj = stored.to_dict()
    obj["metadata"]["namespace"] = "default"
    return StoredObject(obj)


def _resource_version(stored: StoredObject) -> int:
    marker = b'"resourceVersion":"'
    start = stored.raw.find(marker)
    if start < 0:
        return 0
    start += len(marker)
    end = stored.raw.find(b'"', start)
    digits = stored.raw[start:end]
    return int(digits) if digits.isdigit() else 0


class ObjectsView(Sequence[dict[str, Any]]):
    """The bundle's objects as plain dicts, decoded one at a time on access."""

    def __init__(self, store: ObjectStore) -> None:
        self._objects = list(store)

    def __len__(self) -> int:
        return len(self._objects)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [o.to_dict() for o in self._objects[index]]
        return self._objects[index].to_dict()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for stored in self._objects:
            yield stored.to_dict()
