"""The QuALITY debate run against a plain replay of its requests; then the cached re-run and bytes.

(a) `protocols/debate.yaml` on N QuALITY items against a fake OpenAI-compatible server on
    127.0.0.1 (fixed latency per request, C connections), versus a plain asyncio loop with
    the openai SDK replaying exactly the same request bodies at the same concurrency, right
    after; `--repeat` pairs on empty caches, the median ratio is the figure. Goal <= 1.15x.
(c) The same experiment again, in a new run folder, with the response cache: 0 calls, and
    at most 10% of the first run's time. Unchanged units are replayed from the unit memo
    (oversight/runs/unitmemo.py) without running their graphs; it says how many.
(d) Run-folder bytes per model call, against the pre-compaction layout (every event's input
    written out in full: `RunFolder.model_input`). Goal: under a fifth.

    .venv/bin/python benchmarks/debate_replay.py [--items 100] [--latency-ms 100] [--connections 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from debate_setup import debate_plan, fmt, loopback_only, model_calls, run_once
from model_layer_overhead import FakeServer

from oversight.log.runfolder import RunFolder
from oversight.runs.unitmemo import ENV as REPLAY_ENV


async def replay(base_url: str, bodies: list[bytes], connections: int) -> float:
    """What a careful researcher would write by hand: the SDK, a semaphore, gather."""
    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key="not-needed", max_retries=0)
    semaphore = asyncio.Semaphore(connections)

    async def one(body: bytes) -> None:
        async with semaphore:
            response = await client.chat.completions.create(**json.loads(body))
            assert response.choices[0].message.content is not None

    start = time.perf_counter()
    try:
        await asyncio.gather(*(one(b) for b in bodies))
    finally:
        await client.close()
    return time.perf_counter() - start


def folder_bytes(folder: RunFolder) -> tuple[int, int]:
    """(bytes on disk now, bytes the same run took with every event input written in full)."""
    now = sum(f.stat().st_size for f in folder.path.iterdir() if f.is_file())
    transcripts = (folder.path / "transcripts.jsonl").stat().st_size
    expanded = 0
    for record in folder.iter_transcripts():
        for event in record["events"]:
            if event.get("input") is not None:
                event["input"] = folder.model_input(event)
        expanded += len((json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode())
    return now, now - transcripts + expanded


async def main(args: argparse.Namespace) -> None:
    server = FakeServer(args.latency_ms / 1000.0, record=True)
    port = await server.start()
    url = f"http://127.0.0.1:{port}/v1"
    sets = [f"concurrency={args.units_in_flight}", f"max_connections={args.connections}"]
    p = debate_plan(f"openai:fake@{url}", args.items, *sets)
    runs = Path(tempfile.mkdtemp(prefix="oversight-bench-"))
    pairs: list[tuple[float, float]] = []
    try:
        # Warm-up: imports and first connections are not what we measure.
        await replay(url, [json.dumps({"model": "fake", "messages": [{"role": "user", "content": "hi"}],
                                       "max_tokens": 5}).encode()] * args.connections, args.connections)
        assert server.bodies is not None
        # (a) each repeat: our run on an empty cache, then at once the raw replay of its bodies,
        # so both sides of a pair meet the same load on this shared machine.
        for rep in range(args.repeat):
            os.environ["OVERSIGHT_CACHE_DIR"] = str(runs / f"cache-{rep}")
            server.bodies.clear()
            served_before = server.requests
            result, ours, folder = await run_once(p, runs)
            bodies = list(server.bodies)
            served = server.requests - served_before
            raw = await replay(url, bodies, args.connections)
            pairs.append((ours, raw))
        # (c) the finished experiment again, answered by the last repeat's cache: with the
        # unit memo, then with every graph run (OVERSIGHT_REPLAY_UNITS=0).
        before = server.requests
        result2, again, folder2 = await run_once(p, runs)
        calls_again = server.requests - before
        os.environ[REPLAY_ENV] = "0"
        _, graphs, _ = await run_once(p, runs)
        os.environ.pop(REPLAY_ENV)
    finally:
        await server.stop()

    events, answered = model_calls(folder)
    ratios = sorted(o / r for o, r in pairs)
    print(f"(a) debate, {args.items} QuALITY items, {len(p.units)} units, {events} model calls "
          f"({served} reached the server), {args.latency_ms:g} ms latency, {args.connections} connections")
    for i, (o, r) in enumerate(pairs, 1):
        print(f"    repeat {i}: oversight run {o:.2f}s, raw openai replay of the same {len(bodies)} bodies {r:.2f}s: "
              f"{o / r:.2f}x")
    print(f"    median ratio {statistics.median(ratios):.2f}x (goal <= 1.15x); failed units: {result.failed}")
    ours = pairs[-1][0]
    print(f"(c) re-run with the cache: {again:.2f}s = {100 * again / ours:.1f}% of the first run "
          f"(goal <= 10%), {calls_again} calls to the server (goal 0); "
          f"{model_calls(folder2)[1]} uncached events; {result2.replayed} of {len(p.units)} units replayed "
          f"from the unit memo; with every graph run ({REPLAY_ENV}=0): {graphs:.2f}s = "
          f"{100 * graphs / ours:.1f}%")
    now, old = folder_bytes(folder)
    print(f"(d) run folder: {fmt(now)} bytes = {now / events:,.0f} bytes per call; pre-compaction layout "
          f"{fmt(old)} bytes = {old / events:,.0f} per call; ratio {now / old:.3f} (goal < 0.2)")
    print(f"    run folders in {runs}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--connections", type=int, default=50, help="max_connections, and the replay's semaphore")
    parser.add_argument("--units-in-flight", type=int, default=400, help="the experiment's concurrency")
    parser.add_argument("--repeat", type=int, default=3, help="(a) pairs of runs; the median ratio is the figure")
    return parser.parse_args()


if __name__ == "__main__":
    loopback_only()
    asyncio.run(main(parse_args()))
