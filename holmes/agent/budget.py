"""The limits of one investigation (steps, tokens, wall time, cost) and the usage counted against them."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from holmes.agent.pricing import PriceTable
from holmes.config import AgentSettings
from holmes.domain import Usage


@dataclass
class Budget:
    """Counts usage and says which limit, if any, forbids the next model call."""

    limits: AgentSettings
    prices: PriceTable = field(default_factory=PriceTable)
    max_output_tokens: int = 1024
    clock: Callable[[], float] = time.monotonic
    steps: int = 0
    tool_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    _started: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self._started = self.clock()

    @property
    def cost(self) -> float:
        return self.prices.cost(self.input_tokens, self.output_tokens)

    def elapsed(self) -> float:
        return self.clock() - self._started

    def remaining_wall(self) -> float:
        return max(self.limits.max_wall_s - self.elapsed(), 0.0)

    def record_model_call(self, input_tokens: int, output_tokens: int) -> None:
        self.steps += 1
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens

    def record_tool_calls(self, count: int) -> None:
        self.tool_calls += count

    def steps_left(self) -> int:
        return max(self.limits.max_steps - self.steps, 0)

    def refusal(self, request_tokens: int) -> str | None:
        """Why a model call with `request_tokens` of input may not be made now; None when it may."""
        if self.steps >= self.limits.max_steps:
            return f"step limit reached ({self.limits.max_steps} model calls)"
        if self.elapsed() >= self.limits.max_wall_s:
            return f"wall-time limit reached ({self.limits.max_wall_s:g}s)"
        projected = self.input_tokens + self.output_tokens + request_tokens + self.max_output_tokens
        if projected > self.limits.max_total_tokens:
            return (f"token limit reached ({self.input_tokens + self.output_tokens} used, the next call needs up to "
                    f"{request_tokens + self.max_output_tokens} of {self.limits.max_total_tokens})")
        next_cost = self.prices.cost(request_tokens, self.max_output_tokens)
        if self.cost + next_cost > self.limits.max_cost:
            return f"cost limit reached ({self.cost:.4f} spent, the next call may cost {next_cost:.4f}, limit " \
                   f"{self.limits.max_cost:g})"
        return None

    def usage(self) -> Usage:
        return Usage(steps=self.steps, tool_calls=self.tool_calls, input_tokens=self.input_tokens,
                     output_tokens=self.output_tokens, cost=round(self.cost, 6), wall_s=round(self.elapsed(), 3))
