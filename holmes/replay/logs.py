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
_STAMP_MAX = 64  # more than any leading RFC3339 timestamp and its space
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
        _line_head(log)  # finish the line we landed in
    while (position := log.tell()) < limit:
        line = _line_head(log)
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
            _line_head(log)
    while (position := log.tell()) < end:
        line = _line_head(log)
        if not line:
            return end
        stamp = line_time(line)
        if stamp is not None and stamp >= cutoff:
            return position
    return end


def _line_head(log: BinaryIO) -> bytes:
    """The start of the next line (enough for its timestamp), leaving the file after that line: bounded reads,
    so a log with no newline is never held whole."""
    head = log.readline(CHUNK)
    if head and not head.endswith(b"\n"):
        while (rest := log.readline(CHUNK)) and not rest.endswith(b"\n"):
            pass
    return head


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
    """Drop the leading timestamp of each line (the API adds them only when asked).

    A line's unfinished end is held only until its start can be judged, so a huge line streams in chunks.
    """
    pending = b""
    continuing = False  # pending is the rest of a line whose start was already sent
    for block in chunks:
        lines = (pending + block).split(b"\n")
        pending = lines.pop()
        out = [line if index == 0 and continuing else _strip(line) for index, line in enumerate(lines)]
        if lines:
            out.append(b"")
            continuing = False
        text = b"\n".join(out)
        if len(pending) > _STAMP_MAX:
            text += pending if continuing else _strip(pending)
            pending, continuing = b"", True
        if text:
            yield text
    if pending:
        yield pending if continuing else _strip(pending)


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
