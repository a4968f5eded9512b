"""Where the local demo's time goes: prompt tokens llama.cpp evaluated against those it reused.

Runs `protocols/debate.yaml` (the embedded gemma-3-270m, four llama.cpp slots) with the response
cache off, and reads every call's answer from the server itself (`usage.prompt_tokens_details.
cached_tokens`, `timings.prompt_n` / `cache_n` / `prompt_ms` / `predicted_ms`), so it measures
any version of oversight alike. Prints per role and in total: calls, prompt tokens, evaluated,
reused, and the server's milliseconds reading prompts and generating, beside the wall time.

    .venv/bin/python benchmarks/local_prefix.py [--items 4] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from debate_setup import ROOT, run_once

from oversight.config.experiment import read_yaml, validate_experiment
from oversight.config.overrides import apply_overrides
from oversight.models.providers import local
from oversight.runs.runner import plan

SEEN: list[dict[str, Any]] = []


def _recording(parse: Any) -> Any:
    def parse_and_record(result: Any, **kwargs: Any) -> Any:
        if isinstance(result, dict):
            usage, timings = result.get("usage") or {}, result.get("timings") or {}
            SEEN.append({"prompt": usage.get("prompt_tokens", 0), "evaluated": timings.get("prompt_n", 0),
                         "reused": timings.get("cache_n", 0), "prompt_ms": timings.get("prompt_ms", 0.0),
                         "predicted_ms": timings.get("predicted_ms", 0.0)})
        return parse(result, **kwargs)
    return parse_and_record


async def main(args: argparse.Namespace) -> None:
    local.parse_response = _recording(local.parse_response)  # type: ignore[attr-defined]
    path = ROOT / "protocols" / "debate.yaml"
    data = apply_overrides(read_yaml(path), [f"limit={args.items}", "cache=false", *args.set], [], None)
    p = plan(validate_experiment(data, str(path)), source=str(path), base_dir=path.parent)
    result, wall, folder = await run_once(p, Path(tempfile.mkdtemp(prefix="oversight-local-")))
    roles = [e["role"] for t in folder.iter_transcripts() for e in t["events"] if e.get("type") == "model"]
    by_role: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    # Calls and server answers pair up by count only; per role figures come from the transcripts.
    for t in folder.iter_transcripts():
        for e in t["events"]:
            if e.get("type") == "model":
                u = e.get("usage") or {}
                row = by_role[e["role"]]
                row["calls"] += 1
                row["prompt"] += u.get("input_tokens", 0)
                row["reused"] += u.get("cache_read_tokens", 0)
    total = {k: sum(s[k] for s in SEEN) for k in ("prompt", "evaluated", "reused", "prompt_ms", "predicted_ms")}
    print(f"debate demo, {args.items} items, {len(p.units)} units, {len(roles)} calls, {wall:.1f}s wall, "
          f"failed units {result.failed}")
    print(f"  server: {total['prompt']:,} prompt tokens, {total['evaluated']:,} evaluated, {total['reused']:,} reused "
          f"({total['reused'] / max(1, total['prompt']):.0%}); {total['prompt_ms'] / 1000:.1f}s reading prompts, "
          f"{total['predicted_ms'] / 1000:.1f}s generating (summed over slots)")
    for role, row in sorted(by_role.items()):
        if row["reused"]:
            print(f"  {role:10s} {int(row['calls'])} calls, {int(row['prompt']):,} prompt tokens, "
                  f"{int(row['reused']):,} reused (as recorded)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=4)
    parser.add_argument("--set", action="append", default=[], help="KEY=VALUE, as for oversight run")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
