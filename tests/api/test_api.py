"""The public Python API (oversight.open_run / run / judge) against the run folders it writes,
offline with scripted models."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

import oversight
from oversight.api import run_sync
from oversight.config.experiment import validate_experiment
from oversight.core.errors import UserError
from oversight.log.runfolder import RunFolder
from oversight.log.transcripts import Event
from oversight.models.providers import scripted
from oversight.models.providers.base import ProviderError
from oversight.tui.records import human_judgment, retraction

REPO = Path(__file__).resolve().parents[2]
ITEMS = [{"id": f"q{i}", "question": f"What is {i} plus {i}?", "answer": str(2 * i)} for i in range(4)]


def sloppy_sum(messages) -> str:  # type: ignore[no-untyped-def]
    """Right for even questions, a chatty wrong answer for odd ones (as small models do)."""
    n = int(messages[-1].content.split("What is ")[1].split(" plus")[0])
    return f"  {2 * n}\n" if n % 2 == 0 else f"Let me think... {n} + {n} is probably {2 * n + 1}!"


def lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def qa_experiment(tmp_path: Path, **overrides: Any) -> Path:
    (tmp_path / "items.jsonl").write_text("\n".join(json.dumps(i) for i in ITEMS) + "\n")
    config = {"name": "api-qa", "protocol": "qa", "task": {"path": "items.jsonl"},
              "models": {"answerer": "scripted:sum"}, "cache": False,
              "retry": {"max_attempts": 1, "base_delay_s": 0.0, "max_delay_s": 0.0}, **overrides}
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_run_writes_a_folder_and_open_run_types_what_is_in_it(tmp_path: Path) -> None:
    scripted.register("sum", sloppy_sum)
    run = oversight.run(qa_experiment(tmp_path), runs_dir=tmp_path / "runs", progress=False,
                        **{"params.conditions": ["plain", "terse"]})
    [folder] = (tmp_path / "runs").iterdir()
    assert run.path == folder and run.experiment.params["conditions"] == ["plain", "terse"]
    assert yaml.safe_load((folder / "experiment.yaml").read_text())["params"]["conditions"] == ["plain", "terse"]
    on_disk = lines(folder / "transcripts.jsonl")
    assert sorted(t.id for t in run.transcripts) == sorted(r["id"] for r in on_disk) and len(on_disk) == 8
    t = next(t for t in run.transcripts if t.id == "q1:terse")
    assert t.condition == "terse" and t.item_id == "q1" and not t.failed
    assert t.outcome == {"answer": "Let me think... 1 + 1 is probably 3!", "correct": False}
    assert isinstance(t.events[0], Event) and t.events[0].role == "answerer"
    assert t.usage.output_tokens > 0 and set(t.usage_by_role) == {"answerer"}
    assert len(run.judgments) == len(lines(folder / "judgments.jsonl")) == 8
    j = next(j for j in run.judgments if j.transcript_id == "q2:plain")
    assert j.judge_kind == "model" and j.verdict["correct"] is True and j.stands
    assert run.metrics == json.loads((folder / "metrics.json").read_text())
    assert run.metrics["accuracy"] == 0.5


def test_frames_have_a_row_per_transcript_judgment_and_call(tmp_path: Path) -> None:
    scripted.register("sum", sloppy_sum)
    run = oversight.run(qa_experiment(tmp_path), runs_dir=tmp_path / "runs", progress=False)
    transcripts, judgments, calls = run.transcripts_frame(), run.judgments_frame(), run.calls_frame()
    on_disk = lines(run.path / "transcripts.jsonl")
    assert len(transcripts) == len(on_disk) == 4
    assert {"id", "condition", "error", "input_tokens", "cost_usd", "outcome.correct"} <= set(transcripts.columns)
    assert transcripts.set_index("id")["outcome.correct"].to_dict() == {"q0:plain": True, "q1:plain": False,
                                                                       "q2:plain": True, "q3:plain": False}
    assert len(judgments) == len(lines(run.path / "judgments.jsonl")) == 4
    assert {"judge_kind", "judge_id", "stands", "left_out", "correct"} <= set(judgments.columns)
    events = [e for r in on_disk for e in r["events"] if e["type"] == "model"]
    assert len(calls) == len(events) == 4
    assert {"role", "model", "input_tokens", "output_tokens", "cost_usd", "latency_s", "cached"} <= set(calls.columns)
    assert set(calls["role"]) == {"answerer"} and set(calls["model"]) == {events[0]["model"]}
    assert calls["output_tokens"].sum() == sum(e["usage"]["output_tokens"] for e in events)


def test_retracted_human_judgments_are_flagged_not_counted(tmp_path: Path) -> None:
    scripted.register("sum", sloppy_sum)
    run = oversight.run(qa_experiment(tmp_path), runs_dir=tmp_path / "runs", progress=False)
    folder = RunFolder.open(run.path)
    kept = human_judgment("q1:plain", "ana", {"correct": True})
    undone = human_judgment("q3:plain", "ana", {"correct": False})
    for record in (kept, undone, retraction(undone)):
        folder.append_judgment(record)
    reopened = oversight.open_run(run.path)
    frame = reopened.judgments_frame().set_index("id")
    assert len(frame) == 4 + 3
    assert frame.loc[kept["id"], "stands"] and frame.loc[kept["id"], "judge_kind"] == "human"
    assert frame.loc[undone["id"], "left_out"] == "retracted" and not frame.loc[undone["id"], "stands"]
    assert frame["left_out"].value_counts().to_dict() == {"retracted": 2}
    standing, _ = folder.judgments()  # what oversight report counts
    assert sorted(str(j.record) for j in reopened.judgments) == sorted(str(r) for r in standing)


def test_nested_dict_overrides_keep_the_other_keys_and_bad_ones_are_one_line(tmp_path: Path) -> None:
    scripted.register("sum", sloppy_sum)
    path = qa_experiment(tmp_path, params={"conditions": ["plain"], "with_judge": False})
    run = oversight.run(path, runs_dir=tmp_path / "runs", progress=False, params={"conditions": ["a"]}, limit=2)
    assert run.experiment.params == {"conditions": ["a"], "with_judge": False}
    assert sorted(t.id for t in run.transcripts) == ["q0:a", "q1:a"]
    with pytest.raises(UserError) as err:
        oversight.run(path, runs_dir=tmp_path / "runs", progress=False, **{"params.rounds": 1})
    assert "params.rounds" in str(err.value) and "\n" not in str(err.value)


def test_run_takes_an_experiment_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scripted.register("sum", sloppy_sum)
    data = yaml.safe_load(qa_experiment(tmp_path).read_text())
    monkeypatch.chdir(tmp_path)  # the task path is relative to where the notebook runs
    run = oversight.run(validate_experiment(data, "notebook"), runs_dir="runs", progress=False, limit=1)
    assert [t.outcome["answer"] for t in run.transcripts] == ["  0\n"]


def test_open_run_on_a_missing_or_wrong_folder_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such run folder"):
        oversight.open_run(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="not a run folder"):
        oversight.open_run(tmp_path / "empty")


def test_the_api_works_inside_a_running_event_loop(tmp_path: Path) -> None:
    """As in Jupyter, where a loop is already running in the notebook's thread."""
    scripted.register("sum", sloppy_sum)

    async def cell() -> Any:
        return oversight.run(qa_experiment(tmp_path), runs_dir=tmp_path / "runs", progress=False)

    run = asyncio.run(cell())
    assert len(run.transcripts) == 4 and run.metrics is not None and run.metrics["accuracy"] == 0.5


