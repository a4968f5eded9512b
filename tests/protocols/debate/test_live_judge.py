"""A person as the interactive judge of a live debate, driven by a scripted "person" at the graph
level: the question reaches the debater's next speech, the verdict is a human judgment, and a
session stopped at a pause resumes exactly there with no model call made twice."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from oversight.core.errors import UserError
from oversight.log.texts import MemoryTexts
from oversight.models import ModelPool
from oversight.models.providers import scripted
from oversight.models.types import Message
from oversight.protocol.contract import LiveStep
from oversight.protocol.journal import UnitJournal
from oversight.protocol.recorder import Recorder
from oversight.protocols.debate import DebateParams, DebateProtocol
from oversight.protocols.debate.data import DebateItem
from oversight.protocols.debate.live import answer_problem
from tests.helpers.harness import context

STORY = ("Marguerite cooked on the night train for nine years. Over the viaduct at Penhallow the soup trembled.\n"
         "One night the soup did not tremble where it should have, and she went forward to the driver's cab.")
QUESTION = "Where  does the story say the soup *didn't* tremble?? quote it"
PARAMS = {"conditions": ["debate"], "rounds": 3, "judge_questions": 2, "judge_kind": "model", "judge_format": "text"}
CALLS: Counter[str] = Counter()


def debater(messages: list[Message]) -> str:
    prompt = messages[-1].content
    name, rnd = re.findall(r"\n(Debater [AB]|Consultant) \(round (\d+)\):\s*$", prompt)[0]
    CALLS[f"{name} {rnd}"] += 1
    asked = prompt.split("The judge asked you these questions")[1:]
    answered = " I answer the judge: over the viaduct." if asked and "tremble" in asked[0] else ""
    return f"{name}, round {rnd} -- well, <quote>the soup did not tremble</quote>!{answered}"


def judge(messages: list[Message]) -> str:
    CALLS["judge"] += 1
    return "A, 60%"


def item() -> DebateItem:
    return DebateItem(id="train", title="The Night Train Cook", story=STORY, question="How did she know?",
                      answers=["The soup did not tremble.", "She saw the reservoir."], correct_index=0)


def setup() -> tuple[DebateProtocol, Any, Any]:
    CALLS.clear()
    scripted.register("live-debater", debater)
    scripted.register("live-judge", judge)
    pool = ModelPool(cache=None)
    proto = DebateProtocol()
    models = {r: pool.get("scripted:live-debater") for r in ("debater_a", "debater_b", "consultant")}
    models["judge"] = pool.get("scripted:live-judge")
    params = DebateParams(**PARAMS, swap=True)
    [unit] = proto.units([item()], params, 0)
    return proto, context(proto, models, texts=MemoryTexts()), (unit, params)


async def session(proto: DebateProtocol, run: Any, unit: Any, params: DebateParams, folder: Path,
                  answers: list[Any], show: Any = None) -> tuple[Recorder, LiveStep, list[dict[str, Any]]]:
    """One sitting: go on from wherever the unit stands, answer each pause from `answers` until
    they run out (the person quits) or the unit ends; progress payloads go to `show`."""
    rec = Recorder(run, unit, UnitJournal(folder / "unit.jsonl", "attempt1"))
    seen = []
    async with AsyncSqliteSaver.from_conn_string(str(folder / "live.sqlite")) as saver:
        resume = None
        while True:
            step = await proto.run_unit_live(unit, params, rec, checkpointer=saver, thread_id="train:debate:1",
                                             judge_id="ana", resume=resume, show=show)
            if step.paused is None or not answers:
                return rec, step, seen
            seen.append(step.paused)
            resume = answers.pop(0)


ASK_B = {"action": "ask", "questions": [{"to": "B", "text": QUESTION}]}
CONTINUE = {"action": "ask", "questions": []}
VERDICT = {"action": "end", "choice": 1, "probability": 0.8, "comment": "B dodged the question."}


async def test_the_person_asks_the_answer_arrives_and_the_verdict_is_a_human_judgment(tmp_path: Path) -> None:
    proto, run, (unit, params) = setup()
    rec, step, seen = await session(proto, run, unit, params, tmp_path, [ASK_B, CONTINUE, VERDICT])
    assert step.outcome is not None
    assert [p["kind"] for p in seen] == ["decision", "decision", "verdict"]
    assert seen[0]["to"] == ["A", "B", "both"] and seen[0]["max_questions"] == 2
    assert "Debater A, round 1" in seen[0]["view"]["variables"]["transcript"]
    speeches = {(s["role"], s["round"]): s["text"] for s in step.outcome["speeches"]}
    assert "I answer the judge" in speeches[("debater_b", 2)]
    assert "I answer the judge" not in speeches[("debater_a", 2)]  # asked B only
    assert CALLS["judge"] == 0  # the person replaced every judge call, swapped view included
    [judgment] = [j.to_record() for j in rec.judgments]
    assert judgment["judge"] == {"kind": "human", "id": "ana"}
    assert judgment["order"] == "original" and judgment["correct"] is False
    assert judgment["p_correct"] == pytest.approx(0.2)
    asked = [e for e in rec.events if e.type == "judge_question"]
    assert [(e.to, e.text) for e in asked] == [("debater_b", QUESTION)]


async def test_ending_early_gives_one_verdict_and_no_more_rounds(tmp_path: Path) -> None:
    proto, run, (unit, params) = setup()
    rec, step, seen = await session(proto, run, unit, params, tmp_path, [{**VERDICT, "choice": 0, "probability": 1}])
    assert step.outcome is not None and step.outcome["ended_round"] == 1
    assert [p["kind"] for p in seen] == ["decision"]
    assert sum(CALLS.values()) == 2
    [judgment] = [j.to_record() for j in rec.judgments]
    assert judgment["judge"]["kind"] == "human" and judgment["correct"] is True


async def test_quitting_at_a_pause_resumes_there_with_no_call_repeated(tmp_path: Path) -> None:
    proto, run, (unit, params) = setup()
    _, first, _ = await session(proto, run, unit, params, tmp_path, [ASK_B])  # quits at round 2's decision
    assert first.paused is not None and first.paused["round"] == 2
    before = dict(CALLS)
    assert before == {"Debater A 1": 1, "Debater B 1": 1, "Debater A 2": 1, "Debater B 2": 1}
    # a new process: new recorder, new checkpointer on the same files
    rec, again, _ = await session(proto, run, unit, params, tmp_path, [])
    assert again.paused is not None and again.paused["round"] == 2
    assert again.paused["view"] == first.paused["view"]
    assert dict(CALLS) == before
    rec, done, _ = await session(proto, run, unit, params, tmp_path, [CONTINUE, VERDICT])
    assert done.outcome is not None
    assert all(n == 1 for n in CALLS.values()) and len(CALLS) == 6
    steps = [e.step for e in rec.events if e.type == "model"]
    assert sorted(steps) == sorted(set(steps)) and len(steps) == 6  # the transcript holds every call once
    assert len([e for e in rec.events if e.type == "judge_decision"]) == 2
    assert len(rec.judgments) == 1


async def test_a_bad_answer_is_refused_with_one_line(tmp_path: Path) -> None:
    proto, run, (unit, params) = setup()
    with pytest.raises(UserError, match="probability 0.3"):
        await session(proto, run, unit, params, tmp_path, [{**VERDICT, "probability": 0.3}])
    to = ["A", "B", "both"]
    assert "question 1 is empty" in answer_problem({"action": "ask", "questions": [{"to": "A", "text": "  "}]}, 2, to)
    assert "whom" in answer_problem({"action": "ask", "questions": [{"to": None, "text": "why?"}]}, 2, to)
    assert "at most 1" in answer_problem({"action": "ask", "questions": [{"to": "A", "text": "x"}] * 2}, 1, to)
    assert "give your verdict" in answer_problem(CONTINUE, 0, to, verdict_only=True)
    assert answer_problem(VERDICT, 2, to) is None


async def test_each_speech_is_shown_as_it_is_spoken_in_the_view_the_pause_shows(tmp_path: Path) -> None:
    proto, run, (unit, params) = setup()
    shows: list[dict[str, Any]] = []
    a_shown = asyncio.Event()

    def show(payload: dict[str, Any]) -> None:
        shows.append(payload)
        if "Debater A, round 1" in payload["view"]["variables"]["transcript"]:
            a_shown.set()

    def b_waits_for_a(messages: list[Message]) -> Any:
        async def later() -> str:  # like a model over the network: the other speaker's node runs meanwhile
            await asyncio.sleep(0.01)
            if re.search(r"\nDebater B \(round 1\):\s*$", messages[-1].content):
                await asyncio.wait_for(a_shown.wait(), 5)  # B finishes after A is on screen
            return debater(messages)
        return later()

    scripted.register("live-debater", b_waits_for_a)
    _, first, _ = await session(proto, run, unit, params, tmp_path, [], show=show)
    assert first.paused is not None and all(p["kind"] == "progress" for p in shows)
    texts = [p["view"]["variables"]["transcript"] for p in shows]
    seen_a = next(i for i, t in enumerate(texts) if "Debater A, round 1" in t)
    assert "Debater B, round 1" not in texts[seen_a] and shows[seen_a]["speaking"] == ["Debater B"]
    assert shows[1]["speaking"] == ["Debater A", "Debater B"] and "(no speeches yet)" in texts[1]  # before any is back
    # B's node never saw A's speech in its state; what the person is shown after it has both,
    # and it is the pause's own view: the same blinding, word for word
    assert shows[-1]["speaking"] == [] and shows[-1]["view"] == first.paused["view"]
    assert "Marguerite" not in repr(shows) and "scripted" not in repr(shows)


class Killed(BaseException):
    """Stands for the process dying mid-node (not an error any retry would catch)."""


async def test_a_node_killed_after_one_of_its_calls_resumes_with_that_call_journaled(tmp_path: Path) -> None:
    proto, run, (unit, _) = setup()
    params = DebateParams(**{**PARAMS, "roles": "open"}, swap=False)
    chose: list[str] = []
    kill = [True]

    def chooser_or_debater(messages: list[Message]) -> str:
        prompt = messages[-1].content
        if "(round " not in prompt[-40:]:  # the open-roles choice: both speakers in one node, at once
            chose.append(prompt)
            if len(chose) == 2 and kill and kill.pop():
                raise Killed
            return "I will defend answer A." if len(chose) == 1 else "I choose B."
        return debater(messages)

    scripted.register("live-debater", chooser_or_debater)
    with pytest.raises(Killed):
        await session(proto, run, unit, params, tmp_path, [])
    assert len(chose) == 2
    rec, step, _ = await session(proto, run, unit, params, tmp_path, [])
    assert step.paused is not None and step.paused["round"] == 1
    assert len(chose) == 3  # the finished choice was never asked again; the killed one was
    steps = [e.step for e in rec.events if e.type == "model"]
    assert sorted(s for s in steps if "chooses" in s) == ["debater_a chooses", "debater_b chooses"]
    assert len([e for e in rec.events if e.type == "side_choice"]) == 2


def test_a_journal_line_cut_short_by_a_crash_is_dropped_and_the_file_stays_readable(tmp_path: Path) -> None:
    path = tmp_path / "unit.jsonl"
    journal = UnitJournal(path, "att1")
    journal.claim_event({"type": "quote_check", "role": "debater_a", "round": 1})
    with path.open("ab") as f:
        f.write(b'{"event": {"type": "model", "role": "deb')  # the process died mid-write
    again = UnitJournal(path, "other")
    assert again.attempt == "att1" and len(again.events) == 1
    again.claim_event({"type": "quote_check", "role": "debater_b", "round": 1})
    third = UnitJournal(path, "other")
    assert [e["role"] for e in third.events] == ["debater_a", "debater_b"]
    with pytest.raises(UserError, match="line 2 is not JSON"):
        path.write_bytes(b'{"attempt": "a"}\nnot json\n{"event": {}}\n')
        UnitJournal(path, "x")
