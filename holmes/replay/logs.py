"""Serve a slice of a recorded container log the way the kubelet would, without reading the file whole.

The tail is found by reading blocks backwards from the end, `since` by bisecting on the timestamps that
start each line (`kubectl logs --timestamps` format), and the result is streamed in chunks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

CHUNK = 64 * 1024
_TIMESTAMP_RE = re.compile(rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d) ")


@dataclass(frozen=True)
class LogWindow:
    """What part of a log to serve: the kubelet applies since, then tail, then the byte limit."""

    since: datetime | None = None
    tail_lines: int | None = None
    limit_bytes: int | None = None
    timestamps: bool = False


def line_time(line: bytes) -> float | None:
    """The epoch seconds of a line's leading RFC3339 timestamp, or None when it has none."""
    match = _TIMESTAMP_RE.match(line)
    if not match:
        return None
    fraction = (match.group(2) or b"")[:7].decode()
    zone = match.group(3).decode().replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(match.group(1).decode() + fraction + zone).timestamp()
    except ValueError:
        return None


def read_log(path: Path, window: LogWindow) -> Iterator[bytes]:
    """The selected bytes of a log file, in chunks."""
    with path.open("rb") as log:
        end = log.seek(0, 2)
        start = since_offset(log, end, window.since.timestamp()) if window.since else 0
        if window.tail_lines is not None:
            start = max(start, tail_offset(log, start, end, window.tail_lines))
        chunks = _chunks(log, start, end)
        if not window.timestamps:
            chunks = _without_timestamps(chunks)
        yield from _limited(chunks, window.limit_bytes)


def tail_offset(log: BinaryIO, start: int, end: int, lines: int) -> int:
    """The offset where the last `lines` lines of [start, end) begin, found reading backwards."""
    if lines <= 0:
        return end
    if end <= start:
        return start
    log.seek(end - 1)
    skip_final = log.read(1) == b"\n"  # the last line's own newline ends it, it starts nothing
    position = end
    seen = 0
    while position > start:
        size = min(CHUNK, position - start)
        position -= size
        log.seek(position)
        block = log.read(size)
        if skip_final and position + size == end:
            block = block[:-1]
        index = len(block)
        while (index := block.rfind(b"\n", 0, index)) >= 0:
            seen += 1
            if seen == lines:
                return position + index + 1
    return start


def since_offset(log: BinaryIO, end: int, cutoff: float) -> int:
    """The offset of the first line stamped at or after `cutoff`; lines are in time order, so bisect."""
    low, high = 0, end
    while high - low > CHUNK:
        middle = (low + high) // 2
        found = _next_stamped_line(log, middle, high)
        if found is None or found[1] >= cutoff:
            high = middle
        else:
            low = found[0]
    return _first_at_or_after(log, low, end, cutoff)


def _next_stamped_line(log: BinaryIO, offset: int, limit: int) -> tuple[int, float] | None:
    """(start offset, time) of the first timestamped line starting after `offset`, looking until `limit`."""
    log.seek(offset)
    if offset > 0:
        log.readline()  # finish the line we landed in
    while (position := log.tell()) < limit:
        line = log.readline()
        if not line:
            return None
        stamp = line_time(line)
        if stamp is not None:
            return position, stamp
    return None


def _first_at_or_after(log: BinaryIO, offset: int, end: int, cutoff: float) -> int:
    log.seek(offset)
    if offset > 0:
        log.seek(offset - 1)
        if log.read(1) != b"\n":
            log.readline()
    while (position := log.tell()) < end:
        line = log.readline()
        stamp = line_time(line)
        if stamp is not None and stamp >= cutoff:
            return position
    return end


def _chunks(log: BinaryIO, start: int, end: int) -> Iterator[bytes]:
    log.seek(start)
    remaining = end - start
    while remaining > 0:
        block = log.read(min(CHUNK, remaining))
        if not block:
            return
        remaining -= len(block)
        yield block


def _without_timestamps(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Drop the leading timestamp of each line (the API adds them only when asked)."""
    pending = b""
    for block in chunks:
        lines = (pending + block).split(b"\n")
        pending = lines.pop()
        yield b"".join(_strip(line) + b"\n" for line in lines)
    if pending:
        yield _strip(pending)


def _strip(line: bytes) -> bytes:
    match = _TIMESTAMP_RE.match(line)
    return line[match.end():] if match else line


def _limited(chunks: Iterator[bytes], limit: int | None) -> Iterator[bytes]:
    if limit is None:
        yield from chunks
        return
    left = limit
    for block in chunks:
        if left <= 0:
            return
        yield block[:left]
        left -= len(block)
