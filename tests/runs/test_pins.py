"""Resume refuses a run whose config, task or prompts changed (issue 15, items 3 and 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from oversight.cli.main import main
from oversight.models.providers import scripted
from tests.runs.test_runner import arithmetic, lines, only_run, write_experiment


def started_run(tmp_path: Path, **overrides) -> Path:  # type: ignore[no-untyped-def]
    """A run of 4 units with 2 finished, as if it had been interrupted."""
    scripted.register("math", arithmetic)
    (tmp_path / "mine.txt").write_text("Q: {question}\nA:")
    exp = write_experiment(tmp_path, limit=4, prompts={"answer": "mine.txt"}, **overrides)
    assert main(["run", str(exp), "--runs-dir", str(tmp_path / "runs")]) == 0
    run = only_run(tmp_path / "runs")
    kept = (run / "transcripts.jsonl").read_text().splitlines()[:2]
    (run / "transcripts.jsonl").write_text("\n".join(kept) + "\n")
    return run


def edit_yaml(run: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load((run / "experiment.yaml").read_text())
    change(data)
    (run / "experiment.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


EDITS = [
    ("limit", lambda d: d.update(limit=6), "limit was changed after the run started"),
    ("seed", lambda d: d.update(seed=9), "seed was changed"),
    ("params", lambda d: d["params"].update(conditions=["plain", "hint"]), "params.conditions was changed"),
    ("model", lambda d: d["models"].update(answerer="scripted:other"), "models.answerer was changed"),
    ("generation", lambda d: d.update(generation={"default": {"max_tokens": 7}}), "generation.default was changed"),
    ("task", lambda d: d["task"].update(shuffle=True), "task.shuffle was changed"),
    ("prompt", lambda d: d["prompts"].pop("answer"), "prompts.answer was changed"),
]


@pytest.mark.parametrize("field,change,message", EDITS, ids=[e[0] for e in EDITS])
def test_edited_experiment_yaml_is_refused_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, change, message: str  # type: ignore[no-untyped-def]
) -> None:
    run = started_run(tmp_path)
    scripted.register("other", arithmetic)
    edit_yaml(run, change)
    calls = len(scripted.CALLS["math"])
    capsys.readouterr()
    assert main(["run", "--resume", str(run)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and "start a new run" in err, err
    assert len(scripted.CALLS["math"]) == calls and len(lines(run / "transcripts.jsonl")) == 2


def test_settings_that_do_not_change_requests_may_be_edited(tmp_path: Path) -> None:
    run = started_run(tmp_path)
    edit_yaml(run, lambda d: d.update(concurrency=1, max_connections=2, description="slower now"))
    assert main(["run", "--resume", str(run)]) == 0
    assert len(lines(run / "transcripts.jsonl")) == 4


def test_edited_task_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = started_run(tmp_path)
    items = tmp_path / "items.jsonl"
    items.write_text(items.read_text().replace("What is 3 plus 3?", "What is 3 plus 4?"))
    capsys.readouterr()
    assert main(["run", "--resume", str(run)]) == 2
    err = capsys.readouterr().err
    assert f"{items.resolve()}: the task changed after the run started (sha256 " in err


def test_edited_prompt_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = started_run(tmp_path)
    (tmp_path / "mine.txt").write_text("Question: {question}\nAnswer:")
    capsys.readouterr()
    assert main(["run", "--resume", str(run)]) == 2
    assert f"{(tmp_path / 'mine.txt').resolve()}: prompt 'answer' changed after the run started" in capsys.readouterr().err


def test_pins_record_every_prompt_path_and_the_task_hash(tmp_path: Path) -> None:
    import hashlib

    run = started_run(tmp_path)
    pins = yaml.safe_load((run / "experiment.yaml").read_text())["oversight_run"]["pins"]
    items = tmp_path / "items.jsonl"
    assert pins["task"] == {"path": str(items.resolve()), "sha256": hashlib.sha256(items.read_bytes()).hexdigest()}
    assert pins["prompts"]["answer"]["path"] == str((tmp_path / "mine.txt").resolve())
    assert {"limit", "seed", "models.answerer", "task.path"} <= set(pins["config"])
    assert "concurrency" not in pins["config"]


def test_validate_shows_every_prompt_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scripted.register("math", arithmetic)
    (tmp_path / "mine.txt").write_text("Q: {question}\nA:")
    exp = write_experiment(tmp_path, prompts={"answer": "mine.txt"})
    assert main(["validate", str(exp)]) == 0
    out = capsys.readouterr().out
    assert f"prompt answer: {(tmp_path / 'mine.txt').resolve()}" in out.replace("\n", "")


def test_transcripts_outside_the_plan_are_reported_not_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = started_run(tmp_path)
    stray = json.loads((run / "transcripts.jsonl").read_text().splitlines()[0])
    stray["id"] = "q99:plain"
    with open(run / "transcripts.jsonl", "a") as fh:
        fh.write(json.dumps(stray) + "\n")
    capsys.readouterr()
    assert main(["run", "--resume", str(run)]) == 0
    assert "1 transcript outside the plan left out" in capsys.readouterr().out
    metrics = json.loads((run / "metrics.json").read_text())["run"]
    assert metrics["units_finished"] == 4 and metrics["units_planned"] == 4 and metrics["units_outside_plan"] == 1
