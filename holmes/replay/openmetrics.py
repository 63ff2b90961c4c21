"""Check a bundle's OpenMetrics file line by line, so a malformed one is reported by file and line.

promtool's backfill parser says what is wrong but not where; this check runs first and names the line.
It accepts what promtool accepts for backfilling: every sample carries a timestamp in seconds, and the
file ends with `# EOF`.
"""

from __future__ import annotations

import re
from pathlib import Path

from holmes.errors import UserError

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
_LABEL_NAME = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\\n]|\\.)*"')
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN"
_LABELS = rf"\{{(?:{_LABEL}(?:,{_LABEL})*)?\}}"
_SAMPLE = re.compile(rf"^(?P<name>{_NAME})(?P<labels>{_LABELS})? (?P<value>{_NUMBER})"
                     rf"(?: (?P<ts>{_NUMBER}))?(?: # {_LABELS} (?:{_NUMBER})(?: {_NUMBER})?)?$")
_TYPES = "counter|gauge|histogram|gaugehistogram|stateset|info|summary|unknown"
_TYPE = re.compile(rf"^# TYPE (?P<name>{_NAME}) (?:{_TYPES})$")
_HELP = re.compile(rf"^# HELP (?P<name>{_NAME})(?: .*)?$")
_UNIT = re.compile(rf"^# UNIT (?P<name>{_NAME}) (?P<unit>[a-zA-Z0-9_:]*)$")

# timestamps are seconds; anything past the year 5138 is almost surely milliseconds
_MAX_SECONDS = 1e11


def _line_problem(line: str) -> str | None:
    """What is wrong with one line that is not `# EOF`, or None."""
    if not line.strip():
        return "blank line (OpenMetrics allows none)"
    if line.startswith("#"):
        if _TYPE.match(line) or _HELP.match(line):
            return None
        unit = _UNIT.match(line)
        if unit:
            return None if unit["name"].endswith(unit["unit"]) else f"unit {unit['unit']!r} is not a suffix of the name"
        return "unknown comment; expected # TYPE, # HELP, # UNIT or # EOF"
    sample = _SAMPLE.match(line)
    if not sample:
        return "not a sample: expected NAME{label=\"value\",...} VALUE TIMESTAMP"
    names = _LABEL_NAME.findall(sample["labels"] or "")
    repeated = sorted({n for n in names if names.count(n) > 1 or n == "__name__"})
    if repeated:
        return f"label {repeated[0]!r} is repeated (or names the metric)"
    if sample["ts"] is None:
        return "sample has no timestamp; bundle metrics need one (unix seconds)"
    if float(sample["ts"]) > _MAX_SECONDS:
        return f"timestamp {sample['ts']} looks like milliseconds; OpenMetrics timestamps are seconds"
    return None


def validate_openmetrics(path: Path) -> int:
    """Raise UserError naming the file and line of the first problem; return the number of samples."""
    samples = 0
    eof_at = 0
    try:
        with path.open(encoding="utf-8") as handle:
            for number, raw in enumerate(handle, start=1):
                line = raw.rstrip("\n")
                if eof_at:
                    raise UserError(f"{path}:{number}: data after '# EOF' (line {eof_at})")
                if line == "# EOF":
                    eof_at = number
                    continue
                problem = _line_problem(line)
                if problem:
                    raise UserError(f"{path}:{number}: {problem}: {line[:120]!r}")
                samples += not line.startswith("#")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    if not eof_at:
        raise UserError(f"{path}: does not end with '# EOF' (OpenMetrics needs it)")
    return samples


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _value(number: float) -> str:
    if number != number:
        return "NaN"
    if number in (float("inf"), float("-inf")):
        return "+Inf" if number > 0 else "-Inf"
    return str(int(number)) if number == int(number) and abs(number) < 1e15 else repr(float(number))


def render_family(name: str, kind: str, samples: list[tuple[str, dict[str, str], list[tuple[float, float]]]],
                  help_text: str = "") -> list[str]:
    """OpenMetrics lines of one metric family: (sample name, labels, [(unix seconds, value)]) per series."""
    lines = [f"# HELP {name} {help_text}"] if help_text else []
    lines.append(f"# TYPE {name} {kind}")
    for sample, labels, points in samples:
        rendered = ",".join(f'{k}="{_label_value(v)}"' for k, v in labels.items())
        head = f"{sample}{{{rendered}}}" if rendered else sample
        lines += [f"{head} {_value(v)} {_value(t)}" for t, v in points]
    return lines


def render_openmetrics(families: list[list[str]]) -> str:
    """A whole OpenMetrics document from rendered families, ending with # EOF."""
    return "\n".join([line for family in families for line in family] + ["# EOF"]) + "\n"