def debate_experiment(tmp_path: Path) -> Path:
    scripted.register("debater", ["I defend my answer. The story says <quote>the clock</quote> stopped."])
    scripted.register("runjudge", ["Answer: A, 70%"])
    config = yaml.safe_load((REPO / "protocols" / "debate.yaml").read_text())
    config.update(task={"path": str(REPO / "tasks" / "debate_stories.jsonl"), "format": "native"},
                  models={"debater_a": "scripted:debater", "debater_b": "scripted:debater",
                          "judge": "scripted:runjudge"},
                  cache=False, retry={"max_attempts": 1})
    path = tmp_path / "debate.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_judge_adds_a_model_judges_judgments_and_recomputes_metrics(tmp_path: Path) -> None:
    path = debate_experiment(tmp_path)
    run = oversight.run(path, runs_dir=tmp_path / "runs", progress=False, limit=2,
                        params={"conditions": ["debate", "blind"], "rounds": 1, "judge_kind": "model"})
    assert run.experiment.params["rounds"] == 1
    drawn = {f: f.stat().st_mtime_ns for f in (run.path / "plots").glob("*.png")}
    assert drawn  # the run's figures, as `oversight run` draws them
    before = len(run.all_judgments)
    scripted.register("newjudge", ["Hmm. Debater B quotes the story; I am fairly sure.\nFinal answer: B (60%)"])
    rejudged = oversight.judge(run, model="scripted:newjudge", progress=False)
    on_disk = lines(run.path / "judgments.jsonl")
    new = [j for j in rejudged.all_judgments if j.judge_id.startswith("model:scripted:newjudge:")]
    assert new and len(rejudged.all_judgments) == len(on_disk) == before + len(new)
    assert all(j.stands and not j.failed and j.model == "scripted:newjudge" for j in new)
    assert rejudged.metrics == json.loads((run.path / "metrics.json").read_text())
    assert new[0].judge_id in rejudged.metrics["judges"] and new[0].judge_id not in run.metrics["judges"]
    assert all(j.usage is not None and j.usage.input_tokens > 0 for j in new)
    frame = rejudged.judgments_frame()
    assert frame.loc[frame["judge_id"] == new[0].judge_id, "input_tokens"].gt(0).all()
    assert frame.loc[frame["judge_id"] == "model:scripted:runjudge", "input_tokens"].isna().all()
    # the figures are drawn again from the new metrics, as `oversight judge --model` redraws them
    assert all(f.stat().st_mtime_ns > when for f, when in drawn.items())
    again = oversight.judge(run.path, model="scripted:newjudge", progress=False)  # nothing left to judge
    assert len(again.all_judgments) == len(on_disk)


