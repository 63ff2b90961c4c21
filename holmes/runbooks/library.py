"""Load and validate runbook files (built-in and user directories); errors read `file:line: field: problem`."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from holmes.errors import UserError
from holmes.runbooks import yaml_lines
from holmes.runbooks.paths import BUILTIN_DIR, TAXONOMY_FILE
from holmes.runbooks.schema import SUBJECT_KEYS, Check, Condition, Runbook
from holmes.runbooks.taxonomy import UNKNOWN, Taxonomy, load_taxonomy
from holmes.runbooks.templates import keys_in, param_keys

NOT_RUNBOOKS = {TAXONOMY_FILE.name}
_NAMED_GROUP = re.compile(r"\(\?P<([A-Za-z_][A-Za-z0-9_]*)>")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a runbook file, located precisely."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field or '(file)'}: {self.message}"


@dataclass
class Library:
    """The runbooks an investigation may use, by id, with the file each came from."""

    runbooks: list[Runbook] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)

    def get(self, runbook_id: str) -> Runbook | None:
        return next((rb for rb in self.runbooks if rb.id == runbook_id), None)

    def __iter__(self) -> Iterator[Runbook]:
        return iter(self.runbooks)

    def __len__(self) -> int:
        return len(self.runbooks)


def runbook_files(paths: Iterable[str | Path]) -> list[Path]:
    """YAML files under the given directories (recursively) or the files themselves."""
    files: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            found = sorted(p for p in entry.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())
            files.extend(p for p in found if p.name not in NOT_RUNBOOKS)
        elif entry.is_file():
            files.append(entry)
        else:
            raise UserError(f"{entry}: no such runbook file or directory")
    return files


def check_files(files: Sequence[Path], taxonomy: Taxonomy | None = None, known_tools: set[str] | None = None,
                tool_params: Mapping[str, Collection[str]] | None = None,
                taken: Mapping[str, str] | None = None) -> tuple[Library, list[Problem]]:
    """Parse and validate every file; return the valid runbooks and every problem found.

    `tool_params`: each known tool's parameter names (steps naming others are problems); `taken`: runbook ids
    already defined elsewhere (the built-in library when user files are checked alone), by their file.
    """
    taxonomy = taxonomy or load_taxonomy()
    library = Library()
    problems: list[Problem] = []
    checked = {path.resolve() for path in files}
    elsewhere = {rb_id: origin for rb_id, origin in (taken or {}).items() if Path(origin).resolve() not in checked}
    for path in files:
        runbook, found = _parse_file(str(path), *_stamp(path))
        problems.extend(found)
        if runbook is None:
            continue
        semantic = _semantic_problems(runbook, taxonomy, known_tools) + _param_problems(runbook, tool_params)
        origin = library.origins.get(runbook.id) or elsewhere.get(runbook.id)
        if origin is not None:
            semantic.append((("id",), f"runbook id '{runbook.id}' is also defined in {origin}"))
        if semantic:
            lines = yaml_lines.line_map(path.read_text(encoding="utf-8"))
            problems.extend(Problem(str(path), yaml_lines.line_of(lines, loc), _dotted(loc), message)
                            for loc, message in semantic)
            continue
        library.runbooks.append(runbook)
        library.origins[runbook.id] = str(path)
    return library, problems


def load_library(dirs: Iterable[str | Path] = (), builtin: bool = True, known_tools: set[str] | None = None) -> Library:
    """The built-in library plus user directories; any invalid runbook is a UserError listing the problems."""
    paths = ([BUILTIN_DIR] if builtin else []) + [Path(d) for d in dirs]
    library, problems = check_files(runbook_files(paths), known_tools=known_tools)
    if problems:
        shown = "\n  ".join(str(p) for p in problems[:10])
        more = f"\n  (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise UserError(f"invalid runbooks:\n  {shown}{more}")
    return library


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return 0, 0
    return stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=512)
def _parse_file(path: str, mtime_ns: int, size: int) -> tuple[Runbook | None, tuple[Problem, ...]]:
    """Parse one file (cached while it is unchanged)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, (Problem(path, 1, "", f"cannot read: {exc}"),)
    try:
        raw = yaml_lines.load(text)
    except yaml.YAMLError as exc:
        line = yaml_lines.yaml_error_line(exc) or 1
        return None, (Problem(path, line, "", f"invalid YAML: {getattr(exc, 'problem', None) or exc}"),)
    if not isinstance(raw, dict):
        return None, (Problem(path, 1, "", "a runbook file must be a mapping with id, title, area, steps, checks"),)
    try:
        return Runbook.model_validate(raw), ()
    except ValidationError as exc:
        lines = yaml_lines.line_map(text)
        return None, tuple(_problem(path, lines, error) for error in exc.errors())


