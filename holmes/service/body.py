"""Refuse oversized request bodies with 413 before anything parses them, chunked bodies included."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_METHODS_WITH_BODY = {"POST", "PUT", "PATCH"}


class BodyLimit:
    """ASGI middleware: reads the body up to `limit` bytes, answers 413 past it, else replays it to the app."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _METHODS_WITH_BODY:
            await self.app(scope, receive, send)
            return
        refusal = _declared_refusal(scope, self.limit)
        if refusal is not None:
            await _answer(send, *refusal)
            return
        body, complete = await self._read(receive)
        if not complete:
            await _answer(send, 413, f"request body exceeds the limit of {self.limit} bytes")
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks), True  # the app sees an empty or partial body and the disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return b"", False
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), True


def _declared_refusal(scope: Scope, limit: int) -> tuple[int, str] | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            if not text.isdigit():
                return 400, f"Content-Length {text!r} is not a number"
            if int(text) > limit:
                return 413, f"request body of {int(text)} bytes exceeds the limit of {limit} bytes"
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _answer(send: Send, status: int, detail: str) -> None:
    payload = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})
