"""Evaluate a check's condition over step results, three-valued: a test over a failed or skipped step is unknown."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from holmes.domain import Evidence, ToolResult
from holmes.runbooks.schema import Condition, FieldTest, RegexTest, StatusTest
from holmes.runbooks.select import as_lines, compact, select, to_number
from holmes.runbooks.templates import MissingValue, jmespath_escape, render, render_lenient

EXCERPT_CHARS = 320


@dataclass
class Outcome:
    """Whether a condition holds (None: cannot tell), what it cites, what it captured, how many tests held."""

    holds: bool | None
    evidence: list[Evidence] = field(default_factory=list)
    captures: dict[str, str] = field(default_factory=dict)
    tests: int = 0


@dataclass
class Scope:
    """Step results of one runbook (None for a skipped step) and the values known so far."""

    results: dict[str, ToolResult | None]
    values: dict[str, str]


def evaluate(condition: Condition, scope: Scope) -> Outcome:
    """Evaluate one condition; captures of a holding test are visible to the tests after it."""
    if condition.all_ is not None:
        return _all(condition.all_, scope)
    if condition.any_ is not None:
        return _any(condition.any_, scope)
    if condition.not_ is not None:
        inner = evaluate(condition.not_, scope)
        return Outcome(None if inner.holds is None else not inner.holds)
    if condition.regex is not None:
        return _regex(condition.regex, scope)
    if condition.field is not None:
        return _field(condition.field, scope)
    assert condition.status is not None
    return _status(condition.status, scope)


def _all(conditions: list[Condition], scope: Scope) -> Outcome:
    total = Outcome(True)
    local = Scope(scope.results, dict(scope.values))
    for condition in conditions:
        outcome = evaluate(condition, local)
        if outcome.holds is False:
            return Outcome(False)
        if outcome.holds is None:
            total.holds = None
            continue
        local.values.update(outcome.captures)
        total.captures.update(outcome.captures)
        total.evidence.extend(outcome.evidence)
        total.tests += outcome.tests
    return total if total.holds else Outcome(total.holds)


def _any(conditions: list[Condition], scope: Scope) -> Outcome:
    unknown = False
    for condition in conditions:
        outcome = evaluate(condition, scope)
        if outcome.holds:
            return outcome
        unknown = unknown or outcome.holds is None
    return Outcome(None if unknown else False)


def _usable(scope: Scope, step: str) -> ToolResult | None:
    result = scope.results.get(step)
    if result is None or result.status == "error":
        return None
    return result


@lru_cache(maxsize=1024)
def _compile(pattern: str, ignore_case: bool) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error:
        return None


def _regex(test: RegexTest, scope: Scope) -> Outcome:
    result = _usable(scope, test.step)
    if result is None:
        return Outcome(None)
    try:
        pattern = _compile(render(test.pattern, scope.values, re.escape), test.ignore_case)
        expression = render(test.select, scope.values, jmespath_escape) if test.select else None
    except MissingValue:
        return Outcome(None)
    if pattern is None:
        return Outcome(None)
    lines = lines_of(result, expression)
    for line in reversed(lines) if test.last else lines:
        found = pattern.search(line)
        if found:
            captures = {k: v for k, v in found.groupdict().items() if v is not None}
            cited = [Evidence(tool=result.tool, call_id=result.call_id, excerpt=excerpt(line, found))]
            return Outcome(True, cited if test.cite else [], captures, 1)
    return Outcome(False)


def lines_of(result: ToolResult, expression: str | None) -> list[str]:
    """The strings a regex is tried against: a selection, else the log lines, else the text's lines."""
    if expression is not None:
        return as_lines(select(expression, result.data))
    data = result.data
    if isinstance(data, dict) and isinstance(data.get("lines"), list):
        return [str(line) for line in data["lines"]]
    return result.text.splitlines()


