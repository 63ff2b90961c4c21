"""Route GET requests to discovery, objects and logs; anything that would change the cluster is refused.

Transport-free: `ReplayApi.handle` takes a method, path and query and returns a `Response`, so the HTTP
server stays a thin adapter.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from holmes.bundle.model import Bundle
from holmes.bundle.store import StoredObject
from holmes.replay import discovery
from holmes.replay.catalog import Catalog, ServedResource, paginate
from holmes.replay.logs import LogWindow, read_log
from holmes.replay.selectors import parse_field_selector, parse_label_selector
from holmes.replay.status import ApiError, bad_request, no_such_path, not_found
from holmes.replay.tables import table, wants_table

READ_METHODS = ("GET", "HEAD")
STREAM_ABOVE = 1000  # lists longer than this are sent in chunks instead of one joined copy
MAX_SINCE_SECONDS = 10**10  # about 300 years: "everything", without overflowing the date arithmetic
_TABLE = "\0table"  # marks a request whose Accept header asks for a Table (never a real query parameter)
JSON = "application/json"


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes | Iterator[bytes]


def json_response(document: Any, status: int = 200) -> Response:
    return Response(status, JSON, json.dumps(document).encode())


class ReplayApi:
    """The read-only Kubernetes API over one bundle."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.catalog = Catalog(bundle)
        self.server_address = "127.0.0.1"

    def handle(self, method: str, path: str, query_string: str, accept: str = "") -> Response:
        try:
            if method not in READ_METHODS:
                raise ApiError(405, f"the holmes replay API is read-only: {method} is not allowed "
                                    "(a recorded incident cannot be changed)")
            query = {k: v[-1] for k, v in parse_qs(query_string, keep_blank_values=True).items()}
            if wants_table(accept):
                query[_TABLE] = "true"
            return self._route([p for p in path.split("/") if p], query)
        except ApiError as exc:
            return Response(exc.code, JSON, exc.body())
        except Exception as exc:  # a bug here must still answer the client, as a Status rather than a reset
            message = f"internal error in the holmes replay API: {type(exc).__name__}: {exc}"
            return Response(500, JSON, ApiError(500, message).body())

    def _route(self, parts: list[str], query: dict[str, str]) -> Response:
        if parts == ["version"]:
            return json_response(discovery.SERVER_VERSION)
        if parts in (["healthz"], ["livez"], ["readyz"]):
            return Response(200, "text/plain", b"ok")
        if parts == ["api"]:
            return json_response(discovery.api_versions(self.server_address))
        if parts == ["apis"]:
            return json_response(discovery.api_group_list(self.catalog))
        if parts[:2] == ["api", "v1"]:
            return self._in_group_version("", "v1", parts[2:], query)
        if len(parts) >= 2 and parts[0] == "apis" and parts[1] in self.catalog.groups and parts[1]:
            if len(parts) == 2:
                return json_response(discovery.api_group(self.catalog, parts[1]))
            if parts[2] in self.catalog.groups[parts[1]]:
                return self._in_group_version(parts[1], parts[2], parts[3:], query)
        raise no_such_path()

    def _in_group_version(self, group: str, version: str, rest: list[str], query: dict[str, str]) -> Response:
        if not rest:
            return json_response(discovery.api_resource_list(self.catalog, group, version))
        if _flag(query, "watch"):
            raise ApiError(405, "watch is not supported by the holmes replay API: a recorded incident does not change")
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        served = self.catalog.resource(group, version, rest[0])
        if served is None or (namespace is not None and not served.resource.namespaced):
            raise no_such_path()
        if len(rest) == 1:
            return self._list(served, group, version, namespace, query)
        if not served.resource.namespaced or namespace is not None:
            return self._get(served, namespace or "", rest[1], rest[2:], query)
        raise no_such_path()

    def _list(self, served: ServedResource, group: str, version: str, namespace: str | None,
              query: dict[str, str]) -> Response:
        labels = parse_label_selector(query.get("labelSelector", ""))
        fields = parse_field_selector(query.get("fieldSelector", ""))
        matching = served.select(namespace, labels, fields)
        fingerprint = "|".join([group, served.resource.plural, namespace or "", query.get("labelSelector", ""),
                                query.get("fieldSelector", "")])
        page = paginate(matching, _int(query, "limit", minimum=0), query.get("continue"), fingerprint)
        metadata: dict[str, Any] = {"resourceVersion": self.catalog.resource_version}
        if page.continue_token:
            metadata["continue"] = page.continue_token
            metadata["remainingItemCount"] = page.remaining
        if _TABLE in query:
            objects = [o.to_dict() for o in page.items]
            return json_response(table(group, served.resource.plural, objects, self.bundle.spec.captured_at, metadata))
        head = json.dumps({"kind": f"{served.resource.kind}List", "apiVersion": f"{group}/{version}".lstrip("/"),
                           "metadata": metadata})
        if len(page.items) <= STREAM_ABOVE:
            body = b"".join([head[:-1].encode(), b',"items":[', b",".join(o.raw for o in page.items), b"]}"])
            return Response(200, JSON, body)
        return Response(200, JSON, _streamed_list(head, page.items))

    def _get(self, served: ServedResource, namespace: str, name: str, subresource: list[str],
             query: dict[str, str]) -> Response:
        stored = served.get(namespace, name)
        if stored is None:
            raise not_found(served.resource.group, served.resource.plural, name)
        if (not subresource or subresource == ["status"]) and _TABLE in query:
            metadata = {"resourceVersion": self.catalog.resource_version}
            return json_response(table(served.resource.group, served.resource.plural, [stored.to_dict()],
                                       self.bundle.spec.captured_at, metadata))
        if not subresource or subresource == ["status"]:
            return Response(200, JSON, stored.raw)
        if subresource == ["log"] and served.resource.plural == "pods" and not served.resource.group:
            return self._log(stored.to_dict(), query)
        raise no_such_path()

    def _log(self, pod: dict[str, Any], query: dict[str, str]) -> Response:
        namespace, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        container = _container(pod, query.get("container") or None)
        previous = _flag(query, "previous")
        path = self.bundle.log_path(namespace, name, container, previous)
        if path is None:
            if previous:
                raise bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
            waiting = _waiting_reason(pod, container)
            if waiting:
                raise bad_request(f'container "{container}" in pod "{name}" is waiting to start: {waiting}')
            return Response(200, "text/plain", b"")
        window = LogWindow(since=self._since(query), tail_lines=_int(query, "tailLines", minimum=0),
                           limit_bytes=_int(query, "limitBytes", minimum=1), timestamps=_flag(query, "timestamps"))
        return Response(200, "text/plain", read_log(path, window))

    def _since(self, query: dict[str, str]) -> datetime | None:
        if "sinceSeconds" in query and "sinceTime" in query:
            raise bad_request("at most one of sinceTime or sinceSeconds may be specified")
        seconds = _int(query, "sinceSeconds", minimum=1)
        if seconds is not None:
            return self.bundle.spec.captured_at - timedelta(seconds=min(seconds, MAX_SINCE_SECONDS))
        if query.get("sinceTime"):
            try:
                stamp = datetime.fromisoformat(query["sinceTime"].replace("Z", "+00:00"))
            except ValueError:
                raise bad_request(f"sinceTime {query['sinceTime']!r} is not an RFC3339 time") from None
            if stamp.tzinfo is None:
                raise bad_request(f"sinceTime {query['sinceTime']!r} needs a time zone (e.g. Z)")
            return stamp
        return None