def _problem(path: str, lines: dict[Any, int], error: Any) -> Problem:
    loc = tuple(error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = f"unknown field '{loc[-1]}'"
    elif error["type"] == "missing":
        message = "required field is missing"
    return Problem(path, yaml_lines.line_of(lines, loc), _dotted(loc), message)


def _dotted(loc: Sequence[Any]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


Loc = tuple[Any, ...]


def _semantic_problems(runbook: Runbook, taxonomy: Taxonomy, known_tools: set[str] | None) -> list[tuple[Loc, str]]:
    """What pydantic cannot see: step references, template keys, taxonomy ids, duplicate ids, tool names."""
    problems: list[tuple[Loc, str]] = []
    step_ids = [step.id for step in runbook.steps]
    value_names = [value.name for value in runbook.values]
    usable = set(SUBJECT_KEYS) | set(value_names)
    for index, step in enumerate(runbook.steps):
        if step_ids.index(step.id) != index:
            problems.append((("steps", index, "id"), f"step id '{step.id}' is used twice"))
        if known_tools is not None and step.tool not in known_tools:
            problems.append((("steps", index, "tool"), f"unknown tool '{step.tool}'"))
        for key in sorted(param_keys(step.params) - usable):
            problems.append((("steps", index, "params"),
                             f"unknown value '{{{key}}}'; steps may use: {', '.join(sorted(usable))}"))
    for index, value in enumerate(runbook.values):
        if value.step not in step_ids:
            problems.append((("values", index, "step"), f"no step '{value.step}' in this runbook"))
        if value.name in SUBJECT_KEYS or value_names.index(value.name) != index:
            problems.append((("values", index, "name"), f"value '{value.name}' is already defined"))
        for key in sorted(keys_in(value.select) - usable):
            problems.append((("values", index, "select"), f"unknown value '{{{key}}}'"))
    check_ids = [check.id for check in runbook.checks]
    for index, check in enumerate(runbook.checks):
        where: Loc = ("checks", index)
        if check_ids.index(check.id) != index:
            problems.append(((*where, "id"), f"check id '{check.id}' is used twice"))
        if check.root_cause not in taxonomy or check.root_cause == UNKNOWN:
            problems.append(((*where, "root_cause"), f"'{check.root_cause}' is not a root-cause id of the taxonomy"))
        problems.extend(_check_problems(check, where, set(step_ids), usable))
    return problems


def _param_problems(runbook: Runbook, tool_params: Mapping[str, Collection[str]] | None) -> list[tuple[Loc, str]]:
    """Step params the tool does not take: the call would fail at run time."""
    problems: list[tuple[Loc, str]] = []
    for index, step in enumerate(runbook.steps):
        known = (tool_params or {}).get(step.tool)
        if known is None:
            continue
        for name in sorted(set(step.params) - set(known)):
            problems.append((("steps", index, "params", name), f"unknown parameter of tool {step.tool} "
                                                               f"(known: {', '.join(sorted(known)) or 'none'})"))
    return problems


def _check_problems(check: Check, where: Loc, steps: set[str], usable: set[str]) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    known = set(usable)
    for loc, test in _tests(check.when, (*where, "when")):
        if test.step not in steps:
            problems.append(((*loc, "step"), f"no step '{test.step}' in this runbook"))
        for text_field in ("pattern", "select", "value"):
            text = getattr(test, text_field, None)
            if isinstance(text, str):
                problems.extend(((*loc, text_field), f"unknown value '{{{key}}}'")
                                for key in sorted(keys_in(text) - known))
        known |= _captures(test)
    for index, cite in enumerate(check.evidence):
        if cite.step not in steps:
            problems.append(((*where, "evidence", index, "step"), f"no step '{cite.step}' in this runbook"))
    for name in ("summary", "remediation", "affected", "evidence"):
        value = getattr(check, name)
        texts = [value] if isinstance(value, str) else [v if isinstance(v, str) else v.label for v in value]
        for index, text in enumerate(texts):
            loc = (*where, name) if isinstance(value, str) else (*where, name, index)
            problems.extend((loc, f"unknown value '{{{key}}}'; known here: {', '.join(sorted(known))}")
                            for key in sorted(keys_in(text) - known))
    return problems


def _tests(condition: Condition, loc: Loc) -> Iterator[tuple[Loc, Any]]:
    """Every leaf test with its location, in evaluation order."""
    for name, children in (("all", condition.all_), ("any", condition.any_)):
        for index, child in enumerate(children or []):
            yield from _tests(child, (*loc, name, index))
    if condition.not_ is not None:
        yield from _tests(condition.not_, (*loc, "not"))
    for name in ("regex", "field", "status"):
        test = getattr(condition, name)
        if test is not None:
            yield (*loc, name), test


def _captures(test: Any) -> set[str]:
    if hasattr(test, "pattern"):
        return set(_NAMED_GROUP.findall(test.pattern))
    return {test.capture} if getattr(test, "capture", None) else set()
