"""The runbook file format (`runbooks/**/*.yaml`): pydantic models and the JSON Schema editors use."""

from __future__ import annotations

import re
from typing import Any, Literal

from jmespath.exceptions import JMESPathError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from holmes.runbooks.select import compile_selection

STEP_ID = r"^[a-z][a-z0-9_]*$"
# Values a step's parameters may name: the subject and what was read about it before any step ran.
SUBJECT_KEYS = ("kind", "namespace", "name", "pod", "node", "container", "init_container", "claim", "alertname")

Op = Literal["eq", "ne", "gt", "ge", "lt", "le", "contains", "not_contains", "in", "matches",
             "exists", "missing", "empty", "not_empty"]
UNARY_OPS = {"exists", "missing", "empty", "not_empty"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _check_pattern(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    return pattern


def _check_selection(expression: str | None) -> str | None:
    if expression is None:
        return None
    try:
        compile_selection(expression)
    except JMESPathError as exc:
        raise ValueError(f"invalid JMESPath: {str(exc).splitlines()[0]}") from None
    return expression


class AlertMatch(_Strict):
    """An alert the runbook answers: its name, plus labels that must equal (or fully match a regex)."""

    name: str = Field(description="alertname")
    labels: dict[str, str] = Field(default_factory=dict, description="label -> exact value")
    label_patterns: dict[str, str] = Field(default_factory=dict, description="label -> regex (full match)")

    @field_validator("label_patterns")
    @classmethod
    def _patterns(cls, value: dict[str, str]) -> dict[str, str]:
        for pattern in value.values():
            _check_pattern(pattern)
        return value


class Match(_Strict):
    """When the runbook applies. Each list is a set of alternatives; any hit selects the runbook."""

    alerts: list[AlertMatch] = Field(default_factory=list)
    subject_kinds: list[str] = Field(default_factory=list, description="if set, other subject kinds never match")
    pod_phases: list[str] = Field(default_factory=list)
    pod_reasons: list[str] = Field(default_factory=list, description="status.reason or a false condition's reason")
    container_waiting_reasons: list[str] = Field(default_factory=list)
    container_terminated_reasons: list[str] = Field(default_factory=list, description="current or last state")
    event_reasons: list[str] = Field(default_factory=list, description="reasons of the subject's events")
    question_keywords: list[str] = Field(default_factory=list)

    @field_validator("alerts", mode="before")
    @classmethod
    def _alert_names(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": item} if isinstance(item, str) else item for item in value]
        return value


class Step(_Strict):
    """One tool call; string parameters may name subject values as `{namespace}`, `{pod}`, `{node}`..."""

    id: str = Field(pattern=STEP_ID)
    tool: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    optional: bool = Field(default=False, description="a failure of this call is expected and not a gap")
    description: str = ""


class Value(_Strict):
    """A value read from a step's data (e.g. the device plugin pod on a node) that later steps can name."""

    name: str = Field(pattern=STEP_ID)
    step: str
    select: str = Field(description="JMESPath over the step's data; a list gives its first item")

    _select = field_validator("select")(classmethod(lambda cls, v: _check_selection(v)))


class RegexTest(_Strict):
    """True when the pattern matches any selected string; named groups become values for later text."""

    step: str
    pattern: str = Field(description="Python regex; `{key}` inserts a known value, regex-escaped")
    select: str | None = Field(default=None, description="JMESPath over the step's data; default: its lines/text")
    ignore_case: bool = False
    last: bool = Field(default=False, description="match the newest (last) line first, e.g. periodic stats lines")
    cite: bool = Field(default=True, description="cite the matched line as evidence")

    _pattern = field_validator("pattern")(classmethod(lambda cls, v: _check_pattern(v)))
    _select = field_validator("select")(classmethod(lambda cls, v: _check_selection(v)))


class FieldTest(_Strict):
    """Compare a JMESPath selection of a step's data with a value (numbers and quantities compare as numbers)."""

    step: str
    select: str = Field(description="JMESPath over the step's data; `{key}` inserts a known value, quoted")
    op: Op
    value: Any = None
    quantifier: Literal["any", "all"] = Field(default="any", description="for a list: any or every item")
    capture: str | None = Field(default=None, pattern=STEP_ID, description="name for the (first) matching value")
    label: str | None = Field(default=None, description="how evidence names the field")
    cite: bool = True

    _select = field_validator("select")(classmethod(lambda cls, v: _check_selection(v)))

    @model_validator(mode="after")
    def _needs_value(self) -> FieldTest:
        if self.op not in UNARY_OPS and self.value is None:
            raise ValueError(f"op '{self.op}' needs a value")
        if self.op == "matches":
            _check_pattern(str(self.value))
        return self


class StatusTest(_Strict):
    """True when the step's call ended with the given status (ok, no_data, error)."""

    step: str
    status: Literal["ok", "no_data", "error"]


class Condition(_Strict):
    """Exactly one of: all, any, not, regex, field, status."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True,
                              json_schema_extra={"minProperties": 1, "maxProperties": 1})

    all_: list[Condition] | None = Field(default=None, alias="all")
    any_: list[Condition] | None = Field(default=None, alias="any")
    not_: Condition | None = Field(default=None, alias="not")
    regex: RegexTest | None = None
    field: FieldTest | None = None
    status: StatusTest | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        present = [name for name in ("all_", "any_", "not_", "regex", "field", "status")
                   if getattr(self, name) is not None]
        if len(present) != 1:
            raise ValueError("a condition needs exactly one of: all, any, not, regex, field, status")
        return self


class Cite(_Strict):
    """Extra evidence to cite when the check holds: a selection of a step's data, or its first line matching a regex."""

    step: str
    select: str | None = None
    pattern: str | None = Field(default=None, description="cite the first selected line matching this regex, if any")
    last: bool = Field(default=False, description="with pattern: cite the last matching line instead")
    label: str = ""

    _select = field_validator("select")(classmethod(lambda cls, v: _check_selection(v)))
    _pattern = field_validator("pattern")(classmethod(lambda cls, v: v if v is None else _check_pattern(v)))


class Check(_Strict):
    """A declarative test over step results that, when it holds, names a root cause."""

    id: str = Field(pattern=STEP_ID)
    root_cause: str
    confidence: float = Field(ge=0.0, le=1.0)
    summary: str = Field(default="", description="one sentence; `{key}` inserts captured values")
    when: Condition
    evidence: list[Cite] = Field(default_factory=list)
    remediation: list[str] = Field(default_factory=list, description="default: the taxonomy's remediation")
    affected: list[str] = Field(default_factory=list, description="resources, e.g. 'node {node}'")


class Runbook(_Strict):
    """A failure class to investigate: when it applies, what to read, how to decide, what to tell the agent."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True,
                              json_schema_extra={"title": "holmes runbook"})

    id: str = Field(pattern=r"^[a-z][a-z0-9_.-]*$")
    title: str
    description: str = ""
    area: Literal["scheduling", "gpu", "dra", "runtime", "model", "serving", "storage", "quota", "perf",
                  "metrics", "ray", "probe", "general"]
    match: Match = Field(default_factory=Match)
    steps: list[Step] = Field(default_factory=list)
    values: list[Value] = Field(default_factory=list, description="values read from steps, for later steps")
    checks: list[Check] = Field(default_factory=list)
    instructions: str = Field(default="", description="guidance for the agent when this runbook applies")


def runbook_json_schema() -> dict[str, Any]:
    """The JSON Schema published as runbooks/runbook.schema.json."""
    schema = Runbook.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://github.com/holmes/holmes/runbooks/runbook.schema.json"
    return schema
