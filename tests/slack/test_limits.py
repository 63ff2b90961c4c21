"""Splitting content within Slack's limits: section text, header text, blocks per message."""

from __future__ import annotations

from holmes.slack.limits import BLOCKS_PER_MESSAGE, SECTION_CHARS, escape, header, messages, sections, split_text


def test_split_text_keeps_every_line_and_cuts_at_line_breaks() -> None:
    text = "\n".join(f"line {number} " + "x" * 90 for number in range(100))
    pieces = split_text(text, 1000)
    assert all(len(piece) <= 1000 for piece in pieces)
    assert "\n".join(pieces) == text


def test_a_single_line_longer_than_the_limit_is_cut_at_spaces() -> None:
    text = " ".join(["word"] * 2000)
    pieces = split_text(text, SECTION_CHARS)
    assert len(pieces) > 1 and all(len(piece) <= SECTION_CHARS for piece in pieces)
    assert " ".join(pieces).split() == text.split()


def test_sections_and_headers_fit() -> None:
    assert all(len(block["text"]["text"]) <= SECTION_CHARS for block in sections("y" * 10_000))
    assert len(header("h" * 400)["text"]["text"]) == 150


def test_messages_hold_at_most_fifty_blocks_and_keep_room_for_the_buttons() -> None:
    blocks = [{"type": "divider"}] * (BLOCKS_PER_MESSAGE * 2)
    out = messages(blocks, "fallback", reserved=1)
    assert [len(message["blocks"]) for message in out] == [50, 50, 0]
    assert out[0]["text"] == "fallback" and out[2]["text"] == "fallback (continued, 3/3)"


def test_escape_neutralises_mentions_and_links() -> None:
    assert escape("<!channel> & <https://x|y>") == "&lt;!channel&gt; &amp; &lt;https://x|y&gt;"
