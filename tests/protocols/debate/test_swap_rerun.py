"""`params.swap: rerun`: the debate is spoken again with the answers in the other order, and
the swapped view shows that exchange as spoken (an exact swap, nothing relabelled)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from tests.helpers.harness import context, run_units
from oversight.models import ModelPool
from oversight.models.providers import scripted
from oversight.models.types import Message
from oversight.protocol.prompts import PromptSet
from oversight.protocols.debate import DebateParams, DebateProtocol
from oversight.protocols.debate.data import DebateItem
from oversight.log.texts import MemoryTexts

STORY = "Marguerite cooked on the night train. One night the soup did not tremble where it should have."
ANSWERS = ["The soup did not tremble.", "She saw the reservoir."]


def speaker(messages: list[Message]) -> str:
    """Names itself, the answer it defends, and (in bare letters) its opponent."""
    prompt = messages[-1].content
    name, rnd = re.findall(r"\n(Debater [AB]|Consultant) \(round (\d+)\):\s*$", prompt)[0]
    mine = re.search(r"\nYour answer: (.*)\n", prompt).group(1).rstrip(".")  # type: ignore[union-attr]
    other = "B" if name.endswith("A") else "A"
    return f"I am {name} in round {rnd} and I defend {mine}. {other} is wrong, vote {name[-1]}."


async def run(condition: str, swap: Any) -> tuple[Any, dict[str, Any]]:
    scripted.register("speaker", speaker)
    scripted.register("judge", lambda messages: "A, 80%")
    pool = ModelPool(cache=None)
    proto = DebateProtocol()
    models = {r: pool.get("scripted:speaker") for r in ("debater_a", "debater_b", "consultant")}
    models["judge"] = pool.get("scripted:judge")
    params = DebateParams(conditions=[condition], rounds=2, swap=swap)
    item = DebateItem(id="x", story=STORY, question="How did she know?", answers=ANSWERS, correct_index=0)
    texts = MemoryTexts()
    [(_, rec, outcome)] = await run_units(proto, params, context(proto, models, texts=texts), [item])
    return rec, outcome


def judge_prompt(rec: Any, order: str) -> str:
    [event] = [e for e in rec.events if e.type == "model" and e.step == f"judge {order}"]
    return "\n".join(m["content"] for m in event.input)


def test_swap_accepts_true_false_and_rerun_only() -> None:
    assert DebateParams(swap="rerun").swap == "rerun"
    assert DebateParams(swap=True).swap is True and DebateParams(swap=False).swap is False
    with pytest.raises(ValidationError, match="must be true, false or rerun"):
        DebateParams(swap="maybe")
    assert DebateParams.model_validate({"swap": "false"}).swap is False


async def test_rerun_debate_shows_the_swapped_exchange_as_spoken() -> None:
    rec, outcome = await run("debate", "rerun")
    steps = [e.step for e in rec.events if e.type == "model"]
    assert steps.count("judge original") == 1 and steps.count("judge swapped") == 1
    assert sum("(swapped run)" in s for s in steps) == 4  # two debaters, two rounds, again
    swapped = judge_prompt(rec, "swapped")
    assert "A: She saw the reservoir.\nB: The soup did not tremble." in swapped
    assert "Debater A (round 1):\n\u2502 I am Debater A in round 1 and I defend She saw the reservoir." in swapped
    assert "Debater B (round 2):\n\u2502 I am Debater B in round 2 and I defend The soup did not tremble." in swapped
    assert "[as written]" not in swapped.split("\nDebate:\n")[1]
    original = judge_prompt(rec, "original")
    assert "Debater A (round 1):\n\u2502 I am Debater A in round 1 and I defend The soup did not tremble." in original
    # each debater keeps its answer and changes position: debater_b (answers[1]) is Debater A there
    assert [s["answer_index"] for s in outcome["swapped_speeches"] if s["role"] == "debater_a"] == [0, 0]
    verdicts = {j.order: j for j in rec.judgments}
    assert verdicts["swapped"].swap_relabel["mode"] == "rerun" and verdicts["swapped"].unresolved_references == 0
    assert verdicts["original"].answer_index == 0 and verdicts["swapped"].answer_index == 1
    assert [v["order"] for v in outcome["verdicts"]] == ["original", "swapped"]
    assert outcome["quote_stats"]["quotes"] == 0


async def test_a_later_judge_rebuilds_exactly_the_views_the_run_judged() -> None:
    rec, outcome = await run("debate", "rerun")
    proto = DebateProtocol()
    prompts = PromptSet(proto.prompt_package, proto.templates)
    views = proto.judge_views({"outcome": outcome}, DebateParams(swap="rerun"), MemoryTexts())
    assert [v.key for v in views] == ["original", "swapped"]
    for view in views:
        rendered = "\n".join(m.content for m in prompts.render(view.template, view.variables))
        assert rendered == judge_prompt(rec, view.key)


async def test_rerun_consultancy_argues_the_same_answer_in_the_other_position() -> None:
    rec, outcome = await run("consultancy", "rerun")
    index = outcome["consultant_index"]
    swapped = judge_prompt(rec, "swapped")
    assert f"argues for answer {'BA'[index]}" in swapped
    assert f"I defend {ANSWERS[index]}" in swapped.split("Consultation:")[1]
    assert {s["answer_index"] for s in outcome["swapped_speeches"]} == {index}


async def test_swap_true_still_relabels_and_counts() -> None:
    rec, outcome = await run("debate", True)
    assert "swapped_speeches" not in outcome
    swapped = judge_prompt(rec, "swapped")
    # debater_a defended answers[0], shown second: it is Debater B there, and its letters follow
    assert "Debater B (round 1):\n\u2502 I am Debater B in round 1 and I defend The soup did not tremble. A is wrong, vote B." \
        in swapped
    [record] = [j for j in rec.judgments if j.order == "swapped"]
    assert record.unresolved_references == record.swap_relabel["unresolved"]


async def test_blind_and_expert_need_no_rerun() -> None:
    rec, outcome = await run("blind", "rerun")
    assert [e.step for e in rec.events if e.type == "model"] == ["judge original", "judge swapped"]
    assert "swapped_speeches" not in outcome


async def test_review_shows_the_rerun_exchange_after_the_original() -> None:
    import io

    from rich.console import Console

    from oversight.tui.views import body

    _, outcome = await run("debate", "rerun")
    console = Console(width=120, file=io.StringIO(), record=True)
    console.print(body({"protocol": "debate", "outcome": outcome}, {}).renderable)
    text = console.export_text()
    assert text.index("Round 2\n") < text.index("Round 1 (rerun, answers in the other order)")
    rerun_part = text.split("(rerun, answers in the other order)", 1)[1]
    # the rerun's speakers are named as they were called there, with the answer they defended
    assert re.search(r"Debater A \(for B, \d+ words\)\s*\n\S+ I am Debater A in round 1 and I defend She saw", rerun_part)
