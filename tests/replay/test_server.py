"""The server's life cycle: a free loopback port, concurrent clients, and a clean stop that frees the port."""

from __future__ import annotations

import contextlib
import json
import socket
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest

from holmes.bundle.model import Bundle
from holmes.replay import ReplayServer, serve_bundle


def test_serve_bundle_listens_on_loopback_and_stops(bundle: Bundle) -> None:
    with serve_bundle(bundle) as url:
        parts = urlsplit(url)
        assert parts.hostname == "127.0.0.1" and parts.port
        assert httpx.get(f"{url}/version").status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/version", timeout=2)


def test_stopped_server_frees_its_port_for_a_new_one(bundle: Bundle) -> None:
    first = ReplayServer(bundle)
    port = urlsplit(first.start()).port
    first.stop()
    second = ReplayServer(bundle, port=port or 0)
    try:
        assert urlsplit(second.start()).port == port
    finally:
        second.stop()


def test_busy_port_raises_os_error(bundle: Bundle) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            ReplayServer(bundle, port=taken.getsockname()[1]).start()


def test_concurrent_clients_get_consistent_answers(url: str) -> None:
    def names(_: int) -> list[str]:
        with httpx.Client(base_url=url) as client:
            return [p["metadata"]["name"] for p in client.get("/api/v1/pods").json()["items"]]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(names, range(32)))
    assert all(result == results[0] for result in results) and len(results[0]) == 3


def test_keep_alive_connection_serves_several_requests(url: str) -> None:
    with httpx.Client(base_url=url) as client:
        statuses = [client.get(path).status_code for path in ("/api", "/apis", "/api/v1/nodes", "/nope", "/version")]
    assert statuses == [200, 200, 200, 404, 200]


def _raw(url: str, request: bytes, then_send: bytes = b"") -> tuple[bytes, bytes]:
    """(status line, body) of one raw HTTP exchange; `then_send` goes out after the request head."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname or "", parts.port or 0), timeout=10) as conn:
        conn.sendall(request)
        with contextlib.suppress(OSError):
            conn.sendall(then_send)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0], body


def test_invalid_content_length_gets_a_400_status_not_silence(url: str) -> None:
    line, body = _raw(url, b"POST /api/v1/namespaces/x/pods HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\nx")
    assert b" 400 " in line
    status = json.loads(body)
    assert status["kind"] == "Status" and "Content-Length" in status["message"]


def test_large_body_is_refused_without_reading_it_whole(url: str) -> None:
    size = 64 * 1024 * 1024
    head = (b"POST /api/v1/namespaces/x/pods HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size)
    line, body = _raw(url, head, b"x" * (1024 * 1024))  # far less than announced: a reader of it all would hang
    assert b" 405 " in line and json.loads(body)["reason"] == "MethodNotAllowed"


def test_small_body_on_a_kept_alive_connection_is_skipped(url: str) -> None:
    with httpx.Client(base_url=url) as client:
        refused = client.post("/api/v1/namespaces/llm/pods", content=b"y" * 100_000)
        assert refused.status_code == 405 and refused.headers["connection"] == "close"
        assert client.get("/version").status_code == 200


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "BREW"])
def test_unsupported_methods_get_a_405_status_json(url: str, method: str) -> None:
    response = httpx.request(method, f"{url}/api/v1/pods")
    assert response.status_code == 405 and response.headers["content-type"] == "application/json"
    assert response.json()["reason"] == "MethodNotAllowed" and method in response.json()["message"]


def test_malformed_request_line_gets_a_status_json(url: str) -> None:
    line, body = _raw(url, b"GET / HTTP/1.1 extra\r\n\r\n")
    assert b" 400 " in line and json.loads(body)["kind"] == "Status"
