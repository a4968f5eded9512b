"""`oversight run --dry-run`: walk every unit through its protocol with a stand-in for each model,
counting calls and tokens per role, so a researcher sees the bill before paying it."""

from __future__ import annotations

import asyncio
from typing import Any

from oversight.models.pool import ModelPool
from oversight.models.pricing import with_cost
from oversight.models.providers.base import Provider
from oversight.models.spec import ModelSpec
from oversight.models.types import Completion, GenerateConfig, Message, Usage
from oversight.recorder import Recorder
from oversight.runner import Plan, make_context

CHARS_PER_TOKEN = 4.0
"""A rough English average; good enough for a budget, and said so in the output."""


class EstimateProvider(Provider):
    """Answers with filler of the full max_tokens length, so estimates are upper bounds on output."""

    default_max_connections = 64

    async def generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        prompt_chars = sum(len(m.content) for m in messages)
        return Completion(
            text=" ".join(["lorem"] * min(config.max_tokens, 2000)),
            usage=Usage(input_tokens=round(prompt_chars / CHARS_PER_TOKEN), output_tokens=config.max_tokens),
        )


async def estimate(p: Plan) -> list[dict[str, Any]]:
    """Rows per role: calls, input tokens (estimated), output tokens (at most), cost where priced."""
    pool = ModelPool(cache=None, provider_factory=EstimateProvider)
    ctx = make_context(p, pool, None)
    calls: dict[str, int] = {}
    usage: dict[str, Usage] = {}
    for unit in p.units:
        rec = Recorder(ctx, unit)
        try:
            await p.protocol.run_unit(unit, p.params, rec)
        except Exception:  # filler text may trip a protocol's parser; the calls made so far still count
            pass
        for event in rec.events:
            if event.type == "model" and event.role and event.usage:
                calls[event.role] = calls.get(event.role, 0) + 1
                usage[event.role] = usage.get(event.role, Usage()) + event.usage
    rows = []
    for role in sorted(usage):
        spec = ctx.models[role].spec
        rows.append(_row(role, spec, calls[role], usage[role]))
    return rows


def _row(role: str, spec: ModelSpec, calls: int, usage: Usage) -> dict[str, Any]:
    cost = with_cost(spec, usage).cost_usd
    return {
        "role": role,
        "model": str(spec),
        "calls": calls,
        "input tokens (est.)": usage.input_tokens,
        "output tokens (max)": usage.output_tokens,
        "cost USD (max)": "n/a (no price)" if cost is None else f"{cost:.4f}",
    }


def run_estimate(p: Plan) -> list[dict[str, Any]]:
    return asyncio.run(estimate(p))
