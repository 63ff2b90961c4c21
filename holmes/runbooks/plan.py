"""Run the selected runbooks' steps in waves: a step waits for the values it names, identical calls run once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from holmes.domain import ToolCall, ToolResult
from holmes.runbooks.checks import capture_text
from holmes.runbooks.matching import RunbookMatch
from holmes.runbooks.schema import Runbook, Step
from holmes.runbooks.select import select
from holmes.runbooks.templates import MissingValue, jmespath_escape, render, render_params
from holmes.toolsets.base import ToolRegistry, new_call_id

CallKey = tuple[str, str]
MAX_WAVES = 4


def call_key(tool: str, params: dict[str, Any]) -> CallKey:
    return tool, json.dumps(params, sort_keys=True, default=str)


@dataclass
class RunbookState:
    """One runbook's progress: its values so far and which call answers each of its steps."""

    runbook: Runbook
    values: dict[str, str]
    step_calls: dict[str, CallKey | None] = field(default_factory=dict)  # None: skipped for good
    settled_values: set[str] = field(default_factory=set)


@dataclass
class Plan:
    """All runbooks' steps and the calls made for them."""

    states: list[RunbookState]
    results: dict[CallKey, ToolResult]
    optional: set[CallKey] = field(default_factory=set)
    required: set[CallKey] = field(default_factory=set)
    missing_tools: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)  # tool -> [(runbook, optional)]
    skipped: list[str] = field(default_factory=list)
    waves: int = 0

    def step_results(self, state: RunbookState) -> dict[str, ToolResult | None]:
        return {step.id: self.results.get(key) if (key := state.step_calls.get(step.id)) else None
                for step in state.runbook.steps}


def run_plan(matches: list[RunbookMatch], values: dict[str, str], registry: ToolRegistry, ctx: Any,
             known: dict[CallKey, ToolResult]) -> Plan:
    """Make every step's call, wave by wave, concurrently within a wave."""
    plan = Plan([RunbookState(m.runbook, dict(values)) for m in matches], dict(known))
    for _ in range(MAX_WAVES):
        calls = _next_calls(plan, registry)
        if not calls:
            break
        plan.waves += 1
        for result in registry.run_many(ctx, calls):
            plan.results[call_key(result.tool, result.params)] = result
    for state in plan.states:
        _settle_values(state, plan)
        for step in state.runbook.steps:
            if step.id not in state.step_calls:
                state.step_calls[step.id] = None
                plan.skipped.append(f"{state.runbook.id}/{step.id}: its values were never found")
    plan.optional -= plan.required
    return plan


def _next_calls(plan: Plan, registry: ToolRegistry) -> list[ToolCall]:
    """The calls of the next wave: repeat until nothing more can be placed without new results."""
    calls: list[ToolCall] = []
    planned = set(plan.results)
    changed = True
    while changed:
        changed = False
        for state in plan.states:
            before = (len(state.step_calls), len(state.settled_values))
            _settle_values(state, plan)
            for step in state.runbook.steps:
                if step.id in state.step_calls:
                    continue
                key = _place(step, state, plan, registry)
                if key is not None and key not in planned:
                    planned.add(key)
                    calls.append(ToolCall(id=new_call_id(), tool=key[0], params=json.loads(key[1])))
            changed = changed or before != (len(state.step_calls), len(state.settled_values))
    return calls


def _place(step: Step, state: RunbookState, plan: Plan, registry: ToolRegistry) -> CallKey | None:
    """The call for a step once its values are known; None while waiting or when it cannot run."""
    try:
        params = render_params(step.params, state.values)
    except MissingValue as missing:
        name = missing.args[0]
        if _may_still_come(name, state):
            return None
        state.step_calls[step.id] = None
        plan.skipped.append(f"{state.runbook.id}/{step.id}: no value for {{{name}}}")
        return None
    if registry.get(step.tool) is None:
        state.step_calls[step.id] = None
        plan.missing_tools.setdefault(step.tool, []).append((state.runbook.id, step.optional))
        return None
    key = call_key(step.tool, params)
    state.step_calls[step.id] = key
    (plan.optional if step.optional else plan.required).add(key)
    return key


def _may_still_come(name: str, state: RunbookState) -> bool:
    return any(v.name == name for v in state.runbook.values) and name not in state.settled_values


def _settle_values(state: RunbookState, plan: Plan) -> None:
    """Read each value whose step has answered (or can no longer answer)."""
    progress = True
    while progress:
        progress = False
        for value in state.runbook.values:
            if value.name in state.settled_values or value.step not in state.step_calls:
                continue
            key = state.step_calls[value.step]
            result = plan.results.get(key) if key else None
            if key is not None and result is None:
                continue  # the call is still to be made
            try:
                expression = render(value.select, state.values, jmespath_escape)
            except MissingValue as missing:
                if _may_still_come(missing.args[0], state):
                    continue
                expression = None
            state.settled_values.add(value.name)
            progress = True
            found = select(expression, result.data) if expression and result and result.status != "error" else None
            if isinstance(found, list):
                found = found[0] if found else None
            if found not in (None, "", {}):
                state.values[value.name] = capture_text(found)
