"""Open roles: speakers choose the answer they defend; messy choices read or counted invalid; a
clash settled by the protagonist rule; metrics of the choices checked against a hand count."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from oversight.models import ModelPool
from oversight.models.providers import scripted
from oversight.models.types import Message
from oversight.protocol.prompts import PromptSet
from oversight.protocols.debate import DebateParams, DebateProtocol
from oversight.protocols.debate.data import DebateItem
from oversight.protocols.debate.sides import read_choice, settle
from tests.helpers.harness import context, run_units

ROOT = Path(__file__).resolve().parents[3]
ANSWERS = ["The soup did not tremble.", "She saw the reservoir."]
STORY = ("Marguerite cooked on the night train for nine years. One night the soup did not tremble "
         "where it should have, and she went forward to the driver's cab.")
CUE = "Answer I will defend:"


@pytest.mark.parametrize(("text", "expected"), [
    ("B", 1),
    ("  **A**\n\nBecause the story says so.", 0),
    ("I will defend answer B.", 1),
    ("Answer: (A) — the soup is the clue", 0),
    ("My choice is option b", 1),
    ("I considered A at first, but I choose B.", 1),
    ("B. The argument for A has an error in line 2", 1),
    ("I think 18 is right", 0),           # names one answer's text
    ("18 or 24, hard to say", None),      # names both, no letter
    ("A farmer has three cows", None),    # a sentence opening with the article "A" is no choice
    ("hmm", None),
    ("", None),
    ('\n"I will defend the answer A.\nB will defend the answer B.\nC will defend the answer C.', 0),  # local model
    ("I will defend a different answer than my opponent", None),
    ("I'll go with option (b).", 1),
])
def test_read_choice_from_messy_text(text: str, expected: int | None) -> None:
    assert read_choice(text, ["18", "24"])[0] == expected


def test_settle_follows_the_protagonist_rule() -> None:
    sides = settle({"debater_a": (1, ""), "debater_b": (1, "")}, {"debater_a": 0, "debater_b": 1})
    assert sides["debater_a"]["defends"] == 1 and sides["debater_b"]["defends"] == 0
    assert sides["debater_b"]["same_as_opponent"] and not sides["debater_a"]["same_as_opponent"]
    sides = settle({"debater_a": (None, "no choice found"), "debater_b": (0, "")}, {"debater_a": 0, "debater_b": 1})
    assert sides["debater_a"] == {"choice": None, "invalid": True, "defends": 0, "fallback": True,
                                  "same_as_opponent": False, "reason": "no choice found"}
    assert sides["debater_b"]["defends"] == 1 and sides["debater_b"]["same_as_opponent"]
    sides = settle({"debater_a": (1, ""), "debater_b": (None, "")}, {"debater_a": 0, "debater_b": 1})
    assert sides["debater_b"]["defends"] == 0 and sides["debater_b"]["fallback"]
    assert not sides["debater_b"]["same_as_opponent"]


def chooser(choice: str) -> Any:
    """A scripted speaker that answers the choice prompt with `choice` and otherwise speaks,
    saying which answer it defends."""
    def respond(messages: list[Message]) -> str:
        prompt = messages[-1].content
        if prompt.rstrip().endswith(CUE):
            return choice
        mine = re.search(r"^Your answer: (.+)$", prompt, re.MULTILINE)
        return f"I speak for {mine.group(1)} as round goes on." if mine else "I speak."
    return respond


async def run_open(choice_a: str, choice_b: str, consultant: str = "B", conditions: tuple[str, ...] = ("debate",),
                   swap: Any = False) -> list[Any]:
    scripted.register("open-a", chooser(choice_a))
    scripted.register("open-b", chooser(choice_b))
    scripted.register("open-c", chooser(consultant))
    scripted.register("open-judge", ["A, 70%"] * 20)
    pool = ModelPool(cache=None)
    proto = DebateProtocol()
    models = {"debater_a": pool.get("scripted:open-a"), "debater_b": pool.get("scripted:open-b"),
              "consultant": pool.get("scripted:open-c"), "judge": pool.get("scripted:open-judge")}
    params = DebateParams(roles="open", conditions=list(conditions), rounds=1, swap=swap)
    item = DebateItem(id="train", title="The Night Train Cook", story=STORY, question="How did she know?",
                      answers=ANSWERS, correct_index=0)
    return await run_units(proto, params, context(proto, models), [item])


def calls(rec: Any) -> list[Any]:
    return [e for e in rec.events if e.type == "model"]


async def test_debaters_choose_first_and_defend_their_choice() -> None:
    [(_, rec, outcome)] = await run_open("I'll defend B, the reservoir.", "**A**")
    steps = [e.step for e in calls(rec)]
    assert sorted(steps[:2]) == ["debater_a chooses", "debater_b chooses"] and steps[-1] == "judge original"
    for e in calls(rec)[:2]:  # the choice call reads the story first, like every call that does
        assert e.input[0]["content"].startswith("Story: The Night Train Cook")
    sides = outcome["open_roles"]
    assert sides["debater_a"]["choice"] == 1 and sides["debater_a"]["defends"] == 1
    assert sides["debater_b"]["choice"] == 0 and sides["debater_b"]["defends"] == 0
    speeches = {s["role"]: s for s in outcome["speeches"]}
    assert speeches["debater_a"]["answer_index"] == 1 and ANSWERS[1] in speeches["debater_a"]["text"]
    assert speeches["debater_b"]["answer_index"] == 0 and ANSWERS[0] in speeches["debater_b"]["text"]
    judge = "\n".join(m["content"] for m in calls(rec)[-1].input)
    # the judge names speakers by the answer they defend: debater_a defends B, so is Debater B
    assert re.search(r"Debater B \(round 1\):\n│ I speak for She saw the reservoir", judge)
    [verdict] = [e for e in rec.events if e.type == "verdict"]
    assert verdict.answer_index == 0 and verdict.winner == "debater_b"  # who defended A
    notes = [e for e in rec.events if e.type == "side_choice"]
    assert {n.role: n.defends for n in notes} == {"debater_a": 1, "debater_b": 0}


async def test_same_choice_gives_the_second_debater_the_other_answer() -> None:
    [(_, _, outcome)] = await run_open("A, definitely", "Answer: A")
    a, b = outcome["open_roles"]["debater_a"], outcome["open_roles"]["debater_b"]
    assert (a["choice"], a["defends"]) == (0, 0)
    assert (b["choice"], b["defends"], b["same_as_opponent"], b["invalid"]) == (0, 1, True, False)
    assert {s["role"]: s["answer_index"] for s in outcome["speeches"]} == {"debater_a": 0, "debater_b": 1}


async def test_an_unparseable_choice_is_recorded_and_falls_back() -> None:
    [(_, rec, outcome)] = await run_open("Let me think about the story first...", "B")
    a = outcome["open_roles"]["debater_a"]
    assert a["invalid"] and a["fallback"] and a["choice"] is None and a["defends"] == 0
    assert a["reason"] == "no choice found"
    [raw] = [e for e in calls(rec) if e.step == "debater_a chooses"]
    assert raw.content == "Let me think about the story first..."  # the raw text stays in the call
    assert outcome["open_roles"]["debater_b"]["defends"] == 1


async def test_open_consultant_argues_its_choice_and_the_rerun_keeps_the_sides() -> None:
    [(_, rec, outcome)] = await run_open("A", "B", consultant="I choose to argue for B", conditions=("consultancy",),
                                         swap="rerun")
    assert outcome["open_roles"]["consultant"]["defends"] == 1 and outcome["consultant_index"] == 1
    assert [e.step for e in calls(rec)].count("consultant chooses") == 1  # not chosen again in the rerun
    assert all(s["answer_index"] == 1 for s in outcome["speeches"] + outcome["swapped_speeches"])
    judge = "\n".join(m["content"] for m in [e for e in calls(rec) if e.step == "judge original"][0].input)
    assert "argues for answer B" in judge
    assert "chose that answer itself" in judge and "assigned that answer at random" not in judge


def transcript(tid: str, condition: str, correct: int, sides: dict[str, tuple[int | None, int]]) -> dict[str, Any]:
    return {"id": tid, "item_id": tid.split(":")[0], "condition": condition, "error": None, "outcome": {
        "condition": condition, "correct_index": correct,
        "open_roles": {role: {"choice": c, "invalid": c is None, "defends": d, "fallback": c is None,
                              "same_as_opponent": c is not None and role == "debater_b" and c != d, "reason": ""}
                       for role, (c, d) in sides.items()}}}


def judgment(tid: str, condition: str, correct: bool, order: str = "original") -> dict[str, Any]:
    return {"transcript_id": tid, "condition": condition, "order": order, "correct": correct, "invalid": False,
            "p_correct": 0.8 if correct else 0.2, "answer_index": 0, "shown_order": [0, 1],
            "judge": {"kind": "model", "id": "model:scripted"}, "judge_id": "model:scripted",
            "created_at": "2026-01-01T00:00:00", "id": f"{tid}-{order}"}


def test_open_role_metrics_match_a_hand_count() -> None:
    ts = [
        # debate: a chose correct (0) in 1, 2; wrong in 3; invalid in 4. b: same as a in 2 (assigned other).
        transcript("i1:debate", "debate", 0, {"debater_a": (0, 0), "debater_b": (1, 1)}),
        transcript("i2:debate", "debate", 1, {"debater_a": (1, 1), "debater_b": (1, 0)}),
        transcript("i3:debate", "debate", 0, {"debater_a": (1, 1), "debater_b": (None, 0)}),
        transcript("i4:debate", "debate", 0, {"debater_a": (None, 0), "debater_b": (0, 1)}),
        transcript("i1:consultancy", "consultancy", 0, {"consultant": (0, 0)}),
        transcript("i2:consultancy", "consultancy", 1, {"consultant": (0, 0)}),
    ]
    js = [judgment("i1:debate", "debate", True), judgment("i2:debate", "debate", False),
          judgment("i3:debate", "debate", True), judgment("i4:debate", "debate", True),
          judgment("i1:consultancy", "consultancy", True), judgment("i2:consultancy", "consultancy", False)]
    metrics = DebateProtocol().metrics(ts, js, DebateParams(roles="open", conditions=["debate", "consultancy"]))
    debate = metrics["open_roles"]["debate"]
    assert debate["agent"] == "debater_a" and debate["transcripts"] == 4 and debate["same_answer"] == 2
    a, b = debate["choices"]["debater_a"], debate["choices"]["debater_b"]
    assert (a["calls"], a["invalid"], a["chose_correct"]["k"], a["chose_correct"]["n"]) == (4, 1, 2, 3)
    assert (b["calls"], b["invalid"], b["chose_correct"]["k"], b["chose_correct"]["n"]) == (4, 1, 2, 3)
    assert a["chose_correct"]["ci_method"] == "wilson"
    assert debate["agent_chose_correct"]["estimate"] == pytest.approx(2 / 3, abs=1e-4)
    split = debate["accuracy_by_agent_choice"]["model:scripted"]
    assert (split["chose_correct"]["k"], split["chose_correct"]["n"]) == (1, 2)   # i1 right, i2 wrong
    assert (split["chose_incorrect"]["k"], split["chose_incorrect"]["n"]) == (1, 1)  # i3 right
    assert split["invalid_choice"] == 1  # i4 in neither
    consult = metrics["open_roles"]["consultancy"]
    assert consult["agent"] == "consultant" and "same_answer" not in consult
    assert (consult["agent_chose_correct"]["k"], consult["agent_chose_correct"]["n"]) == (1, 2)
    cs = consult["accuracy_by_agent_choice"]["model:scripted"]
    assert cs["chose_correct"]["estimate"] == 1.0 and cs["chose_incorrect"]["estimate"] == 0.0
    rows = {r["condition"]: r for r in metrics["table"]}
    assert rows["debate, debater_a chose correct"]["n"] == 2 and rows["debate, debater_a chose correct"]["acc"] == 0.5
    assert rows["consultancy, consultant chose incorrect"]["acc"] == 0.0


def test_assigned_runs_have_no_open_role_metrics() -> None:
    ts = [{"id": "i1:debate", "item_id": "i1", "condition": "debate", "error": None,
           "outcome": {"condition": "debate", "correct_index": 0}}]
    metrics = DebateProtocol().metrics(ts, [judgment("i1:debate", "debate", True)], DebateParams())
    assert "open_roles" not in metrics
    assert not any("chose" in r["condition"] for r in metrics["table"])


def test_open_experiment_file_runs_end_to_end_with_scripted_models(tmp_path: Path) -> None:
    from oversight.cli.main import main

    scripted.register("open-a", chooser("B"))
    scripted.register("open-b", chooser("B, because the reservoir"))
    scripted.register("open-c", chooser("no idea"))
    scripted.register("open-judge", ["Final answer: (B), 70%", "A, 60%"] * 40)
    args = ["run", str(ROOT / "protocols" / "debate_open.yaml"), "--runs-dir", str(tmp_path), "--limit", "2",
            "--set", "params.judge_kind=model", "--set", "cache=false", "--model", "judge=scripted:open-judge",
            "--model", "debater_a=scripted:open-a", "--model", "debater_b=scripted:open-b",
            "--model", "consultant=scripted:open-c"]
    assert main(args) == 0
    [run] = [d for d in tmp_path.iterdir() if d.is_dir()]
    transcripts = [json.loads(x) for x in (run / "transcripts.jsonl").read_text().splitlines()]
    metrics = json.loads((run / "metrics.json").read_text())
    debate = metrics["open_roles"]["debate"]
    # hand count: both debaters chose B on both items; debater_b was assigned the other answer
    assert debate["same_answer"] == 2 and debate["choices"]["debater_a"]["invalid"] == 0
    correct_b = sum(t["outcome"]["correct_index"] == 1 for t in transcripts if t["condition"] == "debate")
    assert debate["agent_chose_correct"]["k"] == correct_b and debate["agent_chose_correct"]["n"] == 2
    consult = metrics["open_roles"]["consultancy"]
    assert consult["choices"]["consultant"]["invalid"] == 2
    assert consult["accuracy_by_agent_choice"]["model:scripted:open-judge"]["invalid_choice"] == 2


@settings(max_examples=200, deadline=None)
@given(letter=st.sampled_from("AB"), verb=st.sampled_from(["I will defend", "I'll defend", "I choose", "I pick"]),
       article=st.sampled_from(["", "the ", "answer ", "the answer ", "option "]),
       tail=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_a_first_person_choice_wins_over_whatever_follows(letter: str, verb: str, article: str, tail: str) -> None:
    """Whatever a base model rambles after its choice (other speakers' lines included), the
    first first-person statement decides."""
    text = f"{verb} {article}{letter}.\n{tail}"
    assert read_choice(text, ["18", "24"])[0] == "AB".index(letter)


@settings(max_examples=200, deadline=None)
@given(first=st.sampled_from([(0, None), (1, None), (None, 0), (0, 0), (1, 1)]), b=st.sampled_from([0, 1, None]))
def test_settled_debaters_always_defend_different_answers(first: tuple[int | None, int | None], b: int | None) -> None:
    choice_a = first[0]
    sides = settle({"debater_a": (choice_a, ""), "debater_b": (b, "")}, {"debater_a": 0, "debater_b": 1})
    assert {sides["debater_a"]["defends"], sides["debater_b"]["defends"]} == {0, 1}
    if choice_a is not None:
        assert sides["debater_a"]["defends"] == choice_a  # the protagonist always keeps its choice
    if b is not None and b != sides["debater_a"]["defends"]:
        assert sides["debater_b"]["defends"] == b and not sides["debater_b"]["same_as_opponent"]


def test_the_choice_call_shares_the_story_opening_of_the_speeches() -> None:
    proto = DebateProtocol()
    params = DebateParams(roles="open", conditions=["debate", "consultancy"])
    shared = proto.shared_prefix_for(params)
    assert set(shared["story"]) == {"debater", "consultant", "choose_answer"}
    prompts = PromptSet(proto.prompt_package, proto.templates)
    assert prompts.prefix_warnings(shared, proto.same_per_item) == []
    assert proto.shared_prefix_for(DebateParams(passage="none", conditions=["debate"])) == {}
