"""Body size limit: 413 before parsing, whether the size is declared or the body arrives chunked."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from holmes.service.app import create_app
from holmes.service.runtime import Tuning

from .conftest import Client, make_settings
from .support import FakeInvestigator, alert, free_port, payload, wait_until

LIMIT = 4096


def _big_payload() -> bytes:
    return json.dumps(payload(*[alert(f"fp{i}", pod="x" * 100) for i in range(60)])).encode()


def test_declared_oversized_body_is_413(client_for: Client) -> None:
    client = client_for(FakeInvestigator(), max_body_bytes=LIMIT)
    response = client.post("/api/v1/alertmanager", content=_big_payload(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert f"exceeds the limit of {LIMIT} bytes" in response.json()["detail"]
    assert client.get("/api/v1/investigations").json()["count"] == 0


def test_chunked_oversized_body_is_413(client_for: Client) -> None:
    client = client_for(FakeInvestigator(), max_body_bytes=LIMIT)
    body = _big_payload()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 1000):
            yield body[start:start + 1000]

    response = client.post("/api/v1/alertmanager", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert client.get("/api/v1/investigations").json()["count"] == 0


def test_chunked_body_within_the_limit_is_accepted(client_for: Client) -> None:
    client = client_for(FakeInvestigator(), max_body_bytes=LIMIT)
    body = json.dumps(payload(alert("fp1"))).encode()
    response = client.post("/api/v1/alertmanager", content=iter([body[:50], body[50:]]),
                           headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.json()["queued"] == 1


def test_non_numeric_content_length_is_400(client_for: Client) -> None:
    client = client_for(FakeInvestigator(), max_body_bytes=LIMIT)
    response = client.post("/api/v1/alertmanager", content=b"{}", headers={"content-length": "lots"})
    assert response.status_code == 400


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[int]:
    """The app on a real uvicorn on loopback, so raw sockets speak HTTP/1.1 chunked encoding to it."""
    port = free_port()
    app = create_app(make_settings(tmp_path / "data", max_body_bytes=LIMIT), FakeInvestigator(), tuning=Tuning())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, what="uvicorn")
    yield port
    server.should_exit = True
    thread.join(15)


def _raw_chunked_post(port: int, body: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"POST /api/v1/alertmanager HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        try:
            for start in range(0, len(body), 512):
                piece = body[start:start + 512]
                conn.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            conn.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before the whole body is sent
        return conn.recv(65536)


def test_real_server_refuses_an_oversized_chunked_body(live_server: int) -> None:
    answer = _raw_chunked_post(live_server, _big_payload())
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_real_server_accepts_a_small_chunked_body(live_server: int) -> None:
    answer = _raw_chunked_post(live_server, json.dumps(payload(alert("fp1"))).encode())
    assert answer.startswith(b"HTTP/1.1 200 ")
