"""Bad experiment files: each gives one line naming the file and field, and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oversight.cli.main import main


GOOD = """\
name: qa-test
protocol: qa
task: {path: items.jsonl}
models: {answerer: "scripted:echo"}
"""

def write_items(folder: Path) -> None:
    """The one-item task file every experiment here points at."""
    (folder / "items.jsonl").write_text(json.dumps({"id": "a", "question": "q?", "answer": "x"}) + "\n")


CASES = [
    # (file text, expected fragments of the one-line message)
    (GOOD.replace("scripted:echo", "antropic:claude"), ["models.answerer", "unknown provider 'antropic'", "known: anthropic"]),
    (GOOD.replace("scripted:echo", "gemma"), ["models.answerer", "malformed model spec"]),
    (GOOD + "limt: 3\n", ["limt", "unknown field"]),
    (GOOD.replace("protocol: qa", "protocol: debat"), ["unknown protocol 'debat'", "known:"]),
    (GOOD.replace("name: qa-test\n", ""), ["name", "required field is missing"]),
    (GOOD + "limit: 0\n", ["limit", "greater than or equal to 1"]),
    (GOOD + "generation: {answerer: {temperature: 7}}\n", ["generation.answerer.temperature", "less than or equal to 2"]),
    (GOOD + "generation: {answerer: {temprature: 0.5}}\n", ["generation.answerer.temprature", "unknown field"]),
    (GOOD + "params: {with_judgee: true}\n", ["params.with_judgee", "unknown field"]),
    (GOOD + "params: {with_judge: true}\n", ["models.judge", "required role has no model"]),
    (GOOD.replace("models: {", "models: {critic: 'scripted:echo', "), ["models.critic", "no such role"]),
    (GOOD.replace("items.jsonl", "missing.jsonl"), ["task.path", "'missing.jsonl' not found"]),
    (GOOD.replace("task: {path: items.jsonl}", "task: {}"), ["task", "exactly one of builtin"]),
    (GOOD + "prompts: {judge: x.txt}\n", ["prompts.judge", "no such prompt"]),
    (GOOD + "prompts: {answer: nothere.txt}\n", ["prompts.answer", "not found"]),
    (GOOD + "sweep: {params.conditions: []}\n", ["sweep.params.conditions", "non-empty list"]),
    ("name: [unclosed\n", ["invalid YAML", "line"]),
    ("- just\n- a list\n", ["expected a mapping"]),
    (GOOD + "cache: maybe\n", ["cache", "valid boolean"]),
    (GOOD.replace("scripted:echo", "local:/nowhere/model.gguf"), ["/nowhere/model.gguf", "not found"]),
]


@pytest.mark.parametrize("text,fragments", CASES, ids=[c[1][0] for c in CASES])
def test_bad_file_gives_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, fragments: list[str]
) -> None:
    write_items(tmp_path)
    path = tmp_path / "exp.yaml"
    path.write_text(text)
    assert main(["run", str(path), "--runs-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    assert err.startswith(f"error: {path}: ")
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert not (tmp_path / "runs").exists()  # nothing written for a bad config


def test_bad_placeholder_in_a_prompt_fails_validation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_items(tmp_path)
    (tmp_path / "mine.txt").write_text("Q: {question!z}\nA:")
    (tmp_path / "exp.yaml").write_text(GOOD + "prompts: {answer: mine.txt}\n")
    assert main(["validate", str(tmp_path / "exp.yaml")]) == 2
    err = capsys.readouterr().err
    assert "mine.txt: bad placeholder" in err and len(err.strip().splitlines()) == 1


def test_experiment_file_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "exp.yaml").write_bytes(("description: caf\xe9\n" + GOOD).encode("latin-1"))
    assert main(["validate", str(tmp_path / "exp.yaml")]) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_bad_task_record_names_file_record_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "items.jsonl").write_text(
        json.dumps({"id": "a", "question": "q?", "answer": "x"}) + "\n" + json.dumps({"id": "b", "question": "q?"}) + "\n"
    )
    (tmp_path / "exp.yaml").write_text(GOOD)
    assert main(["validate", str(tmp_path / "exp.yaml")]) == 2
    err = capsys.readouterr().err
    assert "items.jsonl: record 2: answer: Field required" in err


def test_missing_api_key_fails_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    write_items(tmp_path)
    (tmp_path / "exp.yaml").write_text(GOOD)
    code = main(["run", str(tmp_path / "exp.yaml"), "--model", "answerer=anthropic:claude-sonnet-4-5",
                 "--runs-dir", str(tmp_path / "runs")])
    assert code == 2
    assert "ANTHROPIC_API_KEY" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_validate_checks_keys_too(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    write_items(tmp_path)
    (tmp_path / "exp.yaml").write_text(GOOD.replace("scripted:echo", "openai:gpt-4.1-mini"))
    assert main(["validate", str(tmp_path / "exp.yaml")]) == 2
    assert "models.answerer: OPENAI_API_KEY is not set" in capsys.readouterr().err


def test_bad_override_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_items(tmp_path)
    (tmp_path / "exp.yaml").write_text(GOOD)
    assert main(["validate", str(tmp_path / "exp.yaml"), "--set", "limit"]) == 2
    assert "--set 'limit': expected KEY=VALUE" in capsys.readouterr().err
    assert main(["validate", str(tmp_path / "exp.yaml"), "--set", "seed=abc"]) == 2
    assert "seed" in capsys.readouterr().err


FLAG_CASES = [
    # (flags, what the one line starts with, fragments)
    (["--limit", "0"], "--limit 0: limit:", ["greater than or equal to 1"]),
    (["--set", "limt=3"], "--set limt=3: limt:", ["unknown field", "did you mean 'limit'?"]),
    (["--set", "params.with_judgee=true"], "--set params.with_judgee=true: params.with_judgee:",
     ["did you mean 'with_judge'?"]),
    (["--set", "params.zzz=1"], "--set params.zzz=1: params.zzz:", ["unknown field (check the spelling"]),
    (["--model", "answerr=scripted:echo"], "--model answerr=scripted:echo: models.answerr:",
     ["no such role", "did you mean 'answerer'?"]),
    (["--model", "answerer=scripted:nope"], "--model answerer=scripted:nope: models.answerer:", ["no script named"]),
    (["--sweep", "seed=1,x"], "--sweep seed=1,x: seed:", ["integer"]),
]


FLAG_RUNS = [pytest.param(command, *case, id=f"{command} {case[1].split(':')[0]}")
             for command in ("run", "validate") for case in FLAG_CASES
             if command == "run" or case[0][0] != "--limit"]  # validate has no --limit


@pytest.mark.parametrize("command,flags,start,fragments", FLAG_RUNS)
def test_a_bad_value_from_a_flag_names_the_flag_not_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, flags: list[str], start: str,
    fragments: list[str],
) -> None:
    write_items(tmp_path)
    (tmp_path / "exp.yaml").write_text(GOOD)
    extra = ["--runs-dir", str(tmp_path / "runs")] if command == "run" else []
    assert main([command, str(tmp_path / "exp.yaml"), *flags, *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"error: oversight {command}: {start}"), err
    assert all(f in err for f in fragments) and "the options" not in err, err  # it says what to do
    assert not (tmp_path / "runs").exists()


def test_a_flag_named_in_an_error_keeps_its_url_password_hidden(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_items(tmp_path)
    (tmp_path / "exp.yaml").write_text(GOOD)
    assert main(["validate", str(tmp_path / "exp.yaml"), "--model", "answerr=openai:m@http://user:SECRET123@h:1/v1"]) == 2
    err = capsys.readouterr().err
    assert "SECRET123" not in err and "--model answerr=openai:m@http://user:***@h:1/v1: models.answerr" in err


def test_a_mistake_in_the_file_still_names_the_file_beside_a_good_flag(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_items(tmp_path)
    (tmp_path / "exp.yaml").write_text(GOOD + "limit: 0\n")
    assert main(["validate", str(tmp_path / "exp.yaml"), "--set", "seed=3"]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'exp.yaml'}: limit:")


def test_validate_accepts_a_good_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_items(tmp_path)
    (tmp_path / "exp.yaml").write_text(GOOD)
    assert main(["validate", str(tmp_path / "exp.yaml"), "--set", "params.conditions=[a, b]"]) == 0
    assert "1 item, 2 units" in capsys.readouterr().out
