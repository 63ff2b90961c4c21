"""The toolset YAML schema, and reading it with errors that name the file, the line and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from holmes.errors import UserError

NAME_PATTERN = r"^[a-z][a-z0-9_-]*$"
TOOL_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"


class ToolSpec(BaseModel):
    """One tool as a model sees it: the description says when to use it, what it returns, how to narrow."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=20)
    enabled: bool = True


class _FromFile(BaseModel):
    """A model read from a file, which remembers that file for error messages."""

    _source: str = PrivateAttr(default="")

    @property
    def source(self) -> str:
        return self._source


class ToolsetSpec(_FromFile):
    """A built-in toolset file (`toolsets/<name>.yaml`)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    description: str = Field(min_length=1)
    requires: Literal["kubernetes", "prometheus", "none"]
    api_groups: list[str] = Field(default_factory=list)  # API groups the Kubernetes API must serve
    enabled: bool = True
    tools: dict[str, ToolSpec] = Field(min_length=1)


class ToolOverlay(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, min_length=20)
    enabled: bool | None = None


class ToolsetOverlay(_FromFile):
    """A user's file in `toolset_dirs`: it may only turn toolsets or tools off/on and re-describe them."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    description: str | None = None
    enabled: bool | None = None
    tools: dict[str, ToolOverlay] = Field(default_factory=dict)


M = TypeVar("M", bound=BaseModel)


def read_yaml_model(path: Path, model: type[M]) -> M:
    """Parse and validate one YAML file; any problem becomes a UserError naming file:line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read toolset file: {exc}") from None
    try:
        document = yaml.safe_load(text)
        lines = _line_index(yaml.compose(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise UserError(f"{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(document, dict):
        kind = "empty" if document is None else type(document).__name__
        raise UserError(f"{path}: a toolset file must be a mapping (name, description, tools...), not {kind}")
    try:
        parsed = model.model_validate(document)
    except ValidationError as exc:
        raise UserError(_describe(path, exc, lines)) from None
    if isinstance(parsed, _FromFile):
        parsed._source = str(path)
    return parsed


def _describe(path: Path, exc: ValidationError, lines: dict[tuple[str, ...], int]) -> str:
    error = exc.errors()[0]
    loc = tuple(str(part) for part in error["loc"])
    line = next((lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines), 1)
    field = ".".join(loc) or "(top level)"
    message = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{path}:{line}: field '{field}': {message}{more}"


def _line_index(node: yaml.Node | None, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    """Map each key path in a YAML document to its 1-based line, so errors can point at it."""
    index: dict[tuple[str, ...], int] = {}
    if node is None:
        return index
    index[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            index.update(_line_index(value, child))
            index[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            index.update(_line_index(item, (*path, str(position))))
    return index


def load_dir(directory: Path, model: type[M]) -> list[M]:
    """Every `*.yaml`/`*.yml` file of a directory, sorted by name."""
    if not directory.is_dir():
        what = "is a file; toolset_dirs lists directories" if directory.exists() else "toolset directory not found"
        raise UserError(f"{directory}: {what}")
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    return [read_yaml_model(file, model) for file in files]
