"""One line that names what is wrong with a request and where, from pydantic's validation errors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def validation_reason(errors: Iterable[Any]) -> str:
    """The first problem with its location inside the request, and how many more there are."""
    errors = list(errors)
    if not errors:
        return "invalid request"
    first = errors[0]
    location = [str(part) for part in first.get("loc", ())]
    if location and location[0] == "body":
        location = location[1:]
    where = ".".join(location) or "body"
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    if first.get("type") == "json_invalid":
        where, message = "body", f"not valid JSON ({first.get('ctx', {}).get('error', 'parse error')})"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {message}{more}"
