"""Compact text for tool results: kubectl-like tables, ages, YAML excerpts, and cutting to a token budget."""

from __future__ import annotations

import functools
import itertools
import re
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import yaml

# metadata that only bloats a model's context
_NOISY_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)


@functools.lru_cache(maxsize=1)
def _encoding() -> Any:
    try:
        import bpe_openai

        return bpe_openai.get_encoding("o200k_base")
    except Exception:  # the estimate below is good enough when the tokenizer is unavailable
        return None


def count_tokens(text: str) -> int:
    """Exact o200k_base tokens once the agent has loaded the tokenizer, else a bound that never undercounts much.

    Importing bpe_openai builds every encoding (seconds on a busy machine), so a run with no model, which
    only needs tool text to stay near its budget, uses UTF-8 bytes / 2.5: at or above the real count for 95%
    of the recorded incidents' logs and objects, at most 20% below it.
    """
    if "bpe_openai" not in sys.modules:
        return (len(text.encode("utf-8", errors="replace")) * 2 + 4) // 5
    encoding = _encoding()
    if encoding is None:
        return (len(text) + 3) // 4
    return len(encoding.encode_ordinary(text))


def parse_time(value: Any) -> datetime | None:
    """An RFC3339 timestamp as the API serves it (with or without fractions), or None."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00")
    text = re.sub(r"\.(\d{6})\d+", r".\1", text)  # MicroTime may carry nanoseconds
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def age(value: Any, now: datetime) -> str:
    """kubectl-style age of a timestamp relative to `now` (the incident's capture time in replay)."""
    when = value if isinstance(value, datetime) else parse_time(value)
    if when is None:
        return "<unknown>"
    seconds = int((now - when).total_seconds())
    if seconds < 0:
        return "in the future"
    return duration(seconds)


def duration(seconds: float) -> str:
    """A short human duration: 45s, 3m20s, 2h5m, 3d4h."""
    total = int(seconds)
    if total < 120:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 10:
        return f"{minutes}m{secs}s" if secs else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 1:
        return f"{minutes}m"
    if hours < 48:
        return f"{hours}h{minutes}m" if minutes and hours < 8 else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h" if hours and days < 8 else f"{days}d"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A kubectl-like table: upper-case headers, columns padded with three spaces, no trailing spaces."""
    cells = [[str(h).upper() for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        padded = [cell.ljust(widths[i]) if i < len(row) - 1 else cell for i, cell in enumerate(row)]
        lines.append("   ".join(padded).rstrip())
    return "\n".join(lines)


def slim(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of an API object without managedFields and last-applied annotations."""
    out = dict(obj)
    meta = dict(out.get("metadata") or {})
    meta.pop("managedFields", None)
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in _NOISY_ANNOTATIONS}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    if meta:
        out["metadata"] = meta
    return out


def yaml_excerpt(obj: Any) -> str:
    """Readable YAML in the API's own field order."""
    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, width=160, allow_unicode=True).rstrip()


def fit_text(text: str, budget: int, hint: str = "") -> tuple[str, str | None]:
    """Cut text to about `budget` tokens on line boundaries; the note says how much was left out."""
    if count_tokens(text) <= budget:
        return text, None
    lines = text.splitlines()
    kept: list[str] = []
    used = 0
    for line in lines:
        cost = count_tokens(line) + 1
        if used + cost > budget:
            break
        kept.append(line)
        used += cost
    note = f"showing the first {len(kept)} of {len(lines)} lines (token budget {budget})"
    if hint:
        note += f"; {hint}"
    return "\n".join(kept), note


def keep_within(lines: Sequence[str], budget: int, important: Callable[[str], bool],
                head: int = 20, tail: int = 80) -> tuple[list[str], int]:
    """Cut lines to a token budget keeping the head, the tail and every important line between.

    Returns the kept lines (with `... N lines omitted ...` markers) and how many lines were omitted.
    """
    if sum(count_tokens(line) + 1 for line in lines) <= budget:
        return list(lines), 0
    keep = set(range(min(head, len(lines)))) | set(range(max(0, len(lines) - tail), len(lines)))
    keep |= {i for i, line in enumerate(lines) if important(line)}
    chosen = _trim_to_budget(lines, sorted(keep), budget, important)
    out: list[str] = []
    previous = -1
    for index in chosen:
        if index - previous > 1:
            out.append(f"... {index - previous - 1} lines omitted ...")
        out.append(lines[index])
        previous = index
    if len(lines) - 1 - previous > 0:
        out.append(f"... {len(lines) - 1 - previous} lines omitted ...")
    return out, len(lines) - len(chosen)


def _trim_to_budget(lines: Sequence[str], indexes: list[int], budget: int,
                    important: Callable[[str], bool]) -> list[int]:
    """Drop kept lines until the rest fits: plain head lines first, then the oldest tail and important lines."""
    costs = {i: count_tokens(lines[i]) + 1 for i in indexes}
    total = sum(costs.values()) + 8 * _gaps(indexes)
    if total <= budget:
        return indexes
    plain = [i for i in indexes if not important(lines[i])]
    marked = [i for i in indexes if important(lines[i])]
    # drop plain lines from the middle outwards (keep the very first and last), then the oldest marked ones
    order = sorted(plain, key=lambda i: -min(i, len(lines) - 1 - i)) + marked[:-1]
    chosen = set(indexes)
    for index in order:
        if total <= budget:
            break
        chosen.discard(index)
        total -= costs[index]
    if total > budget:  # one very long line: keep it truncated rather than nothing
        chosen = {max(chosen)} if chosen else set()
    return sorted(chosen)


def _gaps(indexes: list[int]) -> int:
    return sum(1 for a, b in itertools.pairwise(indexes) if b - a > 1) + 1


def quantity(value: Any) -> float | None:
    """A Kubernetes quantity ('8', '80Gi', '500m', '1.5') as a number, or None."""
    if value is None:
        return None
    text = str(value).strip()
    match = re.fullmatch(r"([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)([a-zA-Z]*)", text)
    if not match:
        return None
    number, suffix = float(match.group(1)), match.group(2)
    factors = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
               "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
    if suffix not in factors:
        return None
    return number * factors[suffix]


def plural(count: int, noun: str) -> str:
    """'1 event', '3,112 events'."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