def excerpt(line: str, found: re.Match[str]) -> str:
    """The matched line, cut around the match when it is long."""
    offset = len(line) - len(line.lstrip())
    line = line.strip()
    if len(line) <= EXCERPT_CHARS:
        return line
    start = max(0, min(found.start() - offset - 80, len(line) - EXCERPT_CHARS))
    if start:
        space = line.rfind(" ", 0, found.start() - offset)
        start = space + 1 if start <= space else start
    end = start + EXCERPT_CHARS
    return ("…" if start else "") + line[start:end] + ("…" if end < len(line) else "")


def _field(test: FieldTest, scope: Scope) -> Outcome:
    result = _usable(scope, test.step)
    if result is None:
        return Outcome(None)
    try:
        expression = render(test.select, scope.values, jmespath_escape)
        expected = _render_value(test.value, scope.values)
    except MissingValue:
        return Outcome(None)
    selected = select(expression, result.data)
    holds, witness = compare(test.op, selected, expected, test.quantifier)
    if not holds:
        return Outcome(False)
    captures = {test.capture: capture_text(witness)} if test.capture and witness is not None else {}
    cited = []
    if test.cite:
        name = render_lenient(test.label, scope.values) if test.label else expression
        shown = capture_text(selected if test.op in {"exists", "missing", "empty", "not_empty"} else witness)
        cited.append(Evidence(tool=result.tool, call_id=result.call_id, excerpt=f"{name}: {shown}"[:EXCERPT_CHARS]))
    return Outcome(True, cited, captures, 1)


def capture_text(value: Any) -> str:
    """How a captured value reads in remediation text: a list of names as 'a, b'."""
    if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        return ", ".join(dict.fromkeys(str(item) for item in value))
    return compact(value)


def _render_value(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return render(value, values)
    if isinstance(value, list):
        return [_render_value(item, values) for item in value]
    return value


def _status(test: StatusTest, scope: Scope) -> Outcome:
    result = scope.results.get(test.step)
    if result is None:
        return Outcome(None)
    return Outcome(result.status == test.status, tests=1)


def is_empty(value: Any) -> bool:
    return value is None or value == [] or value == {} or value == ""


def compare(op: str, selected: Any, expected: Any, quantifier: str = "any") -> tuple[bool, Any]:
    """Apply op; for a list selection, to any (or every) item. Returns (holds, the item that satisfied it)."""
    if op == "exists":
        return selected is not None, selected
    if op == "missing":
        return selected is None, None
    if op == "empty":
        return is_empty(selected), selected
    if op == "not_empty":
        return not is_empty(selected), selected
    if op in {"contains", "not_contains"} and not isinstance(selected, list):
        return _one(op, selected, expected), selected
    items = selected if isinstance(selected, list) else [selected]
    hits = [item for item in items if _one(op, item, expected)]
    if quantifier == "all":
        return bool(items) and len(hits) == len(items), (hits[0] if hits else None)
    return bool(hits), (hits[0] if hits else None)


def _one(op: str, item: Any, expected: Any) -> bool:
    if item is None:
        return op == "ne"
    if op in {"eq", "ne"}:
        equal = _equal(item, expected)
        return equal if op == "eq" else not equal
    if op in {"gt", "ge", "lt", "le"}:
        left, right = to_number(item), to_number(expected)
        if left is None or right is None:
            return False
        return {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[op]
    if op in {"contains", "not_contains"}:
        found = _contains(item, expected)
        return found if op == "contains" else not found
    if op == "in":
        options = expected if isinstance(expected, list) else [expected]
        return any(_equal(item, option) for option in options)
    if op == "matches":
        pattern = _compile(str(expected), False)
        return bool(pattern and pattern.search(compact(item)))
    return False


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return left == right
    a, b = to_number(left), to_number(right)
    if a is not None and b is not None:
        return a == b
    return compact(left) == compact(right) if not isinstance(left, type(right)) else left == right


def _contains(container: Any, needle: Any) -> bool:
    if isinstance(container, str):
        return str(needle) in container
    if isinstance(container, list):
        return any(_equal(item, needle) for item in container)
    if isinstance(container, dict):
        return str(needle) in container
    return False
