"""The critique protocol graph with scripted models: what each condition sees, grading, recursion."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from oversight.cli.main import main
from oversight.core.errors import UserError
from oversight.models import GenerateConfig, Message, ModelPool
from oversight.models.providers import scripted
from oversight.models.providers.scripted import ScriptedProvider
from oversight.models.types import Completion
from oversight.protocol.prompts import PromptSet
from tests.helpers.harness import Bound, context, run_units
from oversight.protocol.contract import Recorder
from oversight.protocol.registry import get_protocol
from oversight.protocols.critique import CritiqueParams, CritiqueProtocol
from oversight.protocols.critique.data import FlawedAnswerItem, GoldFlaw

REPO = Path(__file__).resolve().parents[3]
PROTOCOL: CritiqueProtocol = get_protocol("critique")  # type: ignore[assignment]

ITEM = FlawedAnswerItem(
    id="lighthouse",
    context="Agnes Morrow became keeper in 1902. She retired in 1938. The light was automated in 1961.",
    question="What changed while Morrow was keeper?",
    answer="Morrow became keeper in 1912 and automated the light before she retired.",
    flaws=[GoldFlaw(description="Gives 1912 as the start year; the passage says 1902.", severity=2,
                    category="wrong_number"),
           GoldFlaw(description="Says she automated the light; automation came in 1961, after she retired.", severity=3,
                    category="contradiction")],
)
CRITIQUE_1 = "The start year is 1902, not 1912."
CRITIQUE_2 = "Automation was in 1961, after her retirement."


def grade_by_year(messages: list[Message]) -> str:
    """A grader that matches on the year a report mentions."""
    report = messages[-1].content.rsplit("Reported flaw:", 1)[1]
    if "1902" in report:
        return "A - both are about the wrong start year"
    if "1961" in report:
        return "B - both say automation came later"
    return "None - not one of the known flaws"


def judge_script(messages: list[Message]) -> str:
    text = messages[-1].content
    if CRITIQUE_1 in text:  # assisted: finds both, plus one invented flaw
        return " She started in 1902.\n2. Automation happened in 1961.\n3. The answer is too short."
    return " She started in 1902, not 1912.\n\nQuestion: next"


def make_ctx(params: CritiqueParams, models: dict[str, str], **generation: GenerateConfig) -> Bound:
    pool = ModelPool(cache=None)
    run = context(PROTOCOL, {role: pool.get(f"scripted:{name}") for role, name in models.items()}, dict(generation), seed=7)
    return Bound(run, params)


async def run_all(ctx: Bound, items: list[FlawedAnswerItem]) -> dict[str, Recorder]:
    recs = {}
    for unit, rec, outcome in await run_units(PROTOCOL, ctx.params, ctx.run, items):
        rec.outcome = outcome  # type: ignore[attr-defined]
        recs[unit.id] = rec
    return recs


def model_events(rec: Recorder, role: str) -> list[Any]:
    return [e for e in rec.events if e.type == "model" and e.role == role]


def template(name: str) -> str:
    return (resources.files(PROTOCOL.prompt_package) / f"{name}.txt").read_text(encoding="utf-8")


@pytest.fixture
def standard_models() -> dict[str, str]:
    scripted.register("critic", [f"1. {CRITIQUE_1}\n2. {CRITIQUE_2}\n3. None"])
    scripted.register("judge", judge_script)
    scripted.register("grader", grade_by_year)
    return {"critic": "critic", "judge": "judge", "grader": "grader"}


async def test_each_condition_sees_exactly_its_inputs(standard_models: dict[str, str]) -> None:
    recs = await run_all(make_ctx(CritiqueParams(), standard_models), [ITEM])
    assert list(recs) == ["lighthouse:unassisted", "lighthouse:assisted"]
    base = {"context": ITEM.context, "question": ITEM.question, "answer": ITEM.answer}

    unassisted = recs["lighthouse:unassisted"]
    assert model_events(unassisted, "critic") == []
    [judge] = model_events(unassisted, "judge")
    assert judge.input == [{"role": "user", "content": template("judge_unassisted").format(**base).strip("\n")}]
    assert CRITIQUE_1 not in judge.input[0]["content"] and "critique" not in judge.input[0]["content"].lower()
    assert "critiques" not in unassisted.outcome  # type: ignore[attr-defined]

    assisted = recs["lighthouse:assisted"]
    [critic] = model_events(assisted, "critic")
    assert critic.input[0]["content"] == template("critic").format(**base, max_critiques=3).strip("\n")
    [judge] = model_events(assisted, "judge")
    shown = f"Critique 1: {CRITIQUE_1}\nCritique 2: {CRITIQUE_2}"
    assert judge.input[0]["content"] == template("judge_assisted").format(**base, critiques=shown).strip("\n")
    assert assisted.outcome["shown_critiques"] == shown  # type: ignore[attr-defined]
    assert assisted.outcome["judge_view"] == {**base, "critiques": shown}  # type: ignore[attr-defined]
    assert unassisted.outcome["judge_view"] == base  # type: ignore[attr-defined]
    # The critic ran once in all: only for the assisted unit.
    assert len(scripted.CALLS["critic"]) == 1


async def test_grader_matches_reports_to_gold_and_marks_the_rest_unconfirmed(standard_models: dict[str, str]) -> None:
    recs = await run_all(make_ctx(CritiqueParams(), standard_models), [ITEM])
    assisted = recs["lighthouse:assisted"]
    outcome = assisted.outcome  # type: ignore[attr-defined]
    assert outcome["flaws_reported"] == ["She started in 1902.", "Automation happened in 1961.",
                                         "The answer is too short."]
    assert [(m["gold_index"], m["confirmed"]) for m in outcome["report_matches"]] == [
        (0, True), (1, True), (None, False)]
    assert outcome["report_matches"][2]["reason"] == "not one of the known flaws"
    assert outcome["recall"] == 1.0 and outcome["precision"] == pytest.approx(2 / 3)
    assert [m["gold_index"] for m in outcome["critique_matches"]] == [0, 1]
    grader_prompt = model_events(assisted, "grader")[0].input[0]["content"]
    assert "A. Gives 1912 as the start year" in grader_prompt and "B. Says she automated" in grader_prompt
    notes = [e for e in assisted.events if e.type == "grader_match"]
    assert len(notes) == 5 and all(n.reason is not None for n in notes)
    [judgment] = assisted.judgments
    record = judgment.to_record()
    assert record["judge"] == {"kind": "model", "id": "scripted:judge"}
    assert record["condition"] == "assisted" and record["item_id"] == "lighthouse" and record["gold_found"] == [0, 1]
    assert record["recall"] == 1.0 and len(record["matches"]) == 3

    unassisted = recs["lighthouse:unassisted"].outcome  # type: ignore[attr-defined]
    assert unassisted["flaws_reported"] == ["She started in 1902, not 1912."]
    assert unassisted["recall"] == 0.5 and unassisted["gold_found"] == [0]


async def test_unreadable_grader_reply_counts_as_unconfirmed(standard_models: dict[str, str]) -> None:
    scripted.register("grader", ["\n1. The passage says 1902.\n2. The answer is wrong."])  # gemma-style
    recs = await run_all(make_ctx(CritiqueParams(conditions=["unassisted"]), standard_models), [ITEM])
    [match] = recs["lighthouse:unassisted"].outcome["report_matches"]  # type: ignore[attr-defined]
    assert match["confirmed"] is False and match["parsed"] is False and "unreadable" in match["reason"]


async def test_lexical_grader_needs_no_grader_model(standard_models: dict[str, str]) -> None:
    params = CritiqueParams(grader="lexical")
    assert "grader" not in PROTOCOL.roles(params)
    models = {k: v for k, v in standard_models.items() if k != "grader"}
    recs = await run_all(make_ctx(params, models), [ITEM])
    outcome = recs["lighthouse:assisted"].outcome  # type: ignore[attr-defined]
    assert [m["gold_index"] for m in outcome["report_matches"]] == [0, 1, None]
    assert all(m["grader"] == "lexical" for m in outcome["report_matches"])
    assert "1902" in outcome["report_matches"][0]["reason"]


@pytest.mark.parametrize("depth", [1, 3])
async def test_recursive_critique_depth(standard_models: dict[str, str], depth: int) -> None:
    counter = iter(range(100))
    scripted.register("meta", lambda messages: f"Comment {next(counter)} on the point.")
    params = CritiqueParams(conditions=["assisted"], meta_depth=depth, show_critique_tree=True)
    recs = await run_all(make_ctx(params, {**standard_models, "meta_critic": "meta"}), [ITEM])
    rec = recs["lighthouse:assisted"]
    tree = rec.outcome["critique_tree"]  # type: ignore[attr-defined]
    # One comment per node of the level above: 2 critiques -> 2 comments per level.
    assert len(model_events(rec, "meta_critic")) == 2 * depth
    for level in range(1, depth + 1):
        nodes = [n for n in tree if n["level"] == level]
        assert len(nodes) == 2
        parents = {n["parent"] for n in nodes}
        assert parents == {n["id"] for n in tree if n["level"] == level - 1}
    if depth == 3:
        last = model_events(rec, "meta_critic")[-1].input[0]["content"]
        # The deepest call sees the whole chain it sits under.
        assert CRITIQUE_2 in last and last.count("Comment on the point above:") == 2
    judge_input = model_events(rec, "judge")[0].input[0]["content"]
    assert "Comment 0 on the point." in judge_input and "Critique 1: " + CRITIQUE_1 in judge_input


async def test_tree_hidden_from_judge_unless_asked(standard_models: dict[str, str]) -> None:
    scripted.register("meta", ["META-COMMENT text here."])
    params = CritiqueParams(conditions=["assisted"], meta_depth=1)
    recs = await run_all(make_ctx(params, {**standard_models, "meta_critic": "meta"}), [ITEM])
    judge_input = model_events(recs["lighthouse:assisted"], "judge")[0].input[0]["content"]
    assert "META-COMMENT" not in judge_input and CRITIQUE_1 in judge_input


async def test_answerer_mode_judges_the_same_answer_in_both_conditions(
    standard_models: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    configs: list[tuple[str, GenerateConfig]] = []
    original = ScriptedProvider.generate

    async def spy(self: ScriptedProvider, messages: list[Message], config: GenerateConfig) -> Completion:
        configs.append((self.spec.model, config))
        return await original(self, messages, config)

    monkeypatch.setattr(ScriptedProvider, "generate", spy)
    scripted.register("answerer", ["Answer: Morrow started in 1912.\n\nQuestion: more"])
    scripted.register("grader", lambda m: "Yes - the passage says 1902")
    params = CritiqueParams(answer_source="answerer")
    assert PROTOCOL.roles(params) == {"answerer", "critic", "judge", "grader"}
    item = ITEM.model_copy(update={"answer": None, "flaws": []})
    recs = await run_all(make_ctx(params, {**standard_models, "answerer": "answerer"},
                                  answerer=GenerateConfig(temperature=0.9)), [item])
    answers = {r.outcome["answer"] for r in recs.values()}  # type: ignore[attr-defined]
    assert answers == {"Morrow started in 1912."}
    answer_configs = [c for name, c in configs if name == "answerer"]
    assert len(answer_configs) == 2 and all(c.temperature == 0.0 and c.seed == 7 for c in answer_configs)
    outcome = recs["lighthouse:unassisted"].outcome  # type: ignore[attr-defined]
    assert outcome["gold_flaws"] is None and outcome["recall"] is None
    assert outcome["report_matches"][0]["confirmed"] is True
    grader_prompt = model_events(recs["lighthouse:unassisted"], "grader")[0].input[0]["content"]
    assert grader_prompt == template("grader_confirm").format(
        context=item.context, question=item.question, answer="Morrow started in 1912.",
        report="She started in 1902, not 1912.").strip("\n")


async def test_without_model_judge_critiques_are_still_made_and_graded(standard_models: dict[str, str]) -> None:
    params = CritiqueParams(model_judge=False)
    assert PROTOCOL.roles(params) == {"critic", "grader"}
    models = {k: v for k, v in standard_models.items() if k != "judge"}
    recs = await run_all(make_ctx(params, models), [ITEM])
    assert all(not r.judgments for r in recs.values())
    assert recs["lighthouse:unassisted"].events == []
    outcome = recs["lighthouse:assisted"].outcome  # type: ignore[attr-defined]
    assert [m["confirmed"] for m in outcome["critique_matches"]] == [True, True]
    assert outcome["flaws_reported"] == [] and outcome["shown_critiques"].startswith("Critique 1:")


async def test_call_budgets_default_but_experiment_settings_win(
    standard_models: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, GenerateConfig] = {}
    original = ScriptedProvider.generate

    async def spy(self: ScriptedProvider, messages: list[Message], config: GenerateConfig) -> Completion:
        seen[self.spec.model] = config
        return await original(self, messages, config)

    monkeypatch.setattr(ScriptedProvider, "generate", spy)
    ctx = make_ctx(CritiqueParams(max_critiques=2), standard_models, judge=GenerateConfig(max_tokens=50, stop=["END"]))
    await run_all(ctx, [ITEM])
    assert seen["critic"].max_tokens == 110 and "\n3." in (seen["critic"].stop or [])
    assert seen["judge"].max_tokens == 50 and seen["judge"].stop == ["END"]


def test_units_and_their_errors() -> None:
    units = PROTOCOL.units([ITEM], CritiqueParams(conditions=["assisted"]), 0)
    assert [(u.id, u.item_id, u.condition) for u in units] == [("lighthouse:assisted", "lighthouse", "assisted")]
    with pytest.raises(UserError, match="has no answer"):
        PROTOCOL.units([ITEM.model_copy(update={"answer": None})], CritiqueParams(), 0)
    with pytest.raises(UserError, match="lexical needs gold flaws"):
        PROTOCOL.units([ITEM], CritiqueParams(answer_source="answerer", grader="lexical"), 0)
    with pytest.raises(ValueError):
        CritiqueParams(conditions=["assisted", "assisted"])
    with pytest.raises(ValueError):
        CritiqueParams.model_validate({"max_critique": 3})


async def test_item_without_gold_flaws_needs_no_grader_call(standard_models: dict[str, str]) -> None:
    recs = await run_all(make_ctx(CritiqueParams(conditions=["unassisted"]), standard_models),
                         [ITEM.model_copy(update={"flaws": []})])
    outcome = recs["lighthouse:unassisted"].outcome  # type: ignore[attr-defined]
    assert scripted.CALLS["grader"] == []
    assert outcome["recall"] is None and outcome["precision"] == 0.0
    assert outcome["report_matches"][0]["reason"] == "the item has no known flaws"


def test_experiment_file_runs_end_to_end_with_scripted_models(tmp_path: Path) -> None:
    scripted.register("critic", [f"1. {CRITIQUE_1}"])
    scripted.register("judge", lambda m: " The answer gives a wrong number.\n2. The passage says otherwise.")
    scripted.register("grader", ["A - same problem"])
    code = main([
        "run", str(REPO / "protocols" / "critique.yaml"), "--runs-dir", str(tmp_path), "--limit", "3",
        "--model", "critic=scripted:critic", "--model", "judge=scripted:judge", "--model", "grader=scripted:grader",
        "--set", "cache=false",
    ])
    assert code == 0
    [run] = [d for d in tmp_path.iterdir() if d.is_dir()]
    metrics = json.loads((run / "metrics.json").read_text())
    [judge] = metrics["judges"]
    uplift = metrics["by_judge"][judge]["uplift"]
    assert uplift["n"] == 3 and uplift["estimate"] is not None and len(uplift["ci"]) == 2
    assert any(row["metric"] == "uplift" for row in metrics["table"])
    transcripts = [json.loads(line) for line in (run / "transcripts.jsonl").read_text().splitlines()]
    assert len(transcripts) == 6 and all(t["error"] is None for t in transcripts)
