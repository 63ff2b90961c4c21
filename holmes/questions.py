"""Reading a Kubernetes subject out of a question in plain words, shared by the CLI and the Slack app."""

from __future__ import annotations

import re

from holmes.domain import Subject

_NAMED = re.compile(r"\b(?:(pod|node|deployment|statefulset|daemonset|job|inferenceservice|isvc|"
                    r"resourceclaim|claim)\s+)?([a-z0-9][a-z0-9.-]*/[a-z0-9][a-z0-9.-]*)\b")
_ALIASES = {"isvc": "inferenceservice", "claim": "resourceclaim"}


def subject_in_question(question: str) -> Subject | None:
    """Find `pod ns/name` (or `ns/name`) named in a question, so checks know what to read."""
    match = _NAMED.search(question)
    if not match:
        return None
    kind = _ALIASES.get(match.group(1) or "pod", match.group(1) or "pod")
    try:
        return Subject.parse(f"{kind} {match.group(2)}")
    except ValueError:
        return None
