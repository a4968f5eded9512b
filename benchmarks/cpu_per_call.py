"""Framework CPU per model call: the QuALITY debate with a zero-latency scripted model.

Every role is a stand-in provider that answers at once with fixed usage (no I/O, no token
counting), the cache is off, so the process CPU
time divided by the number of model calls is what the framework (runner, protocol graph,
prompts, quote checks, recorder, run folder, metrics) costs per call. Goal: <= 1 ms.

    .venv/bin/python benchmarks/cpu_per_call.py [--items 100] [--profile out.prof]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import tempfile
import time
from pathlib import Path

import langgraph_floor
from debate_setup import debate_plan, model_calls, run_once

from oversight.models import Completion, GenerateConfig, Message, ModelPool, Usage
from oversight.models.providers.base import Provider

SPEECH = ("I defend my answer. The story says <quote>the dark star passed</quote> and that settles it; "
          "my opponent offers no evidence from the text.")


JUDGE_OPENINGS = ("You are the judge", "Here is a question", "Read the story and answer")


class Instant(Provider):
    """A speech with a quote for debaters and consultants, a verdict for the judge; at once."""

    async def generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        text = "Answer: A\nProbability: 0.7" if messages[0].content.startswith(JUDGE_OPENINGS) else SPEECH
        return Completion(text=text, usage=Usage(input_tokens=1000, output_tokens=40), finish_reason="stop")


def pool() -> ModelPool:
    return ModelPool(cache=None, provider_factory=Instant)


async def main(args: argparse.Namespace) -> None:
    p = debate_plan("openai:instant", args.items, "cache=false", "concurrency=32")
    runs = Path(tempfile.mkdtemp(prefix="oversight-cpu-"))
    await run_once(debate_plan("openai:instant", 2, "cache=false"), runs, pool())  # warm-up: imports, first graph
    best: tuple[float, float, float, float] | None = None
    for _ in range(args.repeat):  # this machine is shared: the least CPU of a few runs is the figure
        profiler = cProfile.Profile() if args.profile else None
        t0, wall0 = os.times(), time.perf_counter()
        if profiler:
            profiler.enable()
        result, _, folder = await run_once(p, runs, pool())
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        t1, wall = os.times(), time.perf_counter() - wall0
        user, system = t1.user - t0.user, t1.system - t0.system
        if best is None or user + system < best[0]:
            best = (user + system, user, system, wall)
    assert best is not None
    cpu, user, system, wall = best
    events, _ = model_calls(folder)
    print(f"(b) debate, {args.items} QuALITY items, {len(p.units)} units, {events} model calls, zero-latency "
          f"model, cache off, least of {args.repeat} runs: {cpu:.2f}s CPU ({user:.2f}s user + {system:.2f}s "
          f"system: fsyncs), {wall:.2f}s wall\n"
          f"    = {1000 * cpu / events:.2f} ms CPU per call, {1000 * user / events:.2f} ms user CPU per call "
          f"(goal <= 1 ms); failed units: {result.failed}")
    _, floor = await langgraph_floor.measure(args.items)
    print(f"    of which LangGraph's own machinery is about {1000 * floor / events:.2f} ms per call "
          f"(benchmarks/langgraph_floor.py: the same graph shape with no-op nodes)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the measured run")
    parser.add_argument("--repeat", type=int, default=3, help="measured runs; the least CPU is reported")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