def test_judge_refuses_bad_options_in_one_line(tmp_path: Path) -> None:
    scripted.register("sum", sloppy_sum)
    run = oversight.run(qa_experiment(tmp_path), runs_dir=tmp_path / "runs", progress=False)
    with pytest.raises(UserError, match="concurrency 0"):
        oversight.judge(run, model="scripted:x", concurrency=0)
    with pytest.raises(UserError, match="no such run folder"):
        oversight.judge(tmp_path / "nope", model="scripted:x")
    for bad in ("ana\x1b[31m", "a\u200bb", "\ufeff"):
        with pytest.raises(UserError, match=r"judge_id .*control or invisible characters \(U\+"):
            oversight.judge(run, model="scripted:x", judge_id=bad)
    with pytest.raises(UserError, match="judge_id: give a name"):
        oversight.judge(run, model="scripted:x", judge_id="   ")
    assert len(oversight.open_run(run.path).all_judgments) == 4  # nothing was written


def test_a_judge_id_is_made_one_as_the_command_line_makes_it(tmp_path: Path) -> None:
    run = oversight.run(debate_experiment(tmp_path), runs_dir=tmp_path / "runs", progress=False, limit=1,
                        params={"conditions": ["debate"], "rounds": 1, "judge_kind": "model"})
    judged = oversight.judge(run, model="scripted:runjudge", judge_id="  Jose\u0301  Ana ", progress=False,
                             cache=False)
    assert {j.judge_id for j in judged.all_judgments} - {j.judge_id for j in run.all_judgments} == {"Jos\u00e9 Ana"}


def test_the_plans_errors_name_the_arguments_judge_takes(tmp_path: Path) -> None:
    """Never the command line's flags: `--set warmth` means nothing to a notebook's caller."""
    from tests.helpers.tui_runs import debate_run

    run = debate_run(tmp_path, limit=1, judge=lambda messages: "Answer: A, 70%")
    for kwargs, said in [({"limit": 0}, "limit=0: give a positive number"),
                         ({"conditions": "nope"}, "conditions nope: no finished transcript has it"),
                         ({"settings": {"warmth": 1}}, "settings warmth: not a generation setting"),
                         ({"binds": {"judge": "scripted:y"}}, "binds judge: judge is the role model=SPEC judges as")]:
        with pytest.raises(UserError) as caught:
            oversight.judge(run, model="scripted:x", progress=False, **kwargs)
        assert str(caught.value).startswith(said) and "--" not in str(caught.value), caught.value


