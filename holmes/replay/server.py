"""Serve a bundle over HTTP on a loopback port, in a background thread, for the official client and kubectl."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from holmes.bundle.model import Bundle
from holmes.replay.api import ReplayApi, Response


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

    def _answer(self, method: str) -> None:
        self._discard_body()
        path, _, query = self.path.partition("?")
        response = self.api.handle(method, path, query, self.headers.get("Accept", ""))
        try:
            self._send(response, with_body=method != "HEAD")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _discard_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > 0:
            self.rfile.read(length)

    def _send(self, response: Response, with_body: bool) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Cache-Control", "no-cache, private")
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
