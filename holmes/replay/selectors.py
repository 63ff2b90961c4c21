"""Label and field selectors with the API server's grammar and semantics; bad syntax is a 400."""

from __future__ import annotations

import re
from dataclasses import dataclass

from holmes.replay.status import ApiError, bad_request

_KEY = r"(?:[A-Za-z0-9][-A-Za-z0-9_.]*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
_VALUE = r"(?:[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_SET_RE = re.compile(rf"^\s*(?P<key>{_KEY})\s+(?P<op>in|notin)\s*\((?P<values>[^()]*)\)\s*$")
_CMP_RE = re.compile(rf"^\s*(?P<key>{_KEY})\s*(?P<op>==|=|!=|>|<)\s*(?P<value>[^=!<>\s]*)\s*$")
_EXISTS_RE = re.compile(rf"^\s*(?P<neg>!?)\s*(?P<key>{_KEY})\s*$")
_VALUE_RE = re.compile(rf"^{_VALUE}$")


@dataclass(frozen=True)
class LabelRequirement:
    key: str
    op: str  # in, notin, exists, !exists, gt, lt (= and == are `in`, != is `notin`)
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        if self.op == "exists":
            return present
        if self.op == "!exists":
            return not present
        if self.op == "in":
            return present and labels[self.key] in self.values
        if self.op == "notin":
            return not present or labels[self.key] not in self.values
        if not present:
            return False
        try:
            actual, bound = int(labels[self.key]), int(self.values[0])
        except ValueError:
            return False
        return actual > bound if self.op == "gt" else actual < bound


def parse_label_selector(text: str) -> list[LabelRequirement]:
    """`app=vllm,tier!=cache,env in (a,b),gpu,!spot` -> requirements (all must hold)."""
    return [_label_requirement(part, text) for part in _split_outside_parens(text) if part.strip()]


def _label_requirement(part: str, whole: str) -> LabelRequirement:
    if match := _SET_RE.match(part):
        values = tuple(v.strip() for v in match["values"].split(","))
        if not values or any(not _VALUE_RE.match(v) for v in values):
            raise _bad_label(whole, f"invalid values in {part.strip()!r}")
        return LabelRequirement(match["key"], match["op"], values)
    if match := _CMP_RE.match(part):
        value = match["value"]
        op = {"=": "in", "==": "in", "!=": "notin", ">": "gt", "<": "lt"}[match["op"]]
        if op in ("gt", "lt") and not value.lstrip("-").isdigit():
            raise _bad_label(whole, f"{part.strip()!r}: {match['op']} needs an integer")
        if not _VALUE_RE.match(value) and op not in ("gt", "lt"):
            raise _bad_label(whole, f"invalid value {value!r}")
        return LabelRequirement(match["key"], op, (value,))
    if match := _EXISTS_RE.match(part):
        return LabelRequirement(match["key"], "!exists" if match["neg"] else "exists")
    raise _bad_label(whole, f"cannot parse requirement {part.strip()!r}")


def _bad_label(whole: str, why: str) -> ApiError:
    return bad_request(f"unable to parse label selector {whole!r}: {why}")


def _split_outside_parens(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    value: str
    equal: bool  # False for !=

    def matches(self, actual: str) -> bool:
        return (actual == self.value) == self.equal


def parse_field_selector(text: str) -> list[FieldRequirement]:
    """`involvedObject.name=x,type!=Normal` -> requirements; backslash escapes `,` `=` and `\\` in values."""
    requirements = []
    for part in _split_unescaped(text, ","):
        if not part.strip():
            continue
        requirements.append(_field_requirement(part, text))
    return requirements


def _field_requirement(part: str, whole: str) -> FieldRequirement:
    for op, equal in (("!=", False), ("==", True), ("=", True)):
        field, sep, value = _partition_unescaped(part, op)
        if sep:
            if not field.strip():
                raise bad_request(f"invalid field selector {whole!r}: empty field name")
            return FieldRequirement(field.strip(), _unescape(value.strip()), equal)
    raise bad_request(f"invalid field selector {whole!r}: {part.strip()!r} has no operator (=, == or !=)")


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _partition_unescaped(text: str, op: str) -> tuple[str, str, str]:
    index = 0
    while (index := text.find(op, index)) >= 0:
        if index == 0 or text[index - 1] != "\\":
            return text[:index], op, text[index + len(op):]
        index += 1
    return text, "", ""


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)

