"""Stops the model from asking for what it already has: identical and near-identical tool calls."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from holmes.domain import ToolResult
from holmes.toolsets.base import ToolRegistry

# parameters that only change how much of the same thing comes back
_SIZE_PARAMS = frozenset({"tail_lines", "limit", "since_seconds", "step", "limit_bytes"})


@dataclass(frozen=True)
class Earlier:
    """The call a repeat would duplicate."""

    call_id: str
    exact: bool


class RepeatGuard:
    """Remembers calls by their normalised arguments, so a repeat is answered with a pointer, not a rerun."""

    def __init__(self, registry: ToolRegistry) -> None:
        self._registry = registry
        self._exact: dict[str, str] = {}
        self._loose: dict[str, str] = {}  # without size params; only for results that were not cut

    def key(self, tool: str, params: dict[str, Any]) -> str:
        """The identity of a call: equal for calls that differ only in defaults, case, spacing or number types."""
        return self._keys(tool, params)[0]

    def earlier(self, tool: str, params: dict[str, Any]) -> Earlier | None:
        exact, loose = self._keys(tool, params)
        if exact in self._exact:
            return Earlier(self._exact[exact], exact=True)
        if loose in self._loose:
            return Earlier(self._loose[loose], exact=False)
        return None

    def remember(self, result: ToolResult) -> None:
        exact, loose = self._keys(result.tool, result.params)
        self._exact.setdefault(exact, result.call_id)
        if not result.cut:  # asking for more of a complete result returns nothing new
            self._loose.setdefault(loose, result.call_id)

    def forget(self, call_id: str) -> None:
        """Allow a call again, e.g. after its output was elided from the context."""
        self._exact = {k: v for k, v in self._exact.items() if v != call_id}
        self._loose = {k: v for k, v in self._loose.items() if v != call_id}

    def _keys(self, tool: str, params: dict[str, Any]) -> tuple[str, str]:
        normal = self._normalise(tool, params)
        loose = {k: v for k, v in normal.items() if k not in _SIZE_PARAMS}
        return _key(tool, normal), _key(tool, loose)

    def _normalise(self, tool_name: str, params: dict[str, Any]) -> dict[str, Any]:
        """Defaults dropped, strings trimmed and lower-cased, numbers as numbers: `"100"` equals `100`."""
        tool = self._registry.get(tool_name)
        values = params
        if tool is not None:
            try:
                values = tool.params.model_validate(params).model_dump(mode="json", exclude_defaults=True)
            except ValidationError:
                values = params
        return {k: _canonical(v) for k, v in values.items() if v not in (None, "", [], {})}


def _canonical(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else number
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    return value


def _key(tool: str, params: dict[str, Any]) -> str:
    return tool + json.dumps(params, sort_keys=True, default=str)
