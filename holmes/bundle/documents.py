"""Read YAML files one document at a time, turning every parse problem into one line naming file and line."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from holmes.bundle import fastyaml
from holmes.errors import UserError

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML that keeps timestamps as the strings the API serves instead of datetime objects."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_documents(path: Path, shown: str) -> Iterator[tuple[int, Any]]:
    """(1-based document number, document) for each non-empty document; `shown` names the file in errors."""
    try:
        yield from _documents(path)
    except yaml.reader.ReaderError as exc:
        raise UserError(f"{shown}: {_unreadable(path, exc)}") from None
    except yaml.MarkedYAMLError as exc:
        raise UserError(f"{shown}:{_line(exc)}: malformed YAML: {_problem(exc)}") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{shown}: malformed YAML: {str(exc).splitlines()[0]}") from None


def _documents(path: Path) -> Iterator[tuple[int, Any]]:
    """The fast event reader when libyaml is there; the full safe loader for what it leaves (or from the start)."""
    done = 0
    if fastyaml.AVAILABLE:
        try:
            with path.open("rb") as stream:
                for number, document in enumerate(fastyaml.load_all(stream), start=1):
                    done = number
                    if document is not None:
                        yield number, document
            return
        except fastyaml.Unsupported:
            pass  # documents 1..done were yielded already; the full loader goes on from the next one
    with path.open("rb") as stream:
        for number, document in enumerate(yaml.load_all(stream, Loader=_Loader), start=1):
            if number > done and document is not None:
                yield number, document


def read_document(path: Path, shown: str) -> Any:
    """The single document of a file such as incident.yaml (None when empty)."""
    documents = list(read_documents(path, shown))
    if len(documents) > 1:
        raise UserError(f"{shown}: expected one YAML document, found {len(documents)}")
    return documents[0][1] if documents else None


def _unreadable(path: Path, exc: yaml.reader.ReaderError) -> str:
    """Why YAML cannot read a file: bytes that are not UTF-8, or a character YAML forbids such as NUL."""
    bad = _first_bad_byte(path)
    if bad:
        return f"not UTF-8 text ({bad})"
    character = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
    if character == 0:
        return f"contains a NUL byte (at offset {_first_nul(path)}); YAML text cannot hold one"
    return f"contains control character 0x{character:02x} (character {exc.position}); YAML text cannot hold one"


def _first_nul(path: Path) -> int:
    offset = 0
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            if (found := chunk.find(b"\0")) >= 0:
                return offset + found
            offset += len(chunk)
    return -1


def _first_bad_byte(path: Path) -> str:
    """Where a file stops being UTF-8, read in chunks so a large file is never held whole."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return f"byte 0x{chunk[exc.start]:02x} at offset {offset + exc.start}"
            offset += len(chunk)
    return ""


def _line(exc: yaml.MarkedYAMLError) -> int:
    mark = exc.problem_mark or exc.context_mark
    return mark.line + 1 if mark is not None else 0


def _problem(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or "cannot parse"
    if exc.context and exc.context_mark is not None and exc.context_mark is not exc.problem_mark:
        return f"{problem} ({exc.context} started at line {exc.context_mark.line + 1})"
    return f"{problem} ({exc.context})" if exc.context else problem
