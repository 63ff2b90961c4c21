"""Kubernetes `Status` failures, shaped like a real API server's so clients print familiar messages."""

from __future__ import annotations

import json
from typing import Any

REASONS = {400: "BadRequest", 404: "NotFound", 405: "MethodNotAllowed", 406: "NotAcceptable", 410: "Expired",
           413: "RequestEntityTooLarge", 414: "RequestURITooLong", 500: "InternalError"}


class ApiError(Exception):
    """A request the replay API refuses; rendered as a Status body with this HTTP code."""

    def __init__(self, code: int, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> bytes:
        status: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                  "message": self.message, "reason": REASONS.get(self.code, "BadRequest"),
                                  "code": self.code}
        if self.details is not None:
            status["details"] = self.details
        return json.dumps(status).encode()


def not_found(group: str, plural: str, name: str) -> ApiError:
    """`pods "x" not found` / `resourceclaims.resource.k8s.io "x" not found`, as the API says it."""
    qualified = f"{plural}.{group}" if group else plural
    details: dict[str, Any] = {"name": name, "kind": plural}
    if group:
        details["group"] = group
    return ApiError(404, f'{qualified} "{name}" not found', details)


def no_such_path() -> ApiError:
    return ApiError(404, "the server could not find the requested resource", {})


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)
