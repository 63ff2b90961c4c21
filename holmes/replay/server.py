"""Serve a bundle over HTTP on a loopback port, in a background thread, for the official client and kubectl."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from holmes.bundle.model import Bundle
from holmes.replay.api import JSON, ReplayApi, Response
from holmes.replay.status import ApiError

BODY_LIMIT = 64 * 1024  # a request body the read-only API discards while keeping the connection; larger: closed
_CHUNK = 64 * 1024
_LINGER_BYTES = 8 * 1024 * 1024  # after refusing a large body, drain this much so the client reads our answer
_LINGER_S = 1.0


class _Handler(BaseHTTPRequestHandler):
    """Adapts HTTP/1.1 (keep-alive, chunked log streams) to `ReplayApi.handle`."""

    protocol_version = "HTTP/1.1"
    server_version = "holmes-replay"
    timeout = 60  # an idle keep-alive connection frees its thread after this long
    disable_nagle_algorithm = True  # headers and body go out as separate writes: without this each answer waits ~40 ms
    api: ReplayApi

    def do_GET(self) -> None:
        self._answer("GET")

    def do_HEAD(self) -> None:
        self._answer("HEAD")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_PUT(self) -> None:
        self._answer("PUT")

    def do_PATCH(self) -> None:
        self._answer("PATCH")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def do_OPTIONS(self) -> None:
        self._answer("OPTIONS")

    def do_TRACE(self) -> None:
        self._answer("TRACE")

    def _answer(self, method: str) -> None:
        try:
            fits = self._discard_body()
        except ApiError as exc:
            self.close_connection = True
            self._reply(Response(exc.code, JSON, exc.body()), method)
            self._linger()
            return
        path, _, query = self.path.partition("?")
        response = self.api.handle(method, path, query, self.headers.get("Accept", ""))
        self._reply(response, method)
        if not fits:
            self._linger()

    def _reply(self, response: Response, method: str) -> None:
        try:
            self._send(response, with_body=method != "HEAD")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _discard_body(self) -> bool:
        """Drop a small body in bounded reads; leave a large or unsized one unread (False) and close after."""
        text = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return False
        if text is None:
            return True
        if not text.strip().isdigit():
            raise ApiError(400, f"invalid Content-Length header: {text[:40]!r} (expected a byte count)")
        length = int(text)
        if length > BODY_LIMIT:
            self.close_connection = True
            return False
        while length > 0:
            chunk = self.rfile.read(min(length, _CHUNK))
            if not chunk:
                break
            length -= len(chunk)
        return True

    def _linger(self) -> None:
        """Read a little of an unread body after answering, so closing does not reset the answer away."""
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(_LINGER_S)
            left = _LINGER_BYTES
            while left > 0 and (chunk := self.connection.recv(_CHUNK)):
                left -= len(chunk)
        except OSError:
            pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol errors (bad request line, unknown method) as Status JSON instead of an HTML page."""
        code = 405 if code == 501 else code
        text = message or explain or "bad request"
        if code == 405 and self.command:
            text = f"the holmes replay API is read-only: {self.command[:20]} is not allowed"
        body = ApiError(code, text).body()
        self.close_connection = True
        self.request_version = self.protocol_version  # a request line too broken to parse still gets a status line
        try:
            self.send_response(code, message)
            self.send_header("Content-Type", JSON)
            self.send_header("Connection", "close")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(body)
        except OSError:
            return
        self._linger()

    def _send(self, response: Response, with_body: bool) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Cache-Control", "no-cache, private")
        if self.close_connection:  # say so, or a client may reuse the connection while we are closing it
            self.send_header("Connection", "close")
        if isinstance(response.body, bytes):
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if with_body:
                self.wfile.write(response.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in response.body if with_body else ():
            if chunk:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: Any) -> None:
        return None


class ReplayServer:
    """The replay API on 127.0.0.1 (or `host`) at a free port unless one is given."""

    def __init__(self, bundle: Bundle, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api = ReplayApi(bundle)
        self._address = (host, port)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("replay server not started")
        host, port = self._httpd.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else host
        return f"http://{host_text}:{port}"

    def start(self) -> str:
        handler = type("ReplayHandler", (_Handler,), {"api": self.api})
        httpd = ThreadingHTTPServer(self._address, handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self.api.server_address = self.url.removeprefix("http://")
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="holmes-replay", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> ReplayServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def serve_bundle(bundle: Bundle, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """The URL of a replay API serving `bundle` for the duration of the block."""
    server = ReplayServer(bundle, host, port)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()
