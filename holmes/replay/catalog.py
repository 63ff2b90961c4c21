"""The bundle's objects organised for the API: served resources per group/version, get, and indexed lists.

Collections are sorted by (namespace, name), so a namespace is a contiguous slice found by bisection;
equality field selectors (event involvedObject.name, pod spec.nodeName, ...) use an index built on first use.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

from holmes.bundle.kinds import ALWAYS_SERVED, BUILTIN, ApiResource, version_rank
from holmes.bundle.model import Bundle
from holmes.bundle.store import SELECTABLE_FIELDS, Collection, StoredObject
from holmes.replay.selectors import FieldRequirement, LabelRequirement
from holmes.replay.status import ApiError, bad_request


@dataclass
class ListResult:
    items: list[StoredObject]
    continue_token: str = ""
    remaining: int | None = None


@dataclass
class ServedResource:
    """One resource type at its path, with its recorded objects (possibly none)."""

    resource: ApiResource
    objects: list[StoredObject] = field(default_factory=list)
    _keys: list[tuple[str, str]] = field(default_factory=list)
    _field_indexes: dict[str, dict[str, list[StoredObject]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._keys = [(o.namespace, o.name) for o in self.objects]

    def get(self, namespace: str, name: str) -> StoredObject | None:
        key = (namespace if self.resource.namespaced else "", name)
        index = bisect_left(self._keys, key)
        if index < len(self._keys) and self._keys[index] == key:
            return self.objects[index]
        return None

    def in_namespace(self, namespace: str) -> list[StoredObject]:
        start = bisect_left(self._keys, (namespace, ""))
        end = bisect_right(self._keys, (namespace, "\U0010ffff"))
        return self.objects[start:end]

    def select(self, namespace: str | None, labels: list[LabelRequirement],
               fields: list[FieldRequirement]) -> list[StoredObject]:
        """Objects matching every requirement, starting from the smallest indexed candidate set."""
        self._check_fields(fields)
        candidates = self.in_namespace(namespace) if namespace and self.resource.namespaced else self.objects
        for requirement in fields:
            if requirement.equal and requirement.field not in ("metadata.namespace",):
                indexed = self._index(requirement.field).get(requirement.value, [])
                if len(indexed) < len(candidates):
                    candidates = [o for o in indexed if not namespace or o.namespace == namespace] \
                        if self.resource.namespaced else indexed
        return [o for o in candidates if _matches(o, labels, fields)]

    def _check_fields(self, fields: list[FieldRequirement]) -> None:
        allowed = ("metadata.name", "metadata.namespace",
                   *SELECTABLE_FIELDS.get((self.resource.group, self.resource.kind), ()))
        for requirement in fields:
            if requirement.field not in allowed:
                raise bad_request(f'field label not supported: {requirement.field} '
                                  f'(supported for {self.resource.plural}: {", ".join(allowed)})')

    def _index(self, field_name: str) -> dict[str, list[StoredObject]]:
        with self._lock:
            index = self._field_indexes.get(field_name)
            if index is None:
                index = {}
                for stored in self.objects:
                    index.setdefault(stored.field(field_name) or "", []).append(stored)
                self._field_indexes[field_name] = index
            return index


def _matches(stored: StoredObject, labels: list[LabelRequirement], fields: list[FieldRequirement]) -> bool:
    for requirement in fields:
        if not requirement.matches(stored.field(requirement.field) or ""):
            return False
    if labels:
        own = stored.labels or {}
        return all(requirement.matches(own) for requirement in labels)
    return True


def paginate(items: list[StoredObject], limit: int | None, token: str | None, fingerprint: str) -> ListResult:
    """A page of `limit` items; the continue token is opaque and tied to the query it came from."""
    offset = _decode_token(token, fingerprint) if token else 0
    if not limit or limit <= 0:
        return ListResult(items[offset:])
    page = items[offset:offset + limit]
    rest = len(items) - offset - len(page)
    if rest <= 0:
        return ListResult(page)
    next_token = base64.urlsafe_b64encode(json.dumps({"o": offset + limit, "q": fingerprint}).encode()).decode()
    return ListResult(page, next_token, rest)


def _decode_token(token: str, fingerprint: str) -> int:
    try:
        state = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = int(state["o"])
        same_query = state["q"] == fingerprint
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise bad_request("continue token is not valid (it must come from a previous list response)") from None
    if not same_query or offset < 0:
        raise ApiError(400, "continue token does not belong to this list request (path or selectors changed)")
    return offset


def _namespace(name: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name},
                         "annotations": {"holmes.dev/replay": "not recorded; implied by the objects recorded in it"}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


class Catalog:
    """Which groups, versions and resources the replay serves, and their objects."""

    def __init__(self, bundle: Bundle) -> None:
        self.resource_version = bundle.store.resource_version
        self.groups: dict[str, list[str]] = {}  # group -> versions, preferred first
        self._resources: dict[tuple[str, str], ServedResource] = {}  # (group, plural)
        self._build(bundle.store.collections.values())

    def _build(self, collections: Iterable[Collection]) -> None:
        recorded: dict[str, set[str]] = {}
        for collection in collections:
            self._add(collection.resource, collection.objects)
            recorded.setdefault(collection.resource.group, set()).update(collection.versions)
        for group, versions in ALWAYS_SERVED.items():
            recorded.setdefault(group, set(versions))
        for resource in BUILTIN:
            if resource.group in recorded:
                self._resources.setdefault((resource.group, resource.plural), ServedResource(resource))
        self.groups = {group: sorted(versions, key=version_rank) for group, versions in recorded.items()}
        self._add_implied_namespaces()

    def _add_implied_namespaces(self) -> None:
        """A namespace holding recorded objects exists even when the bundle did not record it (kubectl checks)."""
        namespaces = self._resources[("", "namespaces")]
        recorded = {o.name for o in namespaces.objects}
        used = {o.namespace for r in self._resources.values() if r.resource.namespaced for o in r.objects}
        missing = sorted(name for name in used | {"default"} if name and name not in recorded)
        implied = [StoredObject(_namespace(name)) for name in missing]
        if implied:
            self._add(namespaces.resource, implied)

    def _add(self, resource: ApiResource, objects: list[StoredObject]) -> None:
        served = self._resources.get((resource.group, resource.plural))
        if served is None:
            self._resources[(resource.group, resource.plural)] = ServedResource(resource, list(objects))
            return
        merged = sorted([*served.objects, *objects], key=lambda o: (o.namespace, o.name))
        self._resources[(resource.group, resource.plural)] = ServedResource(served.resource, merged)

    def resources(self, group: str) -> list[ServedResource]:
        return sorted((r for (g, _), r in self._resources.items() if g == group), key=lambda r: r.resource.plural)

    def resource(self, group: str, version: str, plural: str) -> ServedResource | None:
        """The resource at /apis/<group>/<version>/<plural>; every served version serves every recorded object."""
        if version not in self.groups.get(group, []):
            return None
        return self._resources.get((group, plural))