def test_importing_oversight_does_not_load_the_run_machinery() -> None:
    code = ("import sys, oversight, oversight.core.errors; assert 'run' in oversight.__all__; "
            "print(sorted(m for m in sys.modules if m.startswith(('oversight.api', 'oversight.runs.', 'pandas'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(REPO)}).stdout
    assert out.strip() == "[]"


def test_run_and_judge_are_the_api_functions_beside_the_layer_packages() -> None:
    import oversight.api
    import oversight.judging.rejudge
    import oversight.runs.runner

    assert oversight.run is oversight.api.run and oversight.judge is oversight.api.judge
    assert oversight.runs.runner is sys.modules["oversight.runs.runner"]
    assert oversight.judging.rejudge is sys.modules["oversight.judging.rejudge"]


def test_an_interrupt_inside_a_running_loop_cancels_the_work_on_the_thread() -> None:
    """A notebook's stop button while the work runs on the worker thread: the work is cancelled
    (as Ctrl-C cancels units in the shell) and waited for, then the interrupt is raised."""
    cancelled = threading.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def cell() -> None:
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
        with pytest.raises(KeyboardInterrupt):
            run_sync(slow)

    loop = asyncio.new_event_loop()  # like Jupyter's: no SIGINT handler of asyncio's own
    try:
        loop.run_until_complete(cell())
    finally:
        loop.close()
    assert cancelled.is_set()


def test_a_sweep_runs_every_point_and_run_refuses_one(tmp_path: Path) -> None:
    scripted.register("sum", sloppy_sum)
    path = qa_experiment(tmp_path, sweep={"limit": [1, 2]})
    with pytest.raises(UserError, match="sweep"):
        oversight.run(path, runs_dir=tmp_path / "runs", progress=False)
    runs = oversight.sweep(path, runs_dir=tmp_path / "runs", progress=False)
    assert [len(r.transcripts) for r in runs] == [1, 2]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == sorted(r.path.name for r in runs)
    once = oversight.run(path, runs_dir=tmp_path / "once", progress=False, sweep={})  # as the error suggests
    assert len(once.transcripts) == 4


def test_failed_units_and_failed_calls_show_in_the_records_and_frames(tmp_path: Path) -> None:
    def flaky(messages) -> Any:  # type: ignore[no-untyped-def]
        if "What is 3 plus" in messages[-1].content:
            return ProviderError("HTTP 400 the prompt was refused", retryable=False, status=400)
        return sloppy_sum(messages)

    scripted.register("sum", flaky)
    run = oversight.run(qa_experiment(tmp_path), runs_dir=tmp_path / "runs", progress=False)
    [failed] = [t for t in run.transcripts if t.failed]
    assert failed.id == "q3:plain" and "refused" in (failed.error or "")
    frame = run.transcripts_frame().set_index("id")
    assert "refused" in frame.loc["q3:plain", "error"] and frame["error"].isna().sum() == 3
    calls = run.calls_frame()
    assert calls["type"].value_counts().to_dict() == {"model": 3, "model_error": 1}
    assert "refused" in calls.loc[calls["transcript_id"] == "q3:plain", "error"].iloc[0]
    assert len(run.judgments) == 3  # a failed unit gets no judgment


def test_a_failed_judge_call_judged_again_is_flagged_retried(tmp_path: Path) -> None:
    run = oversight.run(debate_experiment(tmp_path), runs_dir=tmp_path / "runs", progress=False, limit=1,
                        params={"conditions": ["debate"], "rounds": 1, "judge_kind": "model"})
    calls = {"n": 0}

    def flaky(messages) -> Any:  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            return ProviderError("HTTP 400 context length exceeded", retryable=False, status=400)
        return "Both debaters quote; B's quote is on point.\nAnswer: B, 65%"

    scripted.register("flaky", flaky)
    first = oversight.judge(run, model="scripted:flaky", judge_id="j1", cache=False, progress=False)
    [failed] = [j for j in first.all_judgments if j.judge_id == "j1" and j.failed]
    assert failed.stands and "context length" in (failed.reason or "")
    second = oversight.judge(run, model="scripted:flaky", judge_id="j1", cache=False, retry_failed=True,
                             progress=False)
    mine = {j.id: j for j in second.all_judgments if j.judge_id == "j1"}
    assert mine[failed.id].left_out == "retried"
    [retry] = [j for j in mine.values() if j.supersedes == failed.id]
    assert retry.stands and not retry.failed
    assert not any(j.failed for j in second.judgments if j.judge_id == "j1")


def test_hand_edited_lines_are_skipped_with_a_warning_naming_the_file(tmp_path: Path) -> None:
    scripted.register("sum", sloppy_sum)
    run = oversight.run(qa_experiment(tmp_path), runs_dir=tmp_path / "runs", progress=False)
    path = run.path / "transcripts.jsonl"
    records = lines(path)
    records[0]["events"][0]["usage"]["cost_usd"] = "cheap"
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + '{"id": 7, "oops": "an integer id"}\n')
    with pytest.warns(UserWarning, match="transcripts.jsonl: skipping line") as seen:
        reopened = oversight.open_run(run.path)
    assert len(seen) == 2 and sorted(t.id for t in reopened.transcripts) == sorted(r["id"] for r in records[1:])
    assert len(reopened.transcripts_frame()) == 3 and len(reopened.calls_frame()) == 3


