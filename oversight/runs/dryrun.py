"""`oversight run --dry-run`: walk every unit through its protocol with a stand-in for each model,
counting calls and tokens per role, so a researcher sees the bill before paying it."""

from __future__ import annotations

import asyncio
from typing import Any

from oversight.models.pool import ModelPool
from oversight.models.pricing import CHARS_PER_TOKEN, PriceBook
from oversight.models.providers.base import Provider
from oversight.models.spec import ModelSpec
from oversight.models.types import Completion, GenerateConfig, Message, Usage
from oversight.protocol.recorder import Recorder
from oversight.runs.plan import Plan
from oversight.runs.runner import make_context

CACHE_MIN_TOKENS = 1024
"""Shortest prefix either provider's prompt cache keeps."""
OPENAI_CACHE_STEP = 128
"""OpenAI serves cached prefixes in steps of this many tokens."""


class EstimateProvider(Provider):
    """Answers with filler of the full max_tokens length, so estimates are upper bounds on output.

    Prompt caching is estimated from the prompt layout (prompts/README): every message but the
    last is the shared prefix. Its first sight is a cache write (Anthropic, with prompt_cache
    on), each later sight a cache read; prefixes under 1,024 tokens are not cached."""

    default_max_connections = 64

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self._seen: set[tuple[str, ...]] = set()

    def _cache(self, messages: list[Message]) -> tuple[int, int]:
        """(cache-read, cache-write) tokens this prompt would get, estimated."""
        if self.spec.provider not in ("anthropic", "openai") or len(messages) < 2:
            return 0, 0
        anthropic = self.spec.provider == "anthropic"
        if anthropic and not self.prompt_cache:
            return 0, 0
        prefix = tuple(m.content for m in messages[:-1])
        tokens = round(sum(map(len, prefix)) / CHARS_PER_TOKEN)
        if tokens < CACHE_MIN_TOKENS:
            return 0, 0
        if not anthropic:
            tokens -= tokens % OPENAI_CACHE_STEP
        if prefix in self._seen:
            return tokens, 0
        self._seen.add(prefix)
        return (0, tokens) if anthropic else (0, 0)

    async def generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        prompt_chars = sum(len(m.content) for m in messages)
        read, write = self._cache(messages)
        return Completion(
            text=" ".join(["lorem"] * min(config.max_tokens, 2000)),
            usage=Usage(input_tokens=round(prompt_chars / CHARS_PER_TOKEN), output_tokens=config.max_tokens,
                        cache_read_tokens=read, cache_write_tokens=write),
        )


async def estimate(p: Plan) -> list[dict[str, Any]]:
    """Rows per role: calls, input tokens (estimated) and how many of them cached, output
    tokens (at most), cost and caching's saving where priced. Each call is priced on its own,
    so a long-prompt price tier applies to the calls that reach it."""
    book = PriceBook(p.exp.prices)
    pool = ModelPool(cache=None, provider_factory=EstimateProvider, prices=book, prompt_cache=p.exp.prompt_cache)
    ctx = make_context(p, pool, None)
    ctx.estimating = True
    calls: dict[str, int] = {}
    usage: dict[str, Usage] = {}
    worst: dict[str, Usage] = {}
    for unit in p.units:
        rec = Recorder(ctx, unit)
        try:
            await p.protocol.run_unit(unit, p.params, rec)
        except Exception:  # filler text may trip a protocol's parser; the calls made so far still count
            pass
        for event in rec.events:
            if event.type == "model" and event.role and event.usage:
                calls[event.role] = calls.get(event.role, 0) + 1
                spec, batch = ctx.models[event.role].spec, p.exp.batched(event.role)
                priced = book.with_cost(spec, event.usage, batch=batch)
                usage[event.role] = usage.get(event.role, Usage()) + priced
                worst[event.role] = worst.get(event.role, Usage()) + uncached_cost(book, spec, event.usage, batch)
    rows = []
    for role in sorted(usage):
        spec = ctx.models[role].spec
        rows.append(role_row(role, spec, calls[role], usage[role], worst[role].cost_usd, batch=p.exp.batched(role)))
    return rows


def uncached_cost(book: PriceBook, spec: ModelSpec, usage: Usage, batch: bool) -> Usage:
    """The call priced as if its cache never hit: a prompt cache is best effort (entries expire,
    a provider may route a call elsewhere), so every token estimated as read is written again
    where breakpoints write (Anthropic), or billed as plain input (OpenAI)."""
    cached = usage.cache_read_tokens + usage.cache_write_tokens
    writes = cached if usage.cache_write_tokens or spec.provider == "anthropic" and cached else 0
    missed = Usage(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens, cache_write_tokens=writes)
    plain = Usage(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens)
    costs = [c.cost_usd for c in (book.with_cost(spec, missed, batch=batch), book.with_cost(spec, plain, batch=batch))]
    known = [c for c in costs if c is not None]
    return Usage(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                 cost_usd=max(known) if known else None)


def role_row(role: str, spec: ModelSpec, calls: int, usage: Usage, worst_usd: float | None, *,
         batch: bool = False) -> dict[str, Any]:
    """`usage` is already priced per call (batched roles at batch rates), with the estimated
    cache reads; `worst_usd` is the same calls with no cache hit, the upper bound."""
    cost, saved = usage.cost_usd, usage.saved_usd
    row: dict[str, Any] = {
        "role": role,
        "model": str(spec),
        "calls": f"{calls} (batch)" if batch else calls,
        "input tokens (est.)": usage.input_tokens,
        "output tokens (max)": usage.output_tokens,
        "cost USD (max)": "n/a (no price)" if worst_usd is None else f"{worst_usd:.4f}",
    }
    if usage.cache_read_tokens or usage.cache_write_tokens:  # columns only with a cache at work
        row["cached (est.)"] = usage.cache_read_tokens
        row["cost USD (est.)"] = "n/a (no price)" if cost is None else f"{cost:.4f}"
        row["cache saves USD (est.)"] = "n/a" if saved is None else f"{saved:.4f}"
    return row


def run_estimate(p: Plan) -> list[dict[str, Any]]:
    return asyncio.run(estimate(p))


__all__ = ["EstimateProvider", "estimate", "role_row", "run_estimate", "uncached_cost"]
