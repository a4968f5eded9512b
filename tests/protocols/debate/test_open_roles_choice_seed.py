"""Open roles: both debaters read the same choice prompt, so debater_b's choice call samples
with the next seed; with the response cache on and one model bound to both debaters (as
`protocols/debate_open.yaml` does), each debater's choice is its own draw, never debater_a's
answer replayed from the cache."""

from __future__ import annotations

import itertools
from pathlib import Path

from oversight.models import ModelPool
from oversight.models.cache import ResponseCache
from oversight.models.providers import scripted
from oversight.models.types import Message
from oversight.protocols.debate import DebateParams, DebateProtocol
from tests.helpers.debate_event_golden import ITEM
from tests.helpers.harness import context, run_units


async def test_each_debater_chooses_for_itself_with_the_cache_on(tmp_path: Path) -> None:
    sampled = itertools.cycle(["A", "B"])  # a sampling model: two calls, two different choices
    made: list[str] = []

    def reply(messages: list[Message]) -> str:
        if messages[-1].content.rstrip().endswith("Answer I will defend:"):
            made.append(choice := next(sampled))
            return choice
        return "Answer: A, 60%" if "judge" in messages[-1].content.lower()[:200] else "A speech."

    scripted.register("adv-open-cache", reply)
    pool = ModelPool(cache=ResponseCache(tmp_path / "cache"))
    model = pool.get("scripted:adv-open-cache")
    proto = DebateProtocol()
    params = DebateParams(conditions=["debate"], rounds=1, roles="open", swap=False, judge_kind="model",
                          judge_format="text")
    models = {r: model for r in ("debater_a", "debater_b", "consultant", "judge")}
    [(_, rec, outcome)] = await run_units(proto, params, context(proto, models), [ITEM])
    chooses = [e for e in rec.events if e.type == "model" and e.step.endswith("chooses")]
    assert len(chooses) == 2
    assert len(made) == 2, "debater_b's choice was never asked of the model: it replays debater_a's"
    sides = outcome["open_roles"]
    assert (sides["debater_a"]["choice"], sides["debater_b"]["choice"]) == (0, 1)
    assert not sides["debater_b"]["same_as_opponent"]
