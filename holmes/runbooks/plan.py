"""Turn the selected runbooks' steps into tool calls: filled in, deduplicated, and checked against the registry."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from holmes.domain import ToolCall, ToolResult
from holmes.runbooks.matching import RunbookMatch
from holmes.runbooks.templates import MissingValue, render_params
from holmes.toolsets.base import ToolRegistry, new_call_id

CallKey = tuple[str, str]


def call_key(tool: str, params: dict[str, Any]) -> CallKey:
    return tool, json.dumps(params, sort_keys=True, default=str)


@dataclass
class Plan:
    """The calls to make, which call answers which runbook step, and what could not be asked."""

    calls: list[ToolCall] = field(default_factory=list)
    step_calls: dict[tuple[str, str], CallKey | None] = field(default_factory=dict)  # (runbook, step) -> call
    optional: set[CallKey] = field(default_factory=set)
    missing_tools: dict[str, list[str]] = field(default_factory=dict)  # tool -> runbooks that wanted it
    skipped: list[str] = field(default_factory=list)


def plan_steps(matches: list[RunbookMatch], values: dict[str, str], registry: ToolRegistry,
               known: dict[CallKey, ToolResult]) -> Plan:
    """One call per distinct (tool, params); steps whose values are unknown are skipped, not guessed."""
    plan = Plan()
    planned: set[CallKey] = set(known)
    required: set[CallKey] = set()
    for match in matches:
        for step in match.runbook.steps:
            slot = (match.runbook.id, step.id)
            try:
                params = render_params(step.params, values)
            except MissingValue as missing:
                plan.step_calls[slot] = None
                plan.skipped.append(f"{match.runbook.id}/{step.id}: no value for {{{missing.args[0]}}}")
                continue
            if registry.get(step.tool) is None:
                plan.step_calls[slot] = None
                plan.missing_tools.setdefault(step.tool, []).append(match.runbook.id)
                continue
            key = call_key(step.tool, params)
            plan.step_calls[slot] = key
            (plan.optional.add if step.optional else required.add)(key)
            if key not in planned:
                planned.add(key)
                plan.calls.append(ToolCall(id=new_call_id(), tool=step.tool, params=params))
    plan.optional -= required
    return plan
