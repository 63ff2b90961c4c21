"""Times and durations in tool arguments, always relative to the investigation's `now`, never the wall clock."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

from holmes.toolsets.base import ToolError

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")
MAX_DURATION_S = 10 * 31536000  # ten years: longer than any retention, and far from datetime's limits


def parse_duration(text: str | float | int) -> float:
    """'90s', '15m', '1h30m', '2d' or a number of seconds -> seconds (0 to ten years)."""
    if isinstance(text, (int, float)):
        return _bounded(float(text), text)
    value = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return _bounded(float(value), text)
    parts = _DURATION.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise ToolError(f"cannot read duration {text!r}; use e.g. 90s, 15m, 1h30m, 2d")
    return _bounded(sum(float(number) * _UNITS[unit] for number, unit in parts), text)


def _bounded(seconds: float, text: object) -> float:
    if not math.isfinite(seconds) or seconds < 0 or seconds > MAX_DURATION_S:
        raise ToolError(f"duration {text!r} is out of range; use 0s to 10y, e.g. 15m or 6h")
    return seconds


def parse_time(text: str | float | None, now: datetime) -> datetime:
    """'now', 'now-15m', '-15m', '15m ago', RFC3339 or unix seconds -> an aware datetime."""
    if text is None or (isinstance(text, str) and text.strip().lower() in ("", "now")):
        return now
    if isinstance(text, (int, float)):
        return _from_timestamp(float(text), text)
    value = text.strip().lower()
    relative = re.fullmatch(r"(?:now\s*)?-\s*(\S+)|(\S+)\s+ago", value)
    if relative:
        return now - timedelta(seconds=parse_duration(relative.group(1) or relative.group(2)))
    if re.fullmatch(r"\d{9,11}(?:\.\d+)?", value):
        return _from_timestamp(float(value), text)
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ToolError(f"cannot read time {text!r}; use RFC3339, unix seconds, 'now' or 'now-15m'") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _from_timestamp(seconds: float, text: object) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise ToolError(f"time {text!r} is out of range; use RFC3339, unix seconds or 'now-15m'") from None


def iso(moment: datetime | float) -> str:
    """RFC3339 in UTC with a Z, seconds precision."""
    when = moment if isinstance(moment, datetime) else datetime.fromtimestamp(moment, UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
