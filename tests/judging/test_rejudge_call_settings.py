"""A re-judge asks the model as the run's own judge did: the same stop sequences, token limit
and temperature for the same view (the protocol's `judge_call`), so a new judge differs from
the run's only in what it was told to differ in. Without this a base model re-judging critique
ran to its 512-token limit past the list it was asked for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oversight.cli.main import main
from oversight.models.providers import scripted
from oversight.models.types import Completion, GenerateConfig, Message, TokenLogprob, TopLogprob
from tests.helpers.tui_runs import COHERENCE_VERDICT, NODE_VERDICT, summarize_run
from tests.judging.test_rejudge import critique_run, debate_run


def configs_by_prompt(model: str) -> dict[str, GenerateConfig]:
    """The sampling config each of `model`'s calls had, by the prompt it was sent."""
    calls: list[list[Message]] = scripted.CALLS[model]
    configs = scripted.CONFIGS[model]
    assert len(calls) == len(configs)
    return {messages[-1].content: config for messages, config in zip(calls, configs)}


def same_calls(run_judge: str, new_judge: str) -> int:
    old, new = configs_by_prompt(run_judge), configs_by_prompt(new_judge)
    assert new and set(new) <= set(old)  # every re-judged view is one the run's judge saw
    for prompt, config in new.items():
        assert config.model_dump(exclude={"seed"}) == old[prompt].model_dump(exclude={"seed"}), prompt[-300:]
    return len(new)


def test_a_critique_rejudge_stops_and_caps_as_the_runs_judge(tmp_path: Path) -> None:
    run = critique_run(tmp_path)
    scripted.register("newjudge", [" The start year is wrong.\n2. The keeper's name is wrong."])
    assert main(["judge", str(run), "--model", "scripted:newjudge"]) == 0
    assert same_calls("runjudge", "newjudge") == 4
    [config, *_] = scripted.CONFIGS["newjudge"]
    assert config.max_tokens < 512 and "\n\n\n" in (config.stop or [])


def test_a_structured_critique_rejudge_keeps_room_for_its_reasoning(tmp_path: Path) -> None:
    run = critique_run(tmp_path, judge_format="structured")  # the run's scripted judge answered in text
    scripted.register("newjudge", ['{"reasoning": "The year.", "flaws": ["The start year is wrong."]}'], structured=True)
    assert main(["judge", str(run), "--model", "scripted:newjudge"]) == 0
    configs = scripted.CONFIGS["newjudge"]
    assert len(configs) == 4
    assert all(c.stop is None and c.max_tokens == 80 * 4 + 400 and c.response_schema for c in configs)


def test_a_summary_rejudge_caps_and_samples_as_the_runs_judge(tmp_path: Path) -> None:
    run = summarize_run(tmp_path / "runs", strategies="[hierarchical]")
    scripted.register("newjudge", lambda m: COHERENCE_VERDICT if "Confusing sentences:" in m[-1].content else NODE_VERDICT)
    assert main(["judge", str(run), "--model", "scripted:newjudge"]) == 0
    assert same_calls("sjudge", "newjudge") >= 5
    assert all(c.max_tokens <= 24 + 8 * 20 and c.temperature == 0.0 for c in scripted.CONFIGS["newjudge"])


def test_the_runs_own_judge_asked_again_is_refused_unless_it_would_sample_anew(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With its prompts, settings and the cache it would only replay the run's answers, pooled
    as a second judge; with --no-cache (or anything changed) it is a judge of its own."""
    run = critique_run(tmp_path)
    before = (run / "judgments.jsonl").read_text()
    capsys.readouterr()
    assert main(["judge", str(run), "--model", "scripted:runjudge"]) == 2
    err = capsys.readouterr().err.strip()
    assert "run's own judge" in err and "--no-cache" in err and len(err.splitlines()) == 1
    assert (run / "judgments.jsonl").read_text() == before
    for same in (["--set", "temperature=0.0"], ["--set", "seed=0"], ["--swap"], ["--no-swap"]):  # the run's own values
        assert main(["judge", str(run), "--model", "scripted:runjudge", *same]) == 2, same
    assert (run / "judgments.jsonl").read_text() == before
    assert main(["judge", str(run), "--model", "scripted:runjudge", "--set", "temperature=0.7", "--judge-id", "warm"]) == 0
    assert main(["judge", str(run), "--model", "scripted:runjudge", "--no-cache"]) == 0


def test_the_python_api_names_its_own_parameters_when_it_refuses(tmp_path: Path) -> None:
    import oversight
    from oversight.core.errors import UserError

    run = critique_run(tmp_path)
    with pytest.raises(UserError) as refused:
        oversight.judge(run, model="scripted:runjudge", progress=False)
    message = str(refused.value)
    assert message.startswith("model=scripted:runjudge:") and "cache=False" in message and "--" not in message


def test_a_rejudge_records_what_each_call_was_sent(tmp_path: Path) -> None:
    run = critique_run(tmp_path)
    scripted.register("newjudge", [" The start year is wrong."])
    assert main(["judge", str(run), "--model", "scripted:newjudge"]) == 0
    [config, *_] = scripted.CONFIGS["newjudge"]
    new = [j for j in (json.loads(x) for x in (run / "judgments.jsonl").read_text().splitlines())
           if "newjudge" in j["judge"]["id"]]
    assert len(new) == 4 and all(j["call_settings"] == config.model_dump(mode="json", exclude={"timeout_s", "response_schema"})
                                 for j in new)
    assert new[0]["call_settings"]["max_tokens"] != new[0]["settings"]["max_tokens"]  # the view's cap, not the judge's


def test_a_debate_logprob_rejudge_asks_for_as_many_alternatives_as_the_run(tmp_path: Path) -> None:
    top = [TopLogprob(token=" A", logprob=-0.3), TopLogprob(token=" B", logprob=-1.4)]
    one = [Completion(text=" A", logprobs=[TokenLogprob(token=" A", logprob=-0.3, top=top)])]
    # the run's judge asks for its params' count; the experiment's own sampling count is not what it used
    run = debate_run(tmp_path, generation={"default": {"temperature": 0.0, "seed": 0}, "judge": {"top_logprobs": 5}},
                     judge_kind="logprob", top_logprobs=7)
    assert {c.top_logprobs for c in scripted.CONFIGS["runjudge"]} == {7}
    scripted.register("newjudge", one)
    assert main(["judge", str(run), "--model", "scripted:newjudge"]) == 0
    first = len(scripted.CONFIGS["newjudge"])
    assert first and {(c.top_logprobs, c.max_tokens) for c in scripted.CONFIGS["newjudge"]} == {(7, 1)}
    assert main(["judge", str(run), "--model", "scripted:newjudge", "--set", "top_logprobs=3", "--judge-id", "k3"]) == 0
    assert {c.top_logprobs for c in scripted.CONFIGS["newjudge"][first:]} == {3}
