"""The server's life cycle: a free loopback port, concurrent clients, and a clean stop that frees the port."""

from __future__ import annotations

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
