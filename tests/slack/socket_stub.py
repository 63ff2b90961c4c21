"""SlackSocketModeStub: a stand-in for Slack's socket mode WebSocket server, which cannot run here.

A stub, not Slack: on a loopback port (websockets' server), it greets each connection with `hello`, sends the
envelopes a test gives it, and records the acknowledgements (`envelope_id`) the client sends back.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve


class SlackSocketModeStub:
    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self._connections: list[ServerConnection] = []
        self._connected = threading.Condition()
        self._server: Server = serve(self._session, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, name="socket-mode-stub", daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/link/?ticket=test"

    def start(self) -> SlackSocketModeStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def wait_connected(self, timeout: float = 20.0) -> None:
        with self._connected:
            if not self._connected.wait_for(lambda: bool(self._connections), timeout):
                raise AssertionError("the socket mode client never connected")

    def send(self, envelope_type: str, payload: dict[str, Any], envelope_id: str) -> None:
        envelope = {"envelope_id": envelope_id, "type": envelope_type, "payload": payload,
                    "accepts_response_payload": envelope_type != "events_api", "retry_attempt": 0, "retry_reason": ""}
        self._connections[-1].send(json.dumps(envelope))

    def _session(self, connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0001"},
                                    "debug_info": {"host": "stub", "approximate_connection_time": 18060}}))
        with self._connected:
            self._connections.append(connection)
            self._connected.notify_all()
        try:
            for frame in connection:
                message = json.loads(frame)
                if "envelope_id" in message:
                    self.acks.append(message)
        except ConnectionClosed:
            return