def test_judge_takes_one_condition_as_a_string_and_settings_as_values(tmp_path: Path) -> None:
    run = oversight.run(debate_experiment(tmp_path), runs_dir=tmp_path / "runs", progress=False, limit=2,
                        params={"conditions": ["debate", "blind"], "rounds": 1, "judge_kind": "model"})
    scripted.register("newjudge", ["I lean to the second answer.  Final answer: B (55%)"])
    rejudged = oversight.judge(run, model="scripted:newjudge", judge_id="blind-only", conditions="blind",
                               settings={"temperature": 0.0, "max_tokens": 64}, progress=False)
    new = [j for j in rejudged.all_judgments if j.judge_id == "blind-only"]
    by_id = {t.id: t for t in rejudged.transcripts}
    assert new and {by_id[j.transcript_id].condition for j in new} == {"blind"}
    assert all(j.record["settings"]["temperature"] == 0.0 and j.record["settings"]["max_tokens"] == 64 for j in new)


def test_a_torn_judgment_line_is_warned_of_once(tmp_path: Path) -> None:
    scripted.register("sum", sloppy_sum)
    run = oversight.run(qa_experiment(tmp_path), runs_dir=tmp_path / "runs", progress=False)
    with (run.path / "judgments.jsonl").open("a") as fh:
        fh.write('{"transcript_id": "q0:plain", "judge": {"kind": "mod')  # a crash mid-write
    with pytest.warns(UserWarning, match="judgments.jsonl") as seen:
        reopened = oversight.open_run(run.path)
    assert len([w for w in seen if "judgments.jsonl" in str(w.message)]) == 1
    assert len(reopened.all_judgments) == len(reopened.judgments_frame()) == 4


def test_warnings_point_at_the_callers_line(tmp_path: Path) -> None:
    scripted.register("sum", sloppy_sum)
    run = oversight.run(qa_experiment(tmp_path), runs_dir=tmp_path / "runs", progress=False)
    with (run.path / "transcripts.jsonl").open("a") as fh:
        fh.write('{"id": "q9:plain", "outcome": {"answer": "a line cut off mid-wr')
    with pytest.warns(UserWarning, match="transcripts.jsonl") as seen:
        here = sys._getframe().f_lineno + 1
        oversight.open_run(run.path)
    assert {(Path(w.filename).name, w.lineno) for w in seen} == {(Path(__file__).name, here)}


def test_open_run_on_a_file_says_to_pass_the_run_folder(tmp_path: Path) -> None:
    scripted.register("sum", sloppy_sum)
    run = oversight.run(qa_experiment(tmp_path), runs_dir=tmp_path / "runs", progress=False)
    with pytest.raises(UserError) as caught:
        oversight.open_run(run.path / "transcripts.jsonl")
    assert str(caught.value) == (f"{run.path / 'transcripts.jsonl'}: a file, not a run folder: "
                                 f"pass the run folder ({run.path})")
    with pytest.raises(UserError, match=r"exp\.yaml: a file, not a run folder: pass the run folder \(the folder "
                                        r"holding experiment\.yaml\)"):
        oversight.open_run(tmp_path / "exp.yaml")