def _streamed_list(head: str, items: list[StoredObject]) -> Iterator[bytes]:
    yield head[:-1].encode() + b',"items":['
    for start in range(0, len(items), STREAM_ABOVE):
        prefix = b"," if start else b""
        yield prefix + b",".join(o.raw for o in items[start:start + STREAM_ABOVE])
    yield b"]}"


def _container(pod: dict[str, Any], asked: str | None) -> str:
    """The container a log request means; like the API, a multi-container pod needs it named."""
    spec = pod.get("spec") or {}
    name = pod["metadata"]["name"]
    regular = [c.get("name", "") for c in spec.get("containers") or []]
    init = [c.get("name", "") for c in spec.get("initContainers") or []]
    ephemeral = [c.get("name", "") for c in spec.get("ephemeralContainers") or []]
    if asked is None:
        if len(regular) == 1:
            return regular[0]
        message = f"a container name must be specified for pod {name}, choose one of: [{' '.join(regular)}]"
        if init:
            message += f" or one of the init containers: [{' '.join(init)}]"
        raise bad_request(message)
    if asked not in (*regular, *init, *ephemeral):
        raise bad_request(f"container {asked} is not valid for pod {name}")
    return asked


def _waiting_reason(pod: dict[str, Any], container: str) -> str:
    status = pod.get("status") or {}
    for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for entry in status.get(key) or []:
            if entry.get("name") == container:
                waiting = (entry.get("state") or {}).get("waiting")
                return (waiting.get("reason") or "ContainerCreating") if isinstance(waiting, dict) else ""
    return ""


_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"", "0", "f", "F", "FALSE", "false", "False"}


def _flag(query: dict[str, str], name: str) -> bool:
    value = query.get(name, "")
    if value not in _TRUE | _FALSE:
        raise bad_request(f"{name}={value!r}: expected true or false")
    return value in _TRUE


def _int(query: dict[str, str], name: str, minimum: int) -> int | None:
    value = query.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise bad_request(f"{name}={value!r}: expected an integer") from None
    if number < minimum:
        raise bad_request(f"{name}={number}: must be at least {minimum}")
    return number
