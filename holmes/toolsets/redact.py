"""Sensitivity marked at the source: literal env values whose names look like credentials never leave a tool."""

from __future__ import annotations

import re
from typing import Any

HIDDEN = "<hidden by holmes>"
_SENSITIVE_NAME = re.compile(r"token|secret|passw|api[_-]?key|credential|private[_-]?key|access[_-]?key|auth",
                             re.IGNORECASE)


def sensitive(name: str) -> bool:
    """Whether an env var name suggests a credential."""
    return bool(_SENSITIVE_NAME.search(name or ""))


def redact(obj: Any) -> Any:
    """A copy of an API object with credential-like literal env values replaced (any depth: pods, templates, CRs)."""
    if isinstance(obj, list):
        return [redact(item) for item in obj]
    if not isinstance(obj, dict):
        return obj
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key == "env" and isinstance(value, list):
            out[key] = [_redact_var(var) for var in value]
        else:
            out[key] = redact(value)
    return out


def _redact_var(var: Any) -> Any:
    if isinstance(var, dict) and "value" in var and sensitive(str(var.get("name", ""))):
        return {**var, "value": HIDDEN}
    return redact(var)
