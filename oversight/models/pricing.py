"""What calls cost, as the provider bills them: prices from `genai-prices`, or the experiment's own.

`genai-prices` (pydantic's maintained price data, updated with `pip install -U genai-prices`)
knows list, cache-read, cache-write and batch prices per model and the long-prompt tiers; it is
asked once per call with that call's tokens, so a tier applies to the call that crosses it.
An experiment may price a model itself (`prices:`), for private or self-hosted models or to
pin a price. Anything else, and every custom base URL, stays unpriced: we never guess.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from oversight.models.spec import ModelSpec
from oversight.models.types import Usage

PRICED_PROVIDERS = ("anthropic", "openai")
"""Providers whose own APIs genai-prices is asked about."""

BATCH_DISCOUNT = 0.5
"""Both Batch APIs charge half the list price; used where the price data lists no batch price."""

CHARS_PER_TOKEN = 4.0
"""A rough English average, for estimates made before a call (dry runs, the budget)."""


class PriceOverride(BaseModel):
    """One model's price in USD per million tokens, from an experiment's `prices:`."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0)
    """Plain (uncached) prompt tokens."""
    output: float = Field(ge=0)
    """Generated tokens."""
    cache_read: float | None = Field(default=None, ge=0)
    """Prompt tokens served from the prompt cache; unset bills them as plain input."""
    cache_write: float | None = Field(default=None, ge=0)
    """Prompt tokens written to the prompt cache; unset bills them as plain input."""
    batch_discount: float = Field(default=BATCH_DISCOUNT, gt=0, le=1)
    """Fraction of these prices a Batch API call pays."""

    def cost(self, usage: Usage, batch: bool) -> float:
        read = self.input if self.cache_read is None else self.cache_read
        write = self.input if self.cache_write is None else self.cache_write
        usd = (usage.plain_input_tokens * self.input + usage.cache_read_tokens * read
               + usage.cache_write_tokens * write + usage.output_tokens * self.output) / 1e6
        return usd * (self.batch_discount if batch else 1.0)


class PriceBook:
    """Prices for one run: the experiment's overrides first, then genai-prices."""

    def __init__(self, overrides: dict[str, PriceOverride] | None = None) -> None:
        """`overrides` keys are `provider:model` (any base URL) or a full spec in its `cache_id`
        form (the experiment's `prices:` keys are stored so)."""
        self.overrides = dict(overrides or {})

    def override_for(self, spec: ModelSpec) -> PriceOverride | None:
        return self.overrides.get(spec.cache_id) or self.overrides.get(f"{spec.provider}:{spec.model}")

    def known(self, spec: ModelSpec) -> bool:
        return self.override_for(spec) is not None or _listed(spec) is not None

    def cost(self, spec: ModelSpec, usage: Usage, *, batch: bool = False) -> tuple[float, float] | None:
        """(billed USD, USD caching saved against the list price of the same tokens), or None."""
        override = self.override_for(spec)
        if override is not None:
            billed = override.cost(usage, batch)
            plain = override.cost(_uncached(usage), batch) if _has_cache(usage) else billed
            return billed, plain - billed
        if _listed(spec) is None:
            return None
        billed = _library_cost(spec, usage, batch)
        plain = _library_cost(spec, _uncached(usage), batch) if _has_cache(usage) else billed
        return billed, plain - billed

    def with_cost(self, spec: ModelSpec, usage: Usage, *, batch: bool = False) -> Usage:
        """`usage` with `cost_usd` and `saved_usd` filled in (None for an unpriced model)."""
        priced = self.cost(spec, usage, batch=batch)
        if priced is None:
            return usage.model_copy(update={"cost_usd": None, "saved_usd": None})
        return usage.model_copy(update={"cost_usd": priced[0], "saved_usd": priced[1]})

    def cost_bound(self, spec: ModelSpec, prompt_chars: int, max_tokens: int, *, batch: bool = False) -> float:
        """What a call may cost before it is made: its prompt at four characters a token, all
        of it written to the prompt cache where writes cost more than plain input (Anthropic),
        plus its whole `max_tokens` of output. 0.0 for unpriced models."""
        tokens = round(prompt_chars / CHARS_PER_TOKEN)
        plain = Usage(input_tokens=tokens, output_tokens=max_tokens)
        written = Usage(input_tokens=tokens, cache_write_tokens=tokens, output_tokens=max_tokens)
        costs = [self.cost(spec, u, batch=batch) for u in (plain, written)]
        return max((c[0] for c in costs if c is not None), default=0.0)


