"""`oversight judge RUN_DIR --model SPEC` end to end: debate and critique runs made with scripted
models, then judged again by another scripted judge through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from oversight.cli.main import main
from oversight.config.experiment import validate_params
from oversight.models.providers import scripted
from oversight.models.providers.base import ProviderError
from oversight.models.providers.scripted import ScriptedProvider
from oversight.models.types import Completion, GenerateConfig, Message, TokenLogprob, TopLogprob
from oversight.protocol.prompts import PromptSet
from oversight.protocol.registry import get_protocol
from oversight.log.runfolder import RunFolder

REPO = Path(__file__).resolve().parents[2]
CRITIQUE = "The keeper started in 1902, not 1912."


def lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def by_judge(run: Path, judge_id: str) -> list[dict[str, Any]]:
    return [j for j in lines(run / "judgments.jsonl") if j["judge"]["id"] == judge_id]


def new_judges(run: Path, old: set[str]) -> list[dict[str, Any]]:
    return [j for j in lines(run / "judgments.jsonl") if j["judge"]["id"] not in old]


def debate_run(tmp_path: Path, generation: dict[str, Any] | None = None, **params: Any) -> Path:
    """Two stories, debate and blind, one round, judged in both orders by a scripted text judge."""
    scripted.register("debater", ["I defend my answer. The story says <quote>the clock</quote> stopped."])
    scripted.register("runjudge", ["Answer: A, 70%"])
    config = yaml.safe_load((REPO / "protocols" / "debate.yaml").read_text())
    config.update(
        task={"path": str(REPO / "tasks" / "debate_stories.jsonl"), "format": "native"},
        models={"debater_a": "scripted:debater", "debater_b": "scripted:debater", "judge": "scripted:runjudge"},
        params={"conditions": ["debate", "blind"], "rounds": 1, "judge_kind": "model", **params},
        limit=2, cache=False, retry={"max_attempts": 1},
    )
    if generation is not None:
        config["generation"] = generation
    path = tmp_path / "debate.yaml"
    path.write_text(yaml.safe_dump(config))
    assert main(["run", str(path), "--runs-dir", str(tmp_path / "runs")]) == 0
    [run] = (tmp_path / "runs").iterdir()
    return run


def critique_run(tmp_path: Path, **params: Any) -> Path:
    scripted.register("critic", [f"1. {CRITIQUE}"])
    scripted.register("runjudge", [" The start year is wrong.\n2. Automation came after she retired."])
    scripted.register("grader", ["A - same problem"])
    models = {"critic": "scripted:critic", "judge": "scripted:runjudge", "grader": "scripted:grader"}
    if params.get("model_judge") is False:
        models.pop("judge")
    if params.get("grader", "lexical") == "lexical" or params.get("model_judge") is False:
        models.pop("grader")
    config = yaml.safe_load((REPO / "protocols" / "critique.yaml").read_text())
    config.update(task={"path": str(REPO / "tasks" / "critique_answers.jsonl"), "format": "native"},
                  models=models, params={**config["params"], **params}, limit=2, cache=False)
    path = tmp_path / "critique.yaml"
    path.write_text(yaml.safe_dump(config))
    assert main(["run", str(path), "--runs-dir", str(tmp_path / "runs")]) == 0
    [run] = (tmp_path / "runs").iterdir()
    return run


def spy_configs(monkeypatch: pytest.MonkeyPatch) -> list[GenerateConfig]:
    """Every sampling config the scripted provider receives from now on."""
    seen: list[GenerateConfig] = []
    real = ScriptedProvider.generate

    async def spy(self: ScriptedProvider, messages: list[Message], config: GenerateConfig) -> Completion:
        seen.append(config)
        return await real(self, messages, config)

    monkeypatch.setattr(ScriptedProvider, "generate", spy)
    return seen


def judge(run: Path, *extra: str, model: str = "scripted:newjudge") -> int:
    return main(["judge", str(run), "--model", model, *extra])


def test_rejudging_a_debate_writes_one_judgment_per_transcript_and_order(tmp_path: Path) -> None:
    run = debate_run(tmp_path)
    old = {j["judge"]["id"] for j in lines(run / "judgments.jsonl")}
    scripted.register("newjudge", ["I am fairly sure. Final answer: B (60%)"])
    assert judge(run) == 0
    new = new_judges(run, old)
    transcripts = lines(run / "transcripts.jsonl")
    assert len(transcripts) == 4
    assert sorted((j["transcript_id"], j["view_key"]) for j in new) == sorted(
        (t["id"], order) for t in transcripts for order in ("original", "swapped"))
    [judge_id] = {j["judge"]["id"] for j in new}
    assert judge_id.startswith("model:scripted:newjudge:") and judge_id not in old
    for j in new:
        assert j["attempt"] is None and j["judge"]["kind"] == "model" and not j["invalid"]
        # B is shown second: original index 1 in the original order, 0 in the swapped one.
        assert j["answer_index"] == (1 if j["view_key"] == "original" else 0)
        assert j["p_chosen"] == 0.6 and j["raw"] == "I am fairly sure. Final answer: B (60%)"
    table = json.loads((run / "metrics.json").read_text())["table"]
    assert {row["judge"] for row in table} == old | {judge_id, "all model judges (pooled)"}


def test_rebuilt_view_equals_the_original_judges_input(tmp_path: Path) -> None:
    run = debate_run(tmp_path, swap=True)
    folder = RunFolder.open(run)
    exp, _ = folder.experiment()
    protocol = get_protocol("debate")
    params = validate_params(protocol.Params, exp.params, "test")
    prompts = PromptSet(protocol.prompt_package, protocol.templates)
    original: dict[tuple[str, str], list[dict[str, str]]] = {}
    for t in folder.transcripts():
        for event in t["events"]:
            if event["type"] == "model" and event["role"] == "judge":
                original[(t["id"], event["step"].split()[-1])] = event["input"]
        for view in protocol.judge_views(t, params, folder):
            rendered = [m.model_dump() for m in prompts.render(view.template, view.variables)]
            assert rendered == original[(t["id"], view.key)]
    assert len(original) == 8
    scripted.register("newjudge", ["A"])
    assert judge(run) == 0
    sent = sorted(json.dumps([m.model_dump() for m in call]) for call in scripted.CALLS["newjudge"])
    assert sent == sorted(json.dumps(messages) for messages in original.values())


def test_the_same_command_twice_adds_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = debate_run(tmp_path)
    scripted.register("newjudge", ["B"])
    assert judge(run, "--no-cache") == 0
    before = (run / "judgments.jsonl").read_text()
    calls = len(scripted.CALLS["newjudge"])
    capsys.readouterr()
    assert judge(run, "--no-cache") == 0
    assert (run / "judgments.jsonl").read_text() == before
    assert len(scripted.CALLS["newjudge"]) == calls == 8
    assert "0 views to judge, 8 already judged" in capsys.readouterr().out


def test_an_interrupted_rejudge_resumes_where_it_stopped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = debate_run(tmp_path)
    old = {j["judge"]["id"] for j in lines(run / "judgments.jsonl")}
    count = {"n": 0}

    def dies_on_fourth(messages: list[Message]) -> str:
        count["n"] += 1
        if count["n"] == 4:
            raise KeyboardInterrupt
        return "A"

    scripted.register("newjudge", dies_on_fourth)
    assert judge(run, "--concurrency", "1", "--no-cache") == 130
    assert "run the same command again" in capsys.readouterr().err
    first = new_judges(run, old)
    assert len(first) == 3
    scripted.register("newjudge", ["A"])
    assert judge(run, "--concurrency", "1", "--no-cache") == 0
    after = new_judges(run, old)
    assert after[:3] == first
    keys = [(j["transcript_id"], j["view_key"]) for j in after]
    assert len(keys) == len(set(keys)) == 8  # none twice, none lost
    assert len(scripted.CALLS["newjudge"]) == 5  # only the views not yet judged


def test_a_failed_call_is_recorded_and_the_rest_go_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = debate_run(tmp_path)
    old = {j["judge"]["id"] for j in lines(run / "judgments.jsonl")}
    stories = sorted({t["item_id"] for t in lines(run / "transcripts.jsonl")})
    failing = next(t["outcome"]["question"] for t in lines(run / "transcripts.jsonl") if t["item_id"] == stories[0])

    def flaky(messages: list[Message]) -> str | ProviderError:
        if failing in messages[-1].content:
            return ProviderError("HTTP 400: context too long", retryable=False, status=400)
        return "B"

    scripted.register("newjudge", flaky)
    assert judge(run) == 1
    new = new_judges(run, old)
    assert len(new) == 8
    failed = [j for j in new if j.get("failed")]
    assert len(failed) == 4 and all(j["transcript_id"].startswith(stories[0]) for j in failed)
    for j in failed:
        assert j["invalid"] is True and j["correct"] is None and "context too long" in j["reason"]
        assert j["order"] == j["view_key"]  # the protocol's own record shape, so metrics count it
    assert all(j["answer_index"] is not None for j in new if not j.get("failed"))
    assert "4 judge calls failed" in capsys.readouterr().err
    metrics = json.loads((run / "metrics.json").read_text())
    judge_id = new[0]["judge"]["id"]
    debate = metrics["conditions"]["debate"][judge_id]
    # Counted as failures, never as wrong or invalid answers.
    assert (debate["failed_calls"], debate["calls"], debate["invalid"], debate["verdicts"]) == (2, 4, 0, 2)


def test_logprob_judge_asks_for_one_token_with_logprobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = debate_run(tmp_path)
    configs = spy_configs(monkeypatch)
    top = [TopLogprob(token=" B", logprob=-0.2), TopLogprob(token=" A", logprob=-1.8)]
    scripted.register("newjudge", [Completion(text=" B", logprobs=[TokenLogprob(token=" B", logprob=-0.2, top=top)])])
    assert judge(run, "--judge-kind", "logprob", "--no-swap") == 0
    new = [j for j in lines(run / "judgments.jsonl") if j["judge"]["id"].startswith("logprob:")]
    assert len(new) == 4 and {j["view_key"] for j in new} == {"original"}
    assert all(j["judge_kind"] == "logprob" and j["answer_index"] == 1 and j["probs"][1] > 0.7 for j in new)
    assert configs and all(c.max_tokens == 1 and c.logprobs and c.top_logprobs == 10 for c in configs)


def test_generation_settings_are_checked_and_reach_the_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    run = debate_run(tmp_path)
    scripted.register("newjudge", ["A"])
    assert judge(run, "--set", "temprature=0.5") == 2
    err = capsys.readouterr().err
    assert "--set temprature: not a generation setting" in err and "Traceback" not in err
    assert judge(run, "--set", "temperature=5") == 2
    assert "--set temperature" in capsys.readouterr().err
    assert judge(run, "--set", "foo") == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err
    assert "newjudge" not in scripted.CALLS or not scripted.CALLS["newjudge"]

    seen = spy_configs(monkeypatch)
    assert judge(run, "--set", "max_tokens=7", "--judge-id", "short") == 0
    assert seen and all(c.max_tokens == 7 and c.temperature == 0.0 for c in seen)  # the run's judge block kept
    # The same judge id with other settings would mix two judges under one name.
    assert judge(run, "--set", "max_tokens=9", "--judge-id", "short") == 2
    assert "already judged this run with other settings" in capsys.readouterr().err


def test_prompt_override_is_validated_and_makes_a_new_judge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = debate_run(tmp_path)
    scripted.register("newjudge", ["A"])
    custom = tmp_path / "blind.txt"
    custom.write_text("MY BLIND JUDGE. {question}\nA: {answer_a}\nB: {answer_b}\nAnswer:")
    assert judge(run, "--prompt", str(custom)) == 2
    assert "several templates (judge_blind, judge_debate)" in capsys.readouterr().err
    bad = tmp_path / "bad.txt"
    bad.write_text("{question} {story}")
    assert judge(run, "--prompt", str(bad), "--condition", "blind") == 2
    assert "unknown variable {story}" in capsys.readouterr().err
    assert judge(run, "--prompt", str(custom), "--condition", "blind") == 0
    assert judge(run, "--prompt", f"judge_blind={custom}", "--condition", "blind") == 0  # same judge: adds nothing
    assert judge(run, "--condition", "blind") == 0
    blind = scripted.CALLS["newjudge"]
    assert sum("MY BLIND JUDGE" in c[-1].content for c in blind) == 4 and len(blind) == 8
    ids = {j["judge"]["id"] for j in lines(run / "judgments.jsonl") if j["judge"]["id"].startswith("model:scripted:newjudge")}
    assert len(ids) == 2  # the prompt's hash tells the two judges apart
    assert judge(run, "--condition", "expert") == 2
    assert "--condition expert: no finished transcript has it" in capsys.readouterr().err


def test_limit_and_dry_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = debate_run(tmp_path)
    before = (run / "judgments.jsonl").read_text()
    scripted.register("newjudge", ["A"])
    assert judge(run, "--dry-run", "--limit", "1") == 0
    out = capsys.readouterr().out
    assert "Dry run" in out and "judge" in out and "2 views to judge" in out
    assert "wall time (rough): about" in " ".join(out.split())  # the same planning line as `run --dry-run`
    assert (run / "judgments.jsonl").read_text() == before and not scripted.CALLS["newjudge"]
    assert judge(run, "--limit", "1") == 0
    assert len(lines(run / "judgments.jsonl")) == len(before.splitlines()) + 2


def test_critique_rejudge_sees_exactly_the_unassisted_and_assisted_views(tmp_path: Path) -> None:
    run = critique_run(tmp_path)
    old = {j["judge"]["id"] for j in lines(run / "judgments.jsonl")}
    scripted.register("newjudge", [" Gives 1912 as the year Morrow became keeper; the passage says 1902."])
    assert judge(run) == 0
    prompts = [c[-1].content for c in scripted.CALLS["newjudge"]]
    assert len(prompts) == 4
    for t in lines(run / "transcripts.jsonl"):
        original = next(e["input"] for e in t["events"] if e["type"] == "model" and e["role"] == "judge")
        [prompt] = [p for p in prompts if p == original[-1]["content"]]
        assisted = t["condition"] == "assisted"
        assert (CRITIQUE in prompt) is assisted
        assert ("Assistant's critiques:" in prompt.rsplit("Passage:", 1)[1]) is assisted
    new = new_judges(run, old)
    assert len(new) == 4 and {j["view_key"] for j in new} == {"judge"}
    assert all(j["graded"] and j["grader"] == "lexical" for j in new)
    harrow = [j for j in new if j["transcript_id"].startswith("harrow-lighthouse")]
    assert all(j["gold_found"] == [0] for j in harrow)


def test_critique_with_a_model_grader_grades_with_the_runs_grader(tmp_path: Path) -> None:
    run = critique_run(tmp_path, grader="model")
    graded_before = len(scripted.CALLS["grader"])
    scripted.register("newjudge", [" The year is wrong.\n2. Something else."])
    scripted.register("grader", ["A - same problem", "None - not a known flaw"])
    assert judge(run, "--no-cache") == 0
    new = by_judge(run, next(j["judge"]["id"] for j in lines(run / "judgments.jsonl")
                             if j["judge"]["id"].startswith("model:scripted:newjudge")))
    assert len(new) == 4 and graded_before > 0
    assert len(scripted.CALLS["grader"]) == 8  # two reports per judgment, each graded once
    for j in new:
        assert j["graded"] and j["grader"] == "model" and len(j["matches"]) == 2
        assert j["n_gold"] >= 2 and j["recall"] is not None


def test_critique_model_grading_without_a_bound_grader_needs_grader_flag(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = critique_run(tmp_path, grader="model", model_judge=False, grade_critiques=False)
    scripted.register("newjudge", [" The year is wrong."])
    assert judge(run) == 2
    assert "bound no grader: give --grader SPEC" in capsys.readouterr().err
    scripted.register("grader", ["A - same"])
    assert judge(run, "--grader", "scripted:grader", "--no-cache") == 0
    assert len(scripted.CALLS["grader"]) == 4


def test_bind_names_the_grader_like_the_shorthand_and_a_messy_grader_reply_is_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = critique_run(tmp_path, grader="model", model_judge=False, grade_critiques=False)
    scripted.register("newjudge", [" 1) The year is wrong!!\n\n2. automation came later, I think"])
    scripted.register("other", ["  \nA -- that's the same flaw, basically", "none of them; it's not a known flaw"] * 4)
    assert judge(run, "--bind", "grader=scripted:other", "--no-cache") == 0
    new = [j for j in lines(run / "judgments.jsonl") if j["judge"]["id"].startswith("model:scripted:newjudge")]
    assert len(new) == 4 and all(j["graded"] and j["grader"] == "model" for j in new)
    assert len(scripted.CALLS["other"]) == 8  # two reports in each of four judgments, replies in turn
    assert sorted(m["confirmed"] for j in new for m in j["matches"]) == [False] * 4 + [True] * 4


def test_bind_refuses_a_role_the_verdict_does_not_call(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = critique_run(tmp_path)  # lexical grading: no grader model to bind
    assert judge(run, "--grader", "scripted:grader") == 2
    err = capsys.readouterr().err
    assert "--grader: judging this run calls no grader model" in err and "(roles to bind: none)" in err
    assert "keeps the run's own settings" in err and "--set" in err  # says why, and what to do instead
    assert judge(run, "--bind", "critic") == 2
    assert "--bind critic: write ROLE=SPEC" in capsys.readouterr().err
    (tmp_path / "d").mkdir()
    debate = debate_run(tmp_path / "d")
    assert judge(debate, "--grader", "scripted:grader") == 2
    assert "--grader: protocol 'debate' has no such option for judging" in capsys.readouterr().err


def test_logprob_kind_is_refused_for_a_protocol_without_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = critique_run(tmp_path)
    assert judge(run, "--judge-kind", "logprob") == 2
    assert "reads no logprobs" in capsys.readouterr().err


def test_agreement_between_judges_is_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = debate_run(tmp_path)
    scripted.register("newjudge", ["A"])  # the run's judge said A too: full agreement
    capsys.readouterr()
    assert judge(run) == 0
    out = capsys.readouterr().out
    assert "Agreement between judges" in out and "kappa" in out
    assert "percentile bootstrap over transcripts" in " ".join(out.split())


def test_swap_flag_adds_the_order_a_run_without_swap_never_judged(tmp_path: Path) -> None:
    run = debate_run(tmp_path, swap=False)
    assert {j["order"] for j in lines(run / "judgments.jsonl")} == {"original"}
    scripted.register("newjudge", ["B"])
    assert judge(run, "--swap", "--condition", "debate") == 0
    new = [j for j in lines(run / "judgments.jsonl") if j["judge"]["id"].startswith("model:scripted:newjudge")]
    assert sorted(j["view_key"] for j in new) == ["original", "original", "swapped", "swapped"]
    assert all(j["condition"] == "debate" for j in new)
    assert judge(run, "--human") == 2  # --human with --model: one or the other


def test_a_model_judge_judges_as_the_run_did_unless_told(tmp_path: Path) -> None:
    """The run read its judge from logprobs: `judge --model` does too by default; --judge-kind
    model asks for text."""
    top = [TopLogprob(token=" A", logprob=-0.3), TopLogprob(token=" B", logprob=-1.4)]
    scripted.register("runjudge", [Completion(text=" A", logprobs=[TokenLogprob(token=" A", logprob=-0.3, top=top)])])
    scripted.register("debater", ["I defend my answer."])
    config = yaml.safe_load((REPO / "protocols" / "debate.yaml").read_text())
    config.update(task={"path": str(REPO / "tasks" / "debate_stories.jsonl"), "format": "native"},
                  models={"debater_a": "scripted:debater", "debater_b": "scripted:debater", "judge": "scripted:runjudge"},
                  params={"conditions": ["blind"], "rounds": 1, "judge_kind": "logprob"}, limit=2, cache=False)
    (tmp_path / "debate.yaml").write_text(yaml.safe_dump(config))
    assert main(["run", str(tmp_path / "debate.yaml"), "--runs-dir", str(tmp_path / "runs")]) == 0
    [run] = (tmp_path / "runs").iterdir()
    scripted.register("newjudge", [Completion(text=" B", logprobs=[TokenLogprob(token=" B", logprob=-0.2, top=top)])])
    assert judge(run) == 0
    kinds = {j["judge"]["id"].split(":")[0]: j["judge_kind"] for j in lines(run / "judgments.jsonl")
             if "newjudge" in j["judge"]["id"]}
    assert kinds == {"logprob": "logprob"}
    scripted.register("newjudge", ["Answer: B, 80%"])
    assert judge(run, "--judge-kind", "model") == 0
    kinds = {j["judge"]["id"].split(":")[0]: j["judge_kind"] for j in lines(run / "judgments.jsonl")
             if "newjudge" in j["judge"]["id"]}
    assert kinds == {"logprob": "logprob", "model": "model"}


def test_a_rejudge_redraws_the_figures_from_the_new_metrics(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    run = debate_run(tmp_path)
    shutil.rmtree(run / "plots")
    capsys.readouterr()
    scripted.register("newjudge", ["Final answer: B (60%)"])
    assert judge(run) == 0
    out = " ".join(capsys.readouterr().out.split())
    names = sorted(p.stem for p in (run / "plots").glob("*.png"))
    assert any(n.startswith("debate_accuracy_model_scripted_newjudge_") for n in names)  # the new judge's own
    assert sorted(p.stem for p in (run / "plots").glob("*.svg")) == names
    assert f"figures (PNG, SVG): {len(names)} figures in {(run / 'plots').resolve()}" in out
