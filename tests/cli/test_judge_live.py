"""`oversight judge-live` end to end with scripted speakers and a scripted person: one
condition per item, blind and expert left out with a note, a quit that resumes from the run
folder with no speech spoken twice, and one-line errors for experiments that cannot be live."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from oversight.cli import judge_live
from oversight.cli.main import main
from oversight.models.providers import scripted
from oversight.models.providers.base import ProviderError
from oversight.models.types import Message
from tests.helpers.tui_runs import ROOT, debater

SPOKEN: Counter[str] = Counter()


def counting(messages: list[Message]) -> str:
    SPOKEN[messages[-1].content[-60:]] += 1
    return debater(messages)


def experiment(tmp_path: Path, **params: Any) -> Path:
    data = yaml.safe_load((ROOT / "protocols" / "debate.yaml").read_text(encoding="utf-8"))
    data["models"] = {r: "scripted:live-cli-debater" for r in ("debater_a", "debater_b", "consultant")}
    data["models"]["judge"] = "scripted:live-cli-judge"
    data["params"].update(judge_kind="model", rounds=2, judge_questions=1, **params)
    data.update(limit=2, cache=False)
    path = tmp_path / "live.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def args(target: Path, runs: Path, **extra: Any) -> argparse.Namespace:
    return argparse.Namespace(target=str(target), judge_id="ana", runs_dir=str(runs), limit=extra.get("limit"),
                              allow_path=[])


def person(answers: list[Any]) -> Any:
    async def ask(payload: dict[str, Any]) -> Any:
        return answers.pop(0) if answers else None
    return ask


CONTINUE = {"action": "ask", "questions": [{"to": "both", "text": "Quote the line, please."}]}
VERDICT = {"action": "end", "choice": 0, "probability": 0.75, "comment": "A quoted it."}


def test_quit_then_resume_from_the_run_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    SPOKEN.clear()
    scripted.register("live-cli-debater", counting)
    scripted.register("live-cli-judge", lambda m: pytest.fail("the person is the judge"))
    runs = tmp_path / "runs"
    assert judge_live.command(args(experiment(tmp_path), runs), ask=person([CONTINUE])) == 0
    out = capsys.readouterr()
    assert "blind, expert have no speeches to judge live" in out.err
    [run] = list(runs.iterdir())
    said = out.out.splitlines()
    at = said.index("paused; to go on, run:")  # the command on a line of its own, to copy whole
    assert said[at + 1] == f"  oversight judge-live {run} --judge-id ana"
    spoken = dict(SPOKEN)
    assert judge_live.command(args(run, runs), ask=person([VERDICT, VERDICT, VERDICT, VERDICT])) == 0
    assert all(SPOKEN[k] == v for k, v in spoken.items())  # nothing said before the quit was said again
    transcripts = [orjson.loads(x) for x in (run / "transcripts.jsonl").read_bytes().splitlines()]
    judgments = [orjson.loads(x) for x in (run / "judgments.jsonl").read_bytes().splitlines()]
    assert len({t["item_id"] for t in transcripts}) == len(transcripts) == 2  # one condition per item
    assert {t["condition"] for t in transcripts} <= {"debate", "consultancy"}
    assert [j["judge"] for j in judgments] == [{"kind": "human", "id": "ana"}] * 2
    assert (run / "metrics.json").exists()
    said = capsys.readouterr().out
    assert "judged 2 units live; every unit of yours is judged\n" in said and f"metrics.json in {run}\n" in said
    assert f"oversight report {run.resolve()}" in said and f"oversight review {run.resolve()}" in said


def test_swap_rerun_is_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["judge-live", str(experiment(tmp_path, swap="rerun")), "--judge-id", "ana",
                 "--runs-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert "swap: rerun" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_only_blind_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["judge-live", str(experiment(tmp_path, conditions=["blind"])), "--judge-id", "ana",
                 "--runs-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err  # refused by the params (judge_questions) before judge-live's own check
    assert "no speeches" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_no_request_repeated_on_a_fake_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers.fakes.llm_server import FakeLLM, serve

    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake")
    fake = FakeLLM(reply=lambda prompt: "Well -- <quote>the soup did not tremble</quote>, as I said.")
    path = experiment(tmp_path, conditions=["debate"])
    with serve(fake):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["models"] = {r: f"openai:fake-gpt@{fake.openai_url}" for r in data["models"]}
        data["limit"] = 1
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        runs = tmp_path / "runs"
        assert judge_live.command(args(path, runs), ask=person([])) == 0  # quits at the first pause
        first = list(fake.requests)
        assert len(first) == 2  # round 1: both debaters
        [run] = list(runs.iterdir())
        assert judge_live.command(args(run, runs), ask=person([])) == 0  # opened again, quit again
        assert fake.requests == first
        assert judge_live.command(args(run, runs), ask=person([CONTINUE, VERDICT])) == 0
    assert fake.requests[:2] == first and len(fake.requests) == 4 and len(set(fake.requests)) == 4
    [transcript] = [orjson.loads(x) for x in (run / "transcripts.jsonl").read_bytes().splitlines()]
    assert len([e for e in transcript["events"] if e["type"] == "model"]) == 4  # every call, each once


def test_each_speech_is_shown_before_the_pause_that_follows_it(tmp_path: Path) -> None:
    scripted.register("live-cli-debater", debater)
    scripted.register("live-cli-judge", lambda m: pytest.fail("the person is the judge"))
    log: list[tuple[str, Any]] = []
    answers = [CONTINUE, VERDICT, CONTINUE, VERDICT]

    async def ask(payload: dict[str, Any]) -> Any:
        log.append(("ask", payload))
        return answers.pop(0)

    path = experiment(tmp_path, conditions=["debate"])
    assert judge_live.command(args(path, tmp_path / "runs"), ask=ask, show=lambda p: log.append(("show", p))) == 0
    kinds = [k for k, _ in log]
    assert kinds[0] == "show" and kinds.count("ask") == 4
    shown = [p["view"]["variables"]["transcript"] for k, p in log[:kinds.index("ask")]]
    assert any("Debater A (round 1):" in t and "Debater B (round 1):" not in t for t in shown)  # one at a time
    second = kinds.index("ask", kinds.index("ask") + 1)
    round_two = [p for k, p in log[kinds.index("ask") + 1:second] if k == "show"]
    assert round_two and all(p["kind"] == "progress" and p["round"] == 2 for p in round_two)
    assert "Debater B (round 2):" in round_two[-1]["view"]["variables"]["transcript"]
    assert "scripted" not in repr([p for k, p in log if k == "show"])


@pytest.mark.parametrize("bad", ["ana\x1b[2J", "ana\nbob", "a\u200bna\x07", "\u200b", "a\u2028b", "\ufeffana",
                                 "\u2800", "an\u00ada"])
def test_a_judge_id_with_control_characters_is_refused_as_judge_refuses_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str) -> None:
    codes = [main(["judge-live", str(experiment(tmp_path)), "--judge-id", bad, "--runs-dir", str(tmp_path / "runs")]),
             main(["judge", str(tmp_path), "--human", "--judge-id", bad])]
    errs = capsys.readouterr().err.strip().splitlines()
    assert codes == [2, 2] and len(errs) == 2 and errs[0] == errs[1].replace("oversight judge", "oversight judge-live")
    assert "control or invisible characters (U+" in errs[0] and "\x1b" not in errs[0] and "\x07" not in errs[0]
    assert not (tmp_path / "runs").exists()


def test_a_failed_unit_is_named_with_the_command_that_runs_it_again(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def broken(messages: list[Message]) -> ProviderError:
        return ProviderError("503 the speaker's server went away", retryable=True, status=503)

    scripted.register("live-cli-debater", broken)
    scripted.register("live-cli-judge", lambda m: pytest.fail("the person is the judge"))
    path = experiment(tmp_path, conditions=["debate"])
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(limit=1, retry={"max_attempts": 1})
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    runs = tmp_path / "runs"
    assert judge_live.command(args(path, runs), ask=person([])) == 1
    [run] = list(runs.iterdir())
    said = capsys.readouterr().out.splitlines()
    assert said[1] == "judged 0 units live; 1 unit failed (each transcript's error says why); to retry, run:"
    assert said[2] == f"  oversight judge-live {run} --judge-id ana"
    scripted.register("live-cli-debater", debater)  # the server is back: the same command judges the unit
    assert judge_live.command(args(run, runs), ask=person([CONTINUE, VERDICT])) == 0
    assert "every unit of yours is judged" in capsys.readouterr().out
    last = [orjson.loads(x) for x in (run / "transcripts.jsonl").read_bytes().splitlines()][-1]
    assert last["error"] is None and [j["judge"]["id"] for j in
                                      map(orjson.loads, (run / "judgments.jsonl").read_bytes().splitlines())] == ["ana"]


def test_the_printed_command_pastes_whole_for_an_id_that_looks_like_an_option(tmp_path: Path) -> None:
    import shlex

    from oversight.cli.main import _parser

    for judge_id in ("-x", "--ana", "ana b", "o'neil"):
        command = judge_live.paused_line(tmp_path / "my runs" / "r1", judge_id).splitlines()[-1]
        parsed = _parser().parse_args(shlex.split(command)[1:])
        assert (parsed.judge_id, Path(parsed.target)) == (judge_id, tmp_path / "my runs" / "r1")
