"""Batch mode against the fake batch service: the QuALITY debate with every role batched.

Every role is `openai:gpt-4.1-mini` with `batch: true`; the real openai SDK talks to
tests/helpers/fake_batch.py (in-process, through httpx2.MockTransport; each batch ends after 2 polls).
Prints how many calls went out in how many batches, the wall time, the normal calls made
(0 unless a batch item failed), and the cost at batch price against the list price.

    .venv/bin/python benchmarks/batch_mode.py [--items 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

import httpx2
from debate_setup import debate_plan, model_calls, run_once
from fake_batch import FakeBatchService

from oversight.models import ModelPool, ResponseCache, Usage
from oversight.models.batch import BatchRuntime
from oversight.models.pricing import with_cost
from oversight.models.providers.openai import OpenAIProvider
from oversight.models.spec import parse_spec

SPEC = "openai:gpt-4.1-mini"


async def main(args: argparse.Namespace) -> None:
    os.environ["OPENAI_API_KEY"] = "sk-fake"  # only ever sent to the in-process fake
    runs = Path(tempfile.mkdtemp(prefix="oversight-batch-"))
    fake = FakeBatchService(answer=lambda body: "Answer: A. Probability: 70%. <quote>It was night.</quote>")
    p = debate_plan(SPEC, args.items, "batch=true", f"concurrency={args.units_in_flight}",
                    "batch_options={window_s: 0.2, poll_s: 0.05, poll_max_s: 0.2}")
    pool = ModelPool(
        cache=ResponseCache(runs / "cache"), batching=BatchRuntime(p.exp.batch_options),
        provider_factory=lambda spec: OpenAIProvider(
            spec, http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(fake))),
    )
    result, wall, folder = await run_once(p, runs, pool)
    events, answered = model_calls(folder)
    spent = sum((Usage.model_validate(t["usage"]) for t in folder.iter_transcripts()), Usage())
    listed = with_cost(parse_spec(SPEC), spent).cost_usd or 0.0
    print(f"(e) batch mode, debate on {args.items} QuALITY items, {len(p.units)} units: {events} model calls "
          f"({answered} answered by the service) in {len(fake.created)} batches "
          f"(largest {max(len(b.requests) for b in fake.batches.values())} requests), "
          f"{len(fake.normal_calls)} normal calls, {wall:.2f}s wall, failed units: {result.failed}")
    print(f"    cost ${spent.cost_usd:.4f} at batch price vs ${listed:.4f} at list price "
          f"({spent.cost_usd / listed:.2f}x); batches.jsonl lines: "
          f"{len((folder.path / 'batches.jsonl').read_text().splitlines())}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--units-in-flight", type=int, default=400)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
