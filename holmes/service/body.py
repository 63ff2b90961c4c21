"""Refuse oversized request bodies with 413 before anything parses them, chunked bodies included."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_METHODS_WITH_BODY = {"POST", "PUT", "PATCH"}


class BodyTooLarge(Exception):
    """The request body is refused: `status` 413 (too large) or 400 (unreadable Content-Length)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class BodyLimit:
    """ASGI middleware: reads the body up to `limit` bytes, answers 413 past it, else replays it to the app."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _METHODS_WITH_BODY:
            await self.app(scope, receive, send)
            return
        try:
            body = await read_body(scope, receive, self.limit)
        except BodyTooLarge as refused:
            await send_json(send, refused.status, {"detail": refused.detail}, close=True)
            return
        await self.app(scope, _replay(body, receive), send)


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole body; raises BodyTooLarge as soon as the declared or the received size passes `limit`."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            if not text.isdigit():
                raise BodyTooLarge(400, f"Content-Length {text!r} is not a number")
            if int(text) > limit:
                raise BodyTooLarge(413, f"request body of {int(text)} bytes exceeds the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break  # the app sees a partial body, then the disconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(413, f"request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def send_json(send: Send, status: int, payload: Any, headers: dict[str, str] | None = None,
                    close: bool = False) -> None:
    """A complete JSON response; `close` when the rest of an unread body must not be taken for a request."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in (headers or {}).items()]
    if close:
        raw.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})
