"""SlackWebApiStub: a stand-in for Slack's Web API, which cannot run here.

It is a stub, not Slack: it records the calls holmes makes (chat.postMessage, chat.update, chat.postEphemeral,
files_upload_v2's three steps, views.open, conversations.replies, auth.test, apps.connections.open) and answers
with the shapes Slack documents, including Slack's refusals for oversized Block Kit and unknown messages.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_USER = "UHOLMES"
BOT_ID = "BHOLMES"
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None


@dataclass
class Message:
    channel: str
    ts: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    user: str = BOT_USER
    bot_id: str | None = BOT_ID
    edits: int = 0

    def as_slack(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"type": "message", "ts": self.ts, "text": self.text, "user": self.user}
        if self.bot_id:
            shown["bot_id"] = self.bot_id
        if self.blocks:
            shown["blocks"] = self.blocks
        if self.thread_ts:
            shown["thread_ts"] = self.thread_ts
        return shown


class SlackWebApiStub:
    def __init__(self, bot_token: str = "xoxb-test", app_token: str = "xapp-test") -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], Message] = {}
        self.uploads: dict[str, bytes] = {}
        self.not_in: set[str] = set()  # channels where holmes is not a member
        self.socket_url = "wss://wss-primary.slack.invalid/link"
        self._clock = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, name="slack-stub", daemon=True)

    # lifecycle

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"{self.root}/api/"

    def start(self) -> SlackWebApiStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # what tests read and seed

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [call.params for call in self.calls if call.method == method]

    def thread(self, channel: str, thread_ts: str) -> list[Message]:
        """The root and replies of one thread, oldest first."""
        with self._lock:
            found = [m for m in self.messages.values()
                     if m.channel == channel and (m.ts == thread_ts or m.thread_ts == thread_ts)]
        return sorted(found, key=lambda m: float(m.ts))

    def seed(self, channel: str, text: str, user: str = "UASKER", thread_ts: str | None = None) -> str:
        """A message a person wrote (Slack would have it; holmes reads it back with conversations.replies)."""
        with self._lock:
            ts = self._next_ts()
            self.messages[(channel, ts)] = Message(channel, ts, text, thread_ts=thread_ts, user=user, bot_id=None)
            return ts

    def wait_for(self, check: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; calls: "
                                     f"{[call.method for call in self.calls]}")
            time.sleep(0.02)

    # the API

    def _next_ts(self) -> str:
        return f"1718000000.{next(self._clock):06d}"

    def answer(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        with self._lock:
            self.calls.append(Call(method, params, token))
            wanted = self.app_token if method == "apps.connections.open" else self.bot_token
            if token != wanted:
                return {"ok": False, "error": "invalid_auth" if token else "not_authed"}
            handler = getattr(self, "_" + method.replace(".", "_"), None)
            if handler is None:
                return {"ok": False, "error": "unknown_method"}
            return handler(params)

    def _auth_test(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://holmes-test.slack.invalid/", "team": "holmes-test", "user": "holmes",
                "team_id": "T0001", "user_id": BOT_USER, "bot_id": BOT_ID}

    def _apps_connections_open(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.socket_url}

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.not_in:
            return {"ok": False, "error": "not_in_channel"}
        refused = _refusal(params)
        if refused:
            return {"ok": False, "error": refused}
        ts = self._next_ts()
        message = Message(channel, ts, str(params.get("text") or ""), _blocks(params), params.get("thread_ts"))
        self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message.as_slack()}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self.messages.get((str(params.get("channel")), str(params.get("ts"))))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        refused = _refusal(params)
        if refused:
            return {"ok": False, "error": refused}
        message.text = str(params.get("text") or "")
        message.blocks = _blocks(params) if "blocks" in params else message.blocks
        message.edits += 1
        return {"ok": True, "channel": message.channel, "ts": message.ts, "text": message.text}

    def _chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("user") or not params.get("channel"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view = params.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        return {"ok": True, "view": {"id": "V0001", **(view or {})}}

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(params.get("channel")), str(params.get("ts"))
        if (channel, ts) not in self.messages:
            return {"ok": False, "error": "thread_not_found"}
        found = sorted((m for m in self.messages.values()
                        if m.channel == channel and (m.ts == ts or m.thread_ts == ts)), key=lambda m: float(m.ts))
        return {"ok": True, "messages": [m.as_slack() for m in found], "has_more": False}

    def _files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("filename") or not str(params.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._clock):06d}"
        return {"ok": True, "upload_url": f"{self.root}/upload/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        files = json.loads(params.get("files") or "[]")
        if any(item.get("id") not in self.uploads for item in files):
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "files": [{"id": item["id"], "title": item.get("title", "")} for item in files]}

    def upload(self, file_id: str, data: bytes) -> None:
        with self._lock:
            self.uploads[file_id] = data

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                url = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if url.path.startswith("/upload/"):
                    stub.upload(url.path.rsplit("/", 1)[1], body)
                    self._send(200, f"OK - {len(body)}".encode(), "text/plain")
                    return
                if not url.path.startswith("/api/"):
                    self._send(404, b"not found", "text/plain")
                    return
                params = _params(url.query, body, self.headers.get("Content-Type", ""))
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else params.pop("token", None)
                answer = stub.answer(url.path.removeprefix("/api/"), params, token)
                self._send(200, json.dumps(answer).encode(), "application/json; charset=utf-8")

            do_GET = do_POST

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                return None

        return Handler


def _params(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query))
    if "json" in content_type and body:
        params.update(json.loads(body))
    elif body:
        params.update(parse_qsl(body.decode("utf-8")))
    return params


def _blocks(params: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def _refusal(params: dict[str, Any]) -> str | None:
    """Slack's answer to messages it will not take: too many blocks, texts over their limits, nothing to show."""
    blocks = _blocks(params)
    if not blocks and not params.get("text"):
        return "no_text"
    if len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        if block.get("type") == "section" and len(text) > MAX_SECTION_TEXT:
            return "invalid_blocks"
        if block.get("type") == "header" and len(text) > MAX_HEADER_TEXT:
            return "invalid_blocks"
    return None
