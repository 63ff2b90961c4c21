"""Recorded objects kept as compact JSON bytes with just enough decoded identity to find and select them.

A large bundle (100k events) must stay lean: each object is one bytes value plus a few interned strings,
decoded only when someone asks for it; the replay API sends the bytes as they are. A kind with many objects
is kept zlib-compressed with a dictionary taken from its first objects (about 5x smaller for events):
selecting never needs the bytes, only serving does.
"""

from __future__ import annotations

import json
import sys
import zlib
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


COMPRESS_ABOVE = 1000  # objects of one kind beyond which that kind is kept compressed
_DICTIONARY_SAMPLES = 4


class Codec:
    """zlib with a preset dictionary made of a kind's first objects, which share most keys and values."""

    __slots__ = ("dictionary",)

    def __init__(self, samples: list[bytes]) -> None:
        self.dictionary = b"".join(samples)[-32768:]

    def pack(self, raw: bytes) -> bytes:
        compressor = zlib.compressobj(1, zdict=self.dictionary)
        return compressor.compress(raw) + compressor.flush()

    def unpack(self, blob: bytes) -> bytes:
        decompressor = zlib.decompressobj(zdict=self.dictionary)
        return decompressor.decompress(blob) + decompressor.flush()


class StoredObject:
    """One recorded object: identity, labels, selectable fields, and its JSON as served."""

    __slots__ = ("_blob", "_codec", "api_version", "fields", "kind", "labels", "name", "namespace")

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
        self._blob: bytes = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str).encode()
        self._codec: Codec | None = None

    @property
    def raw(self) -> bytes:
        """The object's JSON exactly as the API serves it."""
        return self._codec.unpack(self._blob) if self._codec else self._blob

    def compress(self, codec: Codec) -> None:
        if self._codec is None:
            self._blob = codec.pack(self._blob)
            self._codec = codec

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
        self._codecs: dict[tuple[str, str], Codec] = {}
        self._highest_version = 0
        self.collections: dict[tuple[str, str], Collection] = {}
        self.resource_version = "1"

    def add(self, obj: dict[str, Any]) -> StoredObject:
        """Keep an object (checked by the caller); a kind that grows large is compressed as it comes in."""
        stored = StoredObject(obj)
        key = (stored.group, stored.kind)
        objects = self._pending.setdefault(key, [])
        objects.append(stored)
        version = str(obj["metadata"].get("resourceVersion") or "")
        if version.isdigit():
            self._highest_version = max(self._highest_version, int(version))
        codec = self._codecs.get(key)
        if codec is not None:
            stored.compress(codec)
        elif len(objects) > COMPRESS_ABOVE:
            codec = self._codecs[key] = Codec([o.raw for o in objects[:_DICTIONARY_SAMPLES]])
            for each in objects:
                each.compress(codec)
        return stored

    def freeze(self) -> None:
        """Resolve each kind's resource type (built-in, recorded CRD, or guessed) and sort for listing."""
        crds = {(r.group, r.kind): r for r in self._recorded_crds()}
        for (group, kind), objects in self._pending.items():
            resource = builtin(group, kind) or crds.get((group, kind)) or _guessed(group, kind, objects)
            if resource.namespaced:
                codec = self._codecs.get((group, kind))
                objects = [_in_default_namespace(o, codec) if not o.namespace else o for o in objects]
            else:
                for stored in objects:
                    stored.namespace = ""  # the API ignores a namespace given to a cluster-scoped object
            objects.sort(key=lambda o: (o.namespace, o.name))
            versions = sorted({o.version for o in objects}, key=version_rank)
            self.collections[(group, kind)] = Collection(resource, objects, versions)
        self._pending = {}
        self.resource_version = str(self._highest_version or 1)

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


def _in_default_namespace(stored: StoredObject, codec: Codec | None) -> StoredObject:
    """A namespaced object recorded without a namespace lands in `default`, as the API would put it."""
    obj = stored.to_dict()
    obj["metadata"]["namespace"] = "default"
    moved = StoredObject(obj)
    if codec is not None:
        moved.compress(codec)
    return moved


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
