"""The object store: a kind with many objects is kept compressed yet serves the same bytes and fields."""

from __future__ import annotations

import json
from typing import Any

from holmes.bundle.store import COMPRESS_ABOVE, ObjectStore


def _event(index: int) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"pod-{index}.{index:016x}", "namespace": f"ns-{index % 7}",
                         "resourceVersion": str(5000 + index)},
            "involvedObject": {"kind": "Pod", "name": f"pod-{index}", "namespace": f"ns-{index % 7}"},
            "reason": "BackOff", "type": "Warning", "message": f"Back-off restarting failed container {index}",
            "source": {"component": "kubelet"}, "count": index}


def test_large_kind_is_compressed_and_decodes_to_the_recorded_objects() -> None:
    store = ObjectStore()
    events = [_event(i) for i in range(COMPRESS_ABOVE + 500)]
    stored = [store.add(json.loads(json.dumps(e))) for e in events]
    store.freeze()
    plain = sum(len(json.dumps(e, separators=(",", ":"))) for e in events)
    kept = sum(len(s._blob) for s in stored)
    assert kept < plain / 2
    assert [s.to_dict() for s in stored] == events
    assert stored[-1].field("involvedObject.name") == f"pod-{COMPRESS_ABOVE + 499}"
    assert stored[3].field("source") == "kubelet" and stored[3].field("spec.nodeName") is None
    assert store.resource_version == str(5000 + COMPRESS_ABOVE + 499)


def test_small_kind_is_kept_as_plain_json() -> None:
    store = ObjectStore()
    stored = store.add(_event(1))
    store.freeze()
    assert stored.raw == stored._blob and json.loads(stored.raw) == _event(1)


def test_collections_are_sorted_by_namespace_then_name() -> None:
    store = ObjectStore()
    for index in (5, 3, 12, 1):
        store.add(_event(index))
    store.freeze()
    (collection,) = store.collections.values()
    assert [(o.namespace, o.name) for o in collection.objects] == sorted((o.namespace, o.name)
                                                                         for o in collection.objects)