def test_the_readme_recipe_for_debate_accuracy_from_the_frame_is_the_headline(tmp_path: Path) -> None:
    """The README's pandas lines give metrics.json's accuracy, for messy verdicts: probabilities
    either side of 0.5, an exact tie and unreadable text."""
    import itertools
    import re as _re

    from tests.helpers.tui_runs import debate_run

    replies = itertools.cycle(["Answer: A, 70%", "Answer: B, 55%", "I cannot tell from this.", "Answer: A, 50%",
                               "Answer: B, 90%", "A, 60%", "hmm", "Answer: B, 51%"])
    run = oversight.open_run(debate_run(tmp_path, limit=4, judge=lambda messages: next(replies)))
    frame = run.judgments_frame()
    s = frame[frame.stands & ~frame.failed.astype(bool)]
    p = s.p_correct.astype(float).fillna(s.correct.astype(float)).where(~s.invalid.astype(bool), 0.0)
    per = p.groupby([s.judge_id, s.condition, s.transcript_id]).mean()
    ours = ((per > 0.5) + 0.5 * (per == 0.5)).groupby(level=["judge_id", "condition"]).mean().to_dict()
    assert s.invalid.astype(bool).any()  # the recipe is checked with invalid verdicts in it
    [judge] = set(s.judge_id)  # one judge: the table names none
    headline = {(judge, r["condition"]): r["acc"] for r in run.metrics["table"]
                if r.get("acc") is not None and not _re.search(r" - ", r["condition"])}
    assert headline and {k: round(v, 6) for k, v in ours.items()} == {k: round(v, 6) for k, v in headline.items()}


def test_the_readme_recipe_for_usage_by_role_is_the_runs_and_never_prices_an_unpriced_model(tmp_path: Path) -> None:
    """Scripted models have no price: their cost is NaN in the recipe, as metrics.json has None,
    never the $0 a plain `.sum()` of missing values gives."""
    from tests.helpers.tui_runs import debate_run

    run = oversight.open_run(debate_run(tmp_path, limit=2, judge=lambda messages: "Answer: A, 70%"))
    calls = run.calls_frame()
    by_role = calls.groupby("role")[["input_tokens", "output_tokens", "cost_usd"]].sum(min_count=1)
    usage = run.metrics["run"]["usage_by_role"]
    assert set(by_role.index) == set(usage) and len(usage) >= 2
    for role, row in by_role.iterrows():
        assert (row.input_tokens, row.output_tokens) == (usage[role]["input_tokens"], usage[role]["output_tokens"])
        assert usage[role]["cost_usd"] is None and row.isna().cost_usd
    assert (calls.groupby("role").cost_usd.sum() == 0).all()  # what the README's line said before


def test_a_judge_model_without_its_key_is_blamed_on_the_argument_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """No chained "no running event loop" behind it (a traceback in a notebook shows the chain)."""
    from oversight.cli.main import main
    from tests.helpers.tui_runs import debate_run

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    run = debate_run(tmp_path, limit=1, judge=lambda messages: "Answer: A, 70%")
    with pytest.raises(UserError) as caught:
        oversight.judge(run, model="openai:gpt-4.1-mini", progress=False)
    assert str(caught.value).startswith("model='openai:gpt-4.1-mini': OPENAI_API_KEY is not set")
    chain, exc = [], caught.value
    while exc is not None:
        chain.append(exc)
        exc = exc.__context__
    assert not any(isinstance(e, RuntimeError) for e in chain), chain
    assert caught.value.__suppress_context__ or caught.value.__context__ is None
    capsys.readouterr()
    assert main(["judge", str(run), "--model", "openai:gpt-4.1-mini"]) == 2
    [error] = capsys.readouterr().err.strip().splitlines()
    assert error.startswith("error: oversight judge: --model openai:gpt-4.1-mini: OPENAI_API_KEY is not set")


def test_judging_errors_read_as_python_in_the_api() -> None:
    from oversight.api.actions import python_spelling

    assert python_spelling("--limit: a resumed run keeps its units") == "limit: a resumed run keeps its units"
    assert python_spelling("--model local: no such model; --no-cache") == "model=local: no such model; cache=False"
    assert python_spelling("--set temperature: not a number") == "settings temperature: not a number"


def test_a_bind_without_a_model_is_refused_in_the_apis_own_terms(tmp_path: Path) -> None:
    run = oversight.run(debate_experiment(tmp_path), runs_dir=tmp_path / "runs", progress=False, limit=1,
                        params={"conditions": ["debate"], "rounds": 1, "judge_kind": "model"})
    with pytest.raises(UserError, match=r"^binds \{'judge': ''\}: give a role and a model spec, binds=\{ROLE: SPEC\}$"):
        oversight.judge(run, model="scripted:runjudge", binds={"judge": ""}, progress=False)
