"""What model calls cost, from the configurable price table in the LLM settings."""

from __future__ import annotations

from dataclasses import dataclass

from holmes.config import LLMSettings


@dataclass(frozen=True)
class PriceTable:
    """Prices per million tokens; zero for a self-hosted model."""

    input_per_mtok: float = 0.0
    output_per_mtok: float = 0.0

    @classmethod
    def from_settings(cls, llm: LLMSettings) -> PriceTable:
        return cls(llm.price_per_mtok_input, llm.price_per_mtok_output)

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1_000_000
