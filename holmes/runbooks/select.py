"""JMESPath selections over tool data, with a few Kubernetes-aware functions, and value coercion."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import jmespath
from jmespath import functions
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult

_QUANTITY = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*"
                       r"(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?\s*%?\s*$")
_SUFFIX = {
    None: 1, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}


def to_number(value: Any) -> float | None:
    """A number from an int, float, numeric string or Kubernetes quantity ('16', '80Gi', '500m', '99.7%')."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = _QUANTITY.match(value)
        if match:
            return float(match.group(1)) * _SUFFIX[match.group(2)]
    return None


def to_epoch(value: Any) -> float | None:
    """Seconds since the epoch from an RFC 3339 timestamp ('2025-03-14T10:20:00Z'); None if it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


class _HolmesFunctions(functions.Functions):
    """Extra JMESPath functions runbooks may use: quantity(), timestamp(), lower(), entries()."""

    @functions.signature({"types": []})
    def _func_timestamp(self, value: Any) -> float | None:
        return to_epoch(value)

    @functions.signature({"types": []})
    def _func_quantity(self, value: Any) -> float | None:
        return to_number(value)

    @functions.signature({"types": ["string", "null"]})
    def _func_lower(self, value: str | None) -> str | None:
        return value.lower() if value is not None else None

    @functions.signature({"types": ["object", "null"]})
    def _func_entries(self, value: dict[str, Any] | None) -> list[dict[str, Any]]:
        return [{"key": key, "value": item} for key, item in (value or {}).items()]


_OPTIONS = jmespath.Options(custom_functions=_HolmesFunctions())


@lru_cache(maxsize=2048)
def compile_selection(expression: str) -> ParsedResult:
    """Parse once; raises JMESPathError with the parser's message for a bad expression."""
    return jmespath.compile(expression)


def select(expression: str, data: Any) -> Any:
    """Evaluate a JMESPath expression; an evaluation error (wrong type at run time) selects nothing."""
    try:
        return compile_selection(expression).search(data, options=_OPTIONS)
    except JMESPathError:
        return None


def as_lines(value: Any) -> list[str]:
    """Flatten a selection into the strings a regex is tried against."""
    if value is None:
        return []
    if isinstance(value, list):
        lines: list[str] = []
        for item in value:
            lines.extend(as_lines(item))
        return lines
    if isinstance(value, str):
        return [value]
    return [compact(value)]


def compact(value: Any) -> str:
    """A short one-line rendering of selected data for evidence excerpts."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(", ", ": "), sort_keys=False, default=str)
