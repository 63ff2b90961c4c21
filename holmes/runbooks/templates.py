"""Plain `{key}` substitution of known values into runbook text. Nothing is evaluated."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class MissingValue(KeyError):
    """A template names a value this investigation does not have (e.g. `{node}` for an unscheduled pod)."""


def keys_in(template: str) -> set[str]:
    return set(PLACEHOLDER.findall(template))


def render(template: str, values: Mapping[str, str], escape: Callable[[str], str] | None = None) -> str:
    """Replace each `{key}` by its value (escaped for the target language); a missing key raises MissingValue."""

    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise MissingValue(key)
        text = str(values[key])
        return escape(text) if escape else text

    return PLACEHOLDER.sub(one, template)


def render_lenient(template: str, values: Mapping[str, str]) -> str:
    """Like render, but a missing key stays visible as `{key}` (for human text such as remediation)."""
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), template)


def render_params(params: Any, values: Mapping[str, str]) -> Any:
    """Render every string inside a step's parameters (nested lists and mappings too)."""
    if isinstance(params, str):
        return render(params, values)
    if isinstance(params, list):
        return [render_params(item, values) for item in params]
    if isinstance(params, dict):
        return {key: render_params(item, values) for key, item in params.items()}
    return params


def param_keys(params: Any) -> set[str]:
    if isinstance(params, str):
        return keys_in(params)
    if isinstance(params, list):
        return set().union(*(param_keys(item) for item in params)) if params else set()
    if isinstance(params, dict):
        return set().union(*(param_keys(item) for item in params.values())) if params else set()
    return set()


def jmespath_escape(text: str) -> str:
    """Make a value safe inside a JMESPath raw string ('...') or quoted identifier ("...")."""
    return text.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"')
