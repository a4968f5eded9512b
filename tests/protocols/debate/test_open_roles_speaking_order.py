"""Open roles with sequential turns: the debater who defends the answer its run shows first
speaks first (as Debater A), whichever role chose it, in the original run and in a `swap: rerun`
run alike (as with assigned roles, where that is debater_a, then debater_b); the judge's views and
`review` list each run's speeches in the order they were spoken."""

from __future__ import annotations

import io
import re
from typing import Any

from rich.console import Console

from oversight.log.texts import MemoryTexts
from oversight.models import ModelPool
from oversight.models.providers import scripted
from oversight.models.types import Message
from oversight.protocols.debate import DebateParams, DebateProtocol
from oversight.protocols.debate.review import debate_body
from tests.helpers.debate_event_golden import ITEM
from tests.helpers.harness import context, run_units


def reply(messages: list[Message]) -> str:
    prompt = messages[-1].content.rstrip()
    if prompt.endswith("Answer I will defend:"):
        return "B"  # debater_a keeps B; debater_b, having chosen the same, defends A
    m = re.search(r"\n(Debater [AB]) \(round (\d+)\):$", prompt)
    if m:
        return f"I am {m[1]}, speaking in round {m[2]}."
    return "Answer: A, 60%"


async def run(swap: Any) -> tuple[Any, dict[str, Any], DebateParams]:
    scripted.register("adv-order", reply)
    model = ModelPool(cache=None).get("scripted:adv-order")
    proto = DebateProtocol()
    params = DebateParams(conditions=["debate"], rounds=2, turns="sequential", roles="open", swap=swap,
                          judge_kind="model", judge_format="text")
    models = {r: model for r in ("debater_a", "debater_b", "consultant", "judge")}
    [(_, rec, outcome)] = await run_units(proto, params, context(proto, models), [ITEM])
    assert outcome["open_roles"]["debater_a"]["defends"] == 1
    return rec, outcome, params


def first_speaker(view: Any) -> str:
    return view.variables["turns"][0]["speaker"]


async def test_the_debater_of_the_answer_shown_first_speaks_first_in_every_run() -> None:
    rec, outcome, params = await run("rerun")
    views = {v.key: v for v in DebateProtocol().judge_views({"outcome": outcome}, params, MemoryTexts())}
    first_calls = [e for e in rec.events if e.type == "model" and " round 1" in e.step and "chooses" not in e.step]
    # the first speech call of each run is by the debater its order names Debater A
    assert "I am Debater A" in first_calls[0].content, first_calls[0].content
    assert first_speaker(views["original"]) == "Debater A"
    assert first_speaker(views["swapped"]) == "Debater A"


async def test_review_lists_the_rerun_in_the_order_the_judge_saw_it() -> None:
    _, outcome, params = await run("rerun")
    view = {v.key: v for v in DebateProtocol().judge_views({"outcome": outcome}, params, MemoryTexts())}["swapped"]
    judge_order = [t["text"] for t in view.variables["turns"]]
    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(debate_body({"outcome": outcome, "condition": "debate"}, params.model_dump()).renderable)
    text = console.export_text()
    rerun_part = text[text.index("(rerun"):]
    shown = re.findall(r"I am Debater [AB], speaking in round \d", rerun_part)
    assert shown == [re.search(r"I am Debater [AB], speaking in round \d", t)[0] for t in judge_order]
