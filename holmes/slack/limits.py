"""Slack's size limits, and splitting content to fit them rather than letting Slack reject or cut it."""

from __future__ import annotations

from typing import Any

SECTION_CHARS = 3000  # text of one section block
HEADER_CHARS = 150  # plain text of a header block
CONTEXT_CHARS = 2000  # one text element of a context block
BLOCKS_PER_MESSAGE = 50
FALLBACK_CHARS = 3000  # the notification text of a message (Slack advises well under 40,000)
BUTTON_VALUE_CHARS = 2000
MESSAGE_CHARS = 12_000  # block text per message: long answers read better (and stay clear of Slack's size caps) split

Block = dict[str, Any]


def escape(text: str) -> str:
    """Untrusted text shown as is: `<`, `>` and `&` would otherwise become links, mentions or @channel."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split_text(text: str, limit: int = SECTION_CHARS) -> list[str]:
    """Pieces of at most `limit` characters, cut at line breaks when there are any, else at spaces."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        for part in _hard_split(line, limit):
            candidate = f"{current}\n{part}" if current else part
            if len(candidate) <= limit:
                current = candidate
                continue
            pieces.append(current)
            current = part
    if current or not pieces:
        pieces.append(current)
    return [piece for piece in pieces if piece.strip()] or [""]


def _hard_split(line: str, limit: int) -> list[str]:
    parts: list[str] = []
    while len(line) > limit:
        cut = line.rfind(" ", 0, limit)
        cut = cut if cut > limit // 2 else limit
        parts.append(line[:cut])
        line = line[cut:].lstrip(" ")
    parts.append(line)
    return parts


def sections(text: str) -> list[Block]:
    """One or more mrkdwn section blocks holding `text` whole."""
    return [{"type": "section", "text": {"type": "mrkdwn", "text": piece}} for piece in split_text(text) if piece]


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, HEADER_CHARS) or "holmes",
                                       "emoji": True}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, CONTEXT_CHARS)}]}


def messages(blocks: list[Block], fallback: str, reserved: int = 0) -> list[dict[str, Any]]:
    """Blocks spread over as many messages as needed; `reserved` blocks are kept free in the last one."""
    chunks: list[list[Block]] = [[]]
    size = 0
    for block in blocks:
        length = _text_length(block)
        if chunks[-1] and (len(chunks[-1]) >= BLOCKS_PER_MESSAGE or size + length > MESSAGE_CHARS):
            chunks.append([])
            size = 0
        chunks[-1].append(block)
        size += length
    if reserved and len(chunks[-1]) + reserved > BLOCKS_PER_MESSAGE:
        chunks.append([])
    total = len(chunks)
    out = []
    for number, chunk in enumerate(chunks, start=1):
        text = fallback if number == 1 else f"{fallback} (continued, {number}/{total})"
        out.append({"text": clip(text, FALLBACK_CHARS), "blocks": chunk})
    return out


def _text_length(block: Block) -> int:
    text = len((block.get("text") or {}).get("text", ""))
    return text + sum(len(str(element.get("text", ""))) for element in block.get("elements", []))
