"""The debate protocol with scripted models: turn order, quotes, conditions, swap, judges, metrics."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from oversight.models import ModelPool
from oversight.models.providers import scripted
from oversight.models.providers.scripted import ScriptedProvider
from oversight.models.types import (
    Completion,
    GenerateConfig,
    Message,
    TokenLogprob,
    TopLogprob,
)
from oversight.protocol.prompts import PromptSet
from tests.helpers.harness import Bound, context, run_units
from oversight.protocol.contract import Recorder, Unit
from oversight.protocol.registry import get_protocol
from oversight.protocols.debate import DebateParams, DebateProtocol, assign_consultants
from oversight.protocols.debate.data import DebateItem
from oversight.protocols.debate.graph import cut_words

ROOT = Path(__file__).resolve().parents[3]
STORY = (
    "Marguerite cooked on the night train for nine years. Over the viaduct at Penhallow the soup trembled.\n"
    "One night the soup did not tremble where it should have, and she went forward to the driver's cab.\n\n"
    "A points lever at Penhallow junction had frozen halfway."
)
SECRET = "A points lever at Penhallow junction had frozen halfway"  # no scripted speech quotes this


def make_item(item_id: str = "train", correct: int = 0) -> DebateItem:
    return DebateItem(
        id=item_id, title="The Night Train Cook", story=STORY, question="How did she know?",
        answers=["The soup did not tremble.", "She saw the reservoir."], correct_index=correct,
    )


def debater_script(messages: list[Message]) -> str:
    """Says who is speaking and in which round, with one real and one invented quote."""
    prompt = messages[-1].content
    name, rnd = re.findall(r"\n(Debater [AB]|Consultant) \(round (\d+)\):\s*$", prompt)[0]
    return (f"{name} speaking in round {rnd}. The story says <quote>the soup did not\ntremble where it "
            f"should have</quote>, not <quote>she saw the reservoir out of the window</quote>.")


def setup(params: DebateParams, judge: Any = "A, 70%", generation: dict[str, GenerateConfig] | None = None
          ) -> tuple[DebateProtocol, Bound]:
    scripted.register("debater", debater_script)
    scripted.register("judge", judge if callable(judge) or isinstance(judge, list) else [judge])
    pool = ModelPool(cache=None)
    proto = DebateProtocol()
    models = {r: pool.get("scripted:debater") for r in ("debater_a", "debater_b", "consultant")}
    models["judge"] = pool.get("scripted:judge")
    return proto, Bound(context(proto, models, generation), params)


async def run_all(proto: DebateProtocol, ctx: Bound, items: list[DebateItem]
                  ) -> list[tuple[Unit, Recorder, dict[str, Any]]]:
    return await run_units(proto, ctx.params, ctx.run, items)


def model_events(rec: Recorder, role: str | None = None) -> list[Any]:
    return [e for e in rec.events if e.type == "model" and (role is None or e.role == role)]


def judge_prompt(rec: Recorder, order: str = "original") -> str:
    [event] = [e for e in model_events(rec, "judge") if e.step == f"judge {order}"]
    return "\n".join(m["content"] for m in event.input)


async def test_simultaneous_rounds_hide_the_current_round() -> None:
    proto, ctx = setup(DebateParams(conditions=["debate"], rounds=3, turns="simultaneous", swap=False))
    [(_, rec, outcome)] = await run_all(proto, ctx, [make_item()])
    speeches = model_events(rec)[:-1]
    assert [e.role for e in model_events(rec)][-1] == "judge"
    rounds = [e.step.split()[-1] for e in speeches]
    assert sorted(rounds[:2]) == ["1", "1"] and sorted(rounds[2:4]) == ["2", "2"] and sorted(rounds[4:]) == ["3", "3"]
    for e in speeches:
        seen = e.input[-1]["content"]
        rnd = int(e.step.split()[-1])
        for other in (1, 2, 3):
            for name in ("Debater A", "Debater B"):
                assert (f"{name} speaking in round {other}" in seen) == (other < rnd), (e.step, name, other)
    assert [(s["round"], s["role"]) for s in outcome["speeches"]] == [
        (r, role) for r in (1, 2, 3) for role in ("debater_a", "debater_b")]


async def test_sequential_rounds_let_b_answer_a() -> None:
    proto, ctx = setup(DebateParams(conditions=["debate"], rounds=2, turns="sequential", swap=False))
    [(_, rec, _)] = await run_all(proto, ctx, [make_item()])
    steps = [e.step for e in model_events(rec)]
    assert steps == ["debater_a round 1", "debater_b round 1", "debater_a round 2", "debater_b round 2",
                     "judge original"]
    b1 = model_events(rec, "debater_b")[0].input[-1]["content"]
    assert "Debater A speaking in round 1" in b1
    a2 = model_events(rec, "debater_a")[1].input[-1]["content"]
    assert "Debater B speaking in round 1" in a2 and "in round 2" not in a2.split("Debate so far")[1]


async def test_quotes_are_checked_logged_and_marked_for_the_judge() -> None:
    proto, ctx = setup(DebateParams(conditions=["debate"], rounds=1, swap=False))
    [(_, rec, outcome)] = await run_all(proto, ctx, [make_item()])
    checks = [e for e in rec.events if e.type == "quote_check"]
    assert len(checks) == 2
    for check in checks:
        real, invented = check.quotes
        assert real["verified"] and real["exact"] and not real["verbatim"] and real["fuzzy"] == 100.0
        assert not invented["verified"] and invented["fuzzy"] < 100
        assert check.n_quotes == 2 and check.n_verified == 1
    prompt = judge_prompt(rec)
    assert "<v_quote>the soup did not\n\u2502 tremble where it should have</v_quote>" in prompt
    assert "<u_quote>she saw the reservoir out of the window</u_quote>" in prompt
    assert "<quote>" not in prompt
    assert outcome["quote_stats"] == {"quotes": 4, "verified": 2}


async def test_judge_sees_the_story_only_in_expert() -> None:
    proto, ctx = setup(DebateParams(rounds=1, swap=False))
    results = await run_all(proto, ctx, [make_item()])
    assert [u.condition for u, _, _ in results] == ["debate", "consultancy", "blind", "expert"]
    for unit, rec, _ in results:
        prompt = judge_prompt(rec)
        assert (SECRET in prompt) == (unit.condition == "expert"), unit.condition
        assert ("Marguerite cooked on the night train" in prompt) == (unit.condition == "expert")
        for e in model_events(rec):  # everyone but the judge reads the story
            if e.role != "judge":
                assert SECRET in e.input[0]["content"]
        if unit.condition == "blind":
            assert "Debater" not in prompt and "Consultant (round" not in prompt
        assert unit.id == f"train:{unit.condition}"


async def test_judge_input_in_the_transcript_is_exactly_what_the_model_received() -> None:
    proto, ctx = setup(DebateParams(conditions=["debate", "expert"], rounds=1))
    results = await run_all(proto, ctx, [make_item()])
    logged = [e.input for _, rec, _ in results for e in model_events(rec, "judge")]
    sent = [[m.model_dump() for m in call] for call in scripted.CALLS["judge"]]
    assert logged == sent and len(sent) == 4


async def test_swap_reverses_answers_and_labels_and_maps_verdicts_back() -> None:
    proto, ctx = setup(DebateParams(conditions=["debate"], rounds=1, swap=True), judge="A, 80%")
    [(unit, rec, outcome)] = await run_all(proto, ctx, [make_item(correct=0)])
    original, swapped = judge_prompt(rec, "original"), judge_prompt(rec, "swapped")
    assert "A: The soup did not tremble.\nB: She saw the reservoir." in original
    assert "A: She saw the reservoir.\nB: The soup did not tremble." in swapped
    # debater_a defended answers[0], shown second in the swapped view: it is "Debater B" there
    assert "Debater B (round 1):\n\u2502 Debater B speaking in round 1" in swapped
    assert swapped.index("Debater A (round 1)") < swapped.index("Debater B (round 1)")
    verdicts = {j.order: j for j in rec.judgments}
    assert verdicts["original"].answer_index == 0 and verdicts["original"].correct is True
    assert verdicts["swapped"].answer_index == 1 and verdicts["swapped"].correct is False
    assert verdicts["original"].p_correct == pytest.approx(0.8)
    assert verdicts["swapped"].p_correct == pytest.approx(0.2)
    assert verdicts["swapped"].shown_order == [1, 0]
    assert verdicts["original"].winner == "debater_a" and verdicts["swapped"].winner == "debater_b"
    assert all(j.transcript_id == unit.id and j.judge.id == "model:scripted:judge" for j in rec.judgments)
    assert [v["order"] for v in outcome["verdicts"]] == ["original", "swapped"]


def test_consultancy_sides_are_balanced_and_seeded() -> None:
    items = [make_item(f"i{i}", correct=i % 2) for i in range(10)]
    sides = assign_consultants(items, seed=3)
    honest = [sides[i.id] == i.correct_index for i in items]
    assert sum(honest) == 5
    assert assign_consultants(items, seed=3) == sides
    assert any(assign_consultants(items, seed=s) != sides for s in range(1, 6))
    odd = assign_consultants(items[:7], seed=0)
    assert sum(odd[i.id] == i.correct_index for i in items[:7]) in (3, 4)
    units = DebateProtocol().units(items, DebateParams(conditions=["consultancy"]), 3)
    assert [u.data["consultant_correct"] for u in units] == honest
    assert all(u.data["consultant_index"] == sides[u.item_id] for u in units)


async def test_consultant_argues_its_assigned_side() -> None:
    proto, ctx = setup(DebateParams(conditions=["consultancy"], rounds=2, swap=True), judge="B, 60%")
    items = [make_item("x", correct=0), make_item("y", correct=0)]
    results = await run_all(proto, ctx, items)
    assert sorted(u.data["consultant_correct"] for u, _, _ in results) == [False, True]
    for unit, rec, outcome in results:
        index = unit.data["consultant_index"]
        letter = "AB"[index]
        assert [e.step for e in model_events(rec)] == ["consultant round 1", "consultant round 2",
                                                       "judge original", "judge swapped"]
        consultant_prompt = "\n\n".join(m["content"] for m in model_events(rec, "consultant")[0].input)
        assert f'You argue for your answer, "{unit.item.answers[index]}"' in consultant_prompt
        # the consultant's prompt never names an answer by letter outside the story (speeches stay letter-free)
        assert not re.search(r"\b(?:answer|Answer) [AB]\b", consultant_prompt.split("Story:")[0] +
                             consultant_prompt.split(unit.item.story)[1])
        assert f"argues for answer {letter}" in judge_prompt(rec, "original")
        assert f"argues for answer {'BA'[index]}" in judge_prompt(rec, "swapped")
        assert outcome["consultant_index"] == index
        for j in rec.judgments:
            assert j.consultant_correct == (index == 0)
            assert j.sided_with_consultant == (j.answer_index == index)


async def test_unparseable_verdicts_are_recorded_invalid() -> None:
    proto, ctx = setup(DebateParams(conditions=["blind"], swap=True),
                       judge=["Neither answer is supported.", "Based on the question, I believe the answer is"])
    [(_, rec, outcome)] = await run_all(proto, ctx, [make_item()])
    assert len(rec.judgments) == 2
    assert all(j.invalid and j.answer_index is None and j.correct is None for j in rec.judgments)
    assert [j.raw for j in rec.judgments] == ["Neither answer is supported.",
                                              "Based on the question, I believe the answer is"]
    assert [v["invalid"] for v in outcome["verdicts"]] == [True, True]
    assert [e.type for e in rec.events].count("verdict") == 2


def capture_configs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, GenerateConfig]]:
    seen: list[tuple[str, GenerateConfig]] = []
    original = ScriptedProvider.generate

    async def spy(self: ScriptedProvider, messages: list[Message], config: GenerateConfig) -> Completion:
        seen.append((self.spec.model, config))
        return await original(self, messages, config)

    monkeypatch.setattr(ScriptedProvider, "generate", spy)
    return seen


def logprob_completion(top: dict[str, float]) -> Completion:
    alts = [TopLogprob(token=t, logprob=math.log(p)) for t, p in top.items()]
    first = max(top, key=top.__getitem__)
    return Completion(text=first, logprobs=[TokenLogprob(token=first, logprob=math.log(top[first]), top=alts)])


async def test_logprob_judge_reads_first_token_and_asks_for_one_token(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = capture_configs(monkeypatch)
    judge = [logprob_completion({" A": 0.6, " B": 0.2, "\n": 0.2}), logprob_completion({" B": 0.5, "(A": 0.3, " the": 0.2})]
    proto, ctx = setup(DebateParams(conditions=["blind"], judge_kind="logprob", top_logprobs=7), judge=judge)
    [(_, rec, _)] = await run_all(proto, ctx, [make_item(correct=1)])
    assert len(seen) == 2
    for _, cfg in seen:
        assert cfg.logprobs and cfg.top_logprobs == 7 and cfg.max_tokens == 1
    original, swapped = rec.judgments
    assert original.answer_index == 0 and original.probs == pytest.approx([0.75, 0.25])
    assert original.p_correct == pytest.approx(0.25) and original.correct is False
    # swapped view: shown B is original answer 0; P(shown A)=0.375 -> original answer 1
    assert swapped.answer_index == 0 and swapped.probs == pytest.approx([0.625, 0.375])
    assert swapped.judge.id == "logprob:scripted:judge"
    assert original.logprob_read["mass"] == pytest.approx(0.8)


async def test_logprob_judge_falls_back_to_text_without_logprobs() -> None:
    proto, ctx = setup(DebateParams(conditions=["blind"], judge_kind="logprob", swap=False), judge="B")
    [(_, rec, _)] = await run_all(proto, ctx, [make_item(correct=1)])
    [j] = rec.judgments
    assert j.answer_index == 1 and j.correct is True and j.p_correct is None
    assert "fallback" in j.logprob_read


async def test_speech_overrides_respect_generation_config(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = capture_configs(monkeypatch)
    generation = {"debater_b": GenerateConfig(stop=["END"], max_tokens=40)}
    proto, ctx = setup(DebateParams(conditions=["debate"], rounds=1, word_limit=50, swap=False),
                       generation=generation)
    await run_all(proto, ctx, [make_item()])
    configs = [c for name, c in seen if name == "debater"]
    by_stop = {tuple(c.stop or []): c for c in configs}
    default = by_stop[("\nDebater A", "\nDebater B", "\nConsultant", "\nJudge")]
    assert default.max_tokens == 116
    assert by_stop[("END",)].max_tokens == 40


async def test_long_speeches_are_cut_to_the_word_limit() -> None:
    proto, ctx = setup(DebateParams(conditions=["consultancy"], rounds=1, word_limit=13, swap=False))
    [(_, _, outcome)] = await run_all(proto, ctx, [make_item()])
    [speech] = outcome["speeches"]
    assert speech["words"] == 13 and speech["truncated"]
    assert speech["text"].endswith("<quote>the soup did not\ntremble")
    # the quote cut open by the limit still gets checked (and is a real prefix of the story)
    assert speech["quotes"][0]["unclosed"] and speech["quotes"][0]["verified"]
    assert cut_words("one two  three", 5) == ("one two  three", 3, False)


def test_params_roles_and_templates() -> None:
    with pytest.raises(ValidationError):
        DebateParams(conditions=["debate", "debate"])
    with pytest.raises(ValidationError):
        DebateParams(rounds_typo=3)  # type: ignore[call-arg]
    proto = get_protocol("debate")
    assert isinstance(proto, DebateProtocol)
    assert proto.roles(DebateParams()) == {"debater_a", "debater_b", "consultant", "judge"}
    assert proto.roles(DebateParams(conditions=["blind", "expert"])) == {"judge"}
    prompts = PromptSet(proto.prompt_package, proto.templates)
    for name in ("judge_debate", "judge_consultancy", "judge_blind"):
        assert "story" not in prompts.templates[name].fields()
    for name, template in prompts.templates.items():
        assert template.text.rstrip().endswith(":"), name  # a cue for base models


def test_experiment_file_runs_end_to_end_with_scripted_models(tmp_path: Path) -> None:
    from oversight.cli.main import main

    scripted.register("debater", debater_script)
    scripted.register("judge", ["I think A... Final answer: (B), 70%", "**Answer: A** (confidence: 0.6)", "Neither"])
    args = ["run", str(ROOT / "protocols" / "debate.yaml"), "--runs-dir", str(tmp_path), "--limit", "2",
            "--set", "params.judge_kind=model", "--set", "cache=false"]
    for role in ("debater_a", "debater_b", "consultant"):
        args += ["--model", f"{role}=scripted:debater"]
    args += ["--model", "judge=scripted:judge"]
    assert main(args) == 0
    [run] = [d for d in tmp_path.iterdir() if d.is_dir()]
    transcripts = [json.loads(x) for x in (run / "transcripts.jsonl").read_text().splitlines()]
    judgments = [json.loads(x) for x in (run / "judgments.jsonl").read_text().splitlines()]
    assert len(transcripts) == 8 and {t["condition"] for t in transcripts} == {"debate", "consultancy", "blind", "expert"}
    assert all(t["error"] is None for t in transcripts)
    assert len(judgments) == 16
    metrics = json.loads((run / "metrics.json").read_text())
    conditions = {"debate", "consultancy", "blind", "expert"}
    assert {r["condition"] for r in metrics["table"]} == conditions | {"debate - consultancy", "debate - blind",
                                                                        "debate - expert"}
    assert sum(v["invalid"] for c in metrics["conditions"].values() for v in c.values()) > 0


def test_failed_units_are_counted_per_condition_in_metrics(tmp_path: Path) -> None:
    from oversight.cli.main import main
    from oversight.models.providers.base import ProviderError

    def judge(messages: list[Message]) -> Any:
        if "consultant" in messages[-1].content.lower():
            return ProviderError("HTTP 400: context too long", retryable=False, status=400)
        return "A, 70%"

    scripted.register("debater", debater_script)
    scripted.register("judge", judge)
    args = ["run", str(ROOT / "protocols" / "debate.yaml"), "--runs-dir", str(tmp_path), "--limit", "2",
            "--set", "params.judge_kind=model", "--set", "cache=false", "--model", "judge=scripted:judge"]
    for role in ("debater_a", "debater_b", "consultant"):
        args += ["--model", f"{role}=scripted:debater"]
    assert main(args) == 1
    [run] = [d for d in tmp_path.iterdir() if d.is_dir()]
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["failed_transcripts"] == {"consultancy": 2}
    assert metrics["run"]["units_failed"] == 2
    rows = {r["condition"]: r for r in metrics["table"]}
    assert rows["consultancy"] == {"condition": "consultancy", "n": 0, "units failed": 2}  # shown, not dropped
    assert "debate - consultancy" not in rows
    judged = {json.loads(x)["transcript_id"] for x in (run / "judgments.jsonl").read_text().splitlines()}
    assert not any(t.endswith(":consultancy") for t in judged)


def test_a_repeated_condition_is_a_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from oversight.cli.main import main

    assert main(["validate", str(ROOT / "protocols" / "debate.yaml"), "--set", "params.conditions=[blind, blind]"]) == 2
    err = capsys.readouterr().err
    assert "params.conditions" in err and "'blind' is repeated" in err
