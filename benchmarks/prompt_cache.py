"""Prompt caching on the QuALITY debate: what each provider bills, against what the run records.

`protocols/debate.yaml` (four conditions, two rounds, both answer orders judged) on N QuALITY
items, every role on one model, against tests/helpers/fakes/prompt_cache.py: an in-process fake of the
Anthropic and OpenAI APIs that applies their documented caching rules (prefixes of 1,024+
tokens, five-minute lifetime, 128-token steps for OpenAI, Anthropic only up to `cache_control`
breakpoints, an entry readable once its writer's answer is sent) and keeps the bill at prices
copied from the providers' pages. Prints, per provider: the billed input as a fraction of its
full list price, the share of prompt tokens served from cache, the cost the run recorded
against the fake's bill, and the wall time. Goals: Anthropic billed input <= 0.40; OpenAI >= 60%
cached; recorded cost within 2% of the bill for both.

    .venv/bin/python benchmarks/prompt_cache.py [--items 12] [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

from debate_setup import ROOT, debate_plan, loopback_only, run_once

from oversight.models import ModelPool, Usage
from oversight.models.pricing import with_cost
from oversight.models.spec import parse_spec

import sys  # noqa: E402  (the fake lives with the tests)

sys.path.insert(0, str(ROOT / "tests" / "helpers"))
from fakes.llm_server import oversight_reply  # noqa: E402
from fakes.prompt_cache import CachingAPI  # noqa: E402

SPECS = {"anthropic": "anthropic:claude-sonnet-4-5", "openai": "openai:gpt-4.1-mini"}


async def one(provider: str, args: argparse.Namespace, runs: Path) -> None:
    spec = SPECS[provider]
    api = CachingAPI(reply=oversight_reply, latency_s=args.latency_ms / 1000)
    if provider == "anthropic":
        from oversight.models.providers.anthropic import AnthropicProvider as cls
    else:
        from oversight.models.providers.openai import OpenAIProvider as cls  # type: ignore[assignment]
    p = debate_plan(spec, args.items, "cache=false", *args.set)
    pool = ModelPool(cache=None, provider_factory=lambda s: cls(s, http_client=api.client()))
    warmer = getattr(pool, "warmer", None)
    if args.no_warm:
        pool.warmer = None
    result, wall, folder = await run_once(p, runs, pool)
    recorded = sum((t.get("usage") or {}).get("cost_usd") or 0.0 for t in folder.iter_transcripts())
    bill = api.bill
    print(f"{provider:9s} {spec}: {bill.requests} calls, {bill.input_tokens:,} prompt tokens, "
          f"cached share {bill.cached_share:.2f}, written {bill.cache_write_tokens:,}; "
          f"billed input {bill.billed_input_fraction:.2f} of full price; "
          f"bill ${bill.usd:.4f}, recorded ${recorded:.4f} ({recorded / bill.usd:.3f}x); "
          f"{wall:.1f}s wall, failed units {result.failed}"
          + (f", {warmer.waited} calls waited for a warm cache" if warmer is not None and not args.no_warm else ""))


def opus_price() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    out = with_cost(parse_spec("anthropic:claude-opus-4-5"), Usage(input_tokens=1_000_000))
    both = with_cost(parse_spec("anthropic:claude-opus-4-5"), usage)
    if out.cost_usd is None or both.cost_usd is None:
        print("price of anthropic:claude-opus-4-5: unknown")
        return
    print(f"price of anthropic:claude-opus-4-5 per million tokens: input {out.cost_usd:g}, "
          f"output {both.cost_usd - out.cost_usd:g} (list: 5, 25)")


async def main(args: argparse.Namespace) -> None:
    loopback_only()
    os.environ["ANTHROPIC_API_KEY"] = os.environ["OPENAI_API_KEY"] = "sk-fake"  # only the in-process fake sees it
    runs = Path(tempfile.mkdtemp(prefix="oversight-prompt-cache-"))
    print(f"QuALITY debate, {args.items} items, fake API latency {args.latency_ms} ms")
    for provider in args.providers:
        await one(provider, args, runs)
    opus_price()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=12)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--providers", nargs="+", default=["anthropic", "openai"], choices=sorted(SPECS))
    parser.add_argument("--no-warm", action="store_true", help="let calls sharing an opening start together")
    parser.add_argument("--set", action="append", default=[], help="KEY=VALUE, as for oversight run")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
