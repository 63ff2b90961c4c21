"""YAML with line numbers: map a path of keys/indexes (a pydantic error location) to its line in the file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

Path = tuple[Any, ...]


def _loader() -> type[yaml.SafeLoader]:
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # type: ignore[no-any-return]


def load(text: str) -> Any:
    return yaml.load(text, Loader=_loader())  # a SafeLoader: plain data only


def line_map(text: str) -> dict[Path, int]:
    """Line (1-based) of every mapping key and sequence item, by path."""
    try:
        root = yaml.compose(text, Loader=_loader())
    except yaml.YAMLError:
        return {}
    lines: dict[Path, int] = {}
    if root is not None:
        lines[()] = root.start_mark.line + 1
        _walk(root, (), lines)
    return lines


def _walk(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*path, key_node.value)
            lines[key] = key_node.start_mark.line + 1
            _walk(value_node, key, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key = (*path, index)
            lines[key] = item.start_mark.line + 1
            _walk(item, key, lines)


def line_of(lines: dict[Path, int], path: Sequence[Any]) -> int:
    """The line of the longest known prefix of path (the field itself, or the object that lacks it)."""
    key = tuple(path)
    while key and key not in lines:
        key = key[:-1]
    return lines.get(key, 1)


def yaml_error_line(exc: yaml.YAMLError) -> int | None:
    mark = getattr(exc, "problem_mark", None)
    return mark.line + 1 if mark is not None else None