DEFAULT = PriceBook()


def _has_cache(usage: Usage) -> bool:
    return bool(usage.cache_read_tokens or usage.cache_write_tokens)


def _uncached(usage: Usage) -> Usage:
    return Usage.model_construct(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                                 cache_read_tokens=0, cache_write_tokens=0, cost_usd=None, saved_usd=None)


@lru_cache(maxsize=256)
def _listed(spec: ModelSpec) -> Any:
    """genai-prices' model for a provider's own API, or None (a custom server, an unknown model)."""
    if spec.provider not in PRICED_PROVIDERS or spec.base_urls:
        return None
    from genai_prices import data_snapshot  # imported when an API model is first priced

    try:
        found = data_snapshot.get_snapshot().find_provider_model(spec.model, None, spec.provider, None)
    except LookupError:
        return None
    model = spec.model
    base = model[:len(model) - len(m.group(0))] if (m := _TRAILING_SUFFIX.search(model)) else model
    return found if _names(found[1].match, model) or (base != model and _names(found[1].match, base)) else None


SNAPSHOT_SUFFIX = re.compile(r"(?:[-@](?:\d{8}|\d{4}-\d{2}-\d{2}|\d{4}|latest|preview|v\d+(?::\d+)?))*", re.IGNORECASE)
"""What may follow a name the price data lists as a prefix: a dated snapshot (-20251101,
-2024-08-06, @20250514), -latest, -preview, or a version (-v1:0). Anything else is another
model, except after a fine-tune prefix (ft:BASE, BASE.ft-), whose tail is the job's own id."""
_TRAILING_SUFFIX = re.compile(r"(?:[-@](?:\d{8}|\d{4}-\d{2}-\d{2}|latest|v\d+(?::\d+)?))+$", re.IGNORECASE)


def _names(clause: Any, name: str) -> bool:
    """Whether the price data's match `clause` names this model: exactly, by its pattern, or as
    a listed prefix followed only by a snapshot suffix."""
    kind = type(clause).__name__
    if kind == "ClauseOr":
        return any(_names(c, name) for c in clause.or_)
    if kind == "ClauseAnd":
        return all(_names(c, name) for c in clause.and_)
    if kind == "ClauseStartsWith":
        prefix = clause.starts_with
        rest = name[len(prefix):]
        if prefix.lower().startswith("ft:") or prefix.lower().endswith(".ft-"):
            return name.lower().startswith(prefix.lower())
        if prefix[-1:] in ("-", "@"):  # the prefix holds the suffix's separator
            rest = prefix[-1] + rest
        return name.lower().startswith(prefix.lower()) and SNAPSHOT_SUFFIX.fullmatch(rest) is not None
    return bool(clause.is_match(name))


@lru_cache(maxsize=256)
def _has_batch_prices(spec: ModelSpec) -> bool:
    _, model = _listed(spec)
    return any(v.when.get("processing") == "batch" for v in (model.price_variants or ()))


def _library_cost(spec: ModelSpec, usage: Usage, batch: bool) -> float:
    from genai_prices import Usage as PriceUsage
    from genai_prices import calc_price

    counted = PriceUsage(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                         cache_read_tokens=usage.cache_read_tokens, cache_write_tokens=usage.cache_write_tokens)
    listed_batch = batch and _has_batch_prices(spec)
    result = calc_price(counted, model_ref=spec.model, provider_id=spec.provider,
                        price_context={"processing": "batch"} if listed_batch else None)
    usd = float(result.total_price)
    return usd * BATCH_DISCOUNT if batch and not listed_batch else usd


# Module-level forms for callers without an experiment (estimates, tools): listed prices only.

def price_known(spec: ModelSpec) -> bool:
    return DEFAULT.known(spec)


def with_cost(spec: ModelSpec, usage: Usage, *, batch: bool = False, book: PriceBook | None = None) -> Usage:
    return (book or DEFAULT).with_cost(spec, usage, batch=batch)


def cost_bound(spec: ModelSpec, prompt_chars: int, max_tokens: int, *, batch: bool = False,
               book: PriceBook | None = None) -> float:
    return (book or DEFAULT).cost_bound(spec, prompt_chars, max_tokens, batch=batch)
