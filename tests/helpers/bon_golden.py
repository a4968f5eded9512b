"""A scripted debate run written out event by event, to pin that `best_of_n: 1` (the default)
leaves every call, note and outcome exactly as they were before best-of-N existed.

`python -m tests.helpers.bon_golden OUT.json` writes the pinned file (tests/fixtures/bon_golden.json
was written by the code before best-of-N)."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from oversight.models import ModelPool
from oversight.models.providers import scripted
from oversight.protocols.debate import DebateParams, DebateProtocol
from oversight.protocols.debate.data import DebateItem
from tests.helpers.harness import context, run_units

STORY = ("The lighthouse keeper wound the clock at dusk. On the ninth night the lamp failed, and "
         "he rowed to the mainland for oil while the fog came in.")
SPEECHES = ["He rowed out because <quote>the lamp failed</quote>, so my answer holds.",
            "My opponent forgets <quote>the fog came in</quote>; he went for oil.\nDebater A: I concede",
            "Consider: <quote>he rowed to the mainland for oil</quote>. That settles it."]
CONFIGS: list[dict[str, Any]] = [
    {"conditions": ["debate", "consultancy", "blind", "expert"], "rounds": 2, "swap": True},
    {"conditions": ["debate", "consultancy"], "rounds": 2, "turns": "sequential", "swap": "rerun",
     "judge_kind": "logprob"},
]


def _event(e: Any) -> dict[str, Any]:
    data = e.model_dump(exclude_none=True)
    data.pop("latency_s", None)
    return data


def _judgment(record: dict[str, Any]) -> dict[str, Any]:
    """A judgment without what differs from run to run (its time and attempt id)."""
    return {k: v for k, v in record.items() if k not in ("created_at", "attempt", "id")}


async def runs() -> list[dict[str, Any]]:
    out = []
    for config in CONFIGS:
        scripted.register("golden-speaker", SPEECHES)
        scripted.register("golden-judge", ["B, 65%", "Answer: A (80%)", "hmm"])
        pool = ModelPool(cache=None)
        proto = DebateProtocol()
        models = {role: pool.get("scripted:golden-speaker") for role in ("debater_a", "debater_b", "consultant")}
        models["judge"] = pool.get("scripted:golden-judge")
        item = DebateItem(id="lamp", title="The Keeper", story=STORY, question="Why did he row out?",
                          answers=["For oil", "To escape the fog"], correct_index=0)
        params = DebateParams(**config)
        for unit, rec, outcome in await run_units(proto, params, context(proto, models), [item]):
            out.append({"config": config, "unit": unit.id, "events": [_event(e) for e in rec.events],
                        "outcome": outcome, "judgments": [_judgment(j.to_record()) for j in rec.judgments]})
    return out


def dumps(data: list[dict[str, Any]]) -> str:
    """Keys in the order they were written, as a transcript line keeps them."""
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def write(path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(dumps(asyncio.run(runs())))


if __name__ == "__main__":
    write(sys.argv[1])
