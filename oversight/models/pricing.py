"""USD per million tokens for models whose list price we know; others get tokens only."""

from __future__ import annotations

from oversight.models.spec import ModelSpec
from oversight.models.types import Usage

# (input, output) USD per 1M tokens, list prices. Longest matching prefix wins.
PRICES: dict[str, tuple[float, float]] = {
    "anthropic:claude-opus-4": (15.0, 75.0),
    "anthropic:claude-sonnet-4": (3.0, 15.0),
    "anthropic:claude-3-7-sonnet": (3.0, 15.0),
    "anthropic:claude-3-5-sonnet": (3.0, 15.0),
    "anthropic:claude-haiku-4": (1.0, 5.0),
    "anthropic:claude-3-5-haiku": (0.8, 4.0),
    "openai:gpt-4.1-nano": (0.1, 0.4),
    "openai:gpt-4.1-mini": (0.4, 1.6),
    "openai:gpt-4.1": (2.0, 8.0),
    "openai:gpt-4o-mini": (0.15, 0.6),
    "openai:gpt-4o": (2.5, 10.0),
}


def price_for(spec: ModelSpec) -> tuple[float, float] | None:
    """Only the providers' own endpoints are priced: a custom base_url is someone's server."""
    if spec.base_url is not None:
        return None
    key = f"{spec.provider}:{spec.model}"
    matches = [p for p in PRICES if key.startswith(p)]
    return PRICES[max(matches, key=len)] if matches else None


BATCH_DISCOUNT = 0.5
"""Both the Anthropic Message Batches API and the OpenAI Batch API charge half the list price."""

CHARS_PER_TOKEN = 4.0
"""A rough English average, for estimates made before a call (dry runs, the budget)."""


def with_cost(spec: ModelSpec, usage: Usage, *, batch: bool = False) -> Usage:
    """`usage` with its cost at list price, or at batch price for a call made through a Batch API."""
    price = price_for(spec)
    if price is None:
        return usage.model_copy(update={"cost_usd": None})
    cost = (usage.input_tokens * price[0] + usage.output_tokens * price[1]) / 1e6
    return usage.model_copy(update={"cost_usd": cost * (BATCH_DISCOUNT if batch else 1.0)})


def cost_bound(spec: ModelSpec, prompt_chars: int, max_tokens: int, *, batch: bool = False) -> float:
    """What a call may cost before it is made: its prompt at four characters a token plus its
    whole `max_tokens` of output. 0.0 for unpriced models (self-hosted, local, scripted)."""
    price = price_for(spec)
    if price is None:
        return 0.0
    cost = (prompt_chars / CHARS_PER_TOKEN * price[0] + max_tokens * price[1]) / 1e6
    return cost * (BATCH_DISCOUNT if batch else 1.0)
