"""`oversight ls`: each run's status read from its folder, newest first, non-runs skipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from oversight.cli.main import main
from oversight.config.experiment import RUN_META_KEY
from oversight.log.listing import list_runs
from oversight.log.runlock import release_lock, take_lock
from oversight.models.providers import scripted
from tests.runs.test_runner import arithmetic, flaky, only_run, write_experiment


def _runs(tmp_path: Path) -> Path:
    """Three real runs: finished, one with a failed unit, and a copy cut short as Ctrl-C leaves it."""
    scripted.register("math", arithmetic)
    scripted.register("flaky", flaky)
    runs = tmp_path / "runs"
    assert main(["run", str(write_experiment(tmp_path, name="good")), "--runs-dir", str(runs / "a")]) == 0
    assert main(["run", str(write_experiment(tmp_path, name="bad", models={"answerer": "scripted:flaky"})),
                 "--runs-dir", str(runs / "b")]) == 1
    for sub in ("a", "b"):
        shutil.move(str(only_run(runs / sub)), runs)
        (runs / sub).rmdir()
    good = next(runs.glob("*good*"))
    cut = runs / (good.name.replace("good", "cut") + "x")
    shutil.copytree(good, cut)
    (cut / "metrics.json").unlink()
    text = (cut / "transcripts.jsonl").read_text().splitlines(keepends=True)
    (cut / "transcripts.jsonl").write_text("".join(text[:2]) + text[2][:10])  # a torn last line
    (runs / "notes").mkdir()
    (runs / "notes" / "experiment.yaml").write_text("name: not a run\n")
    return runs


def test_statuses_and_order(tmp_path: Path) -> None:
    runs = _runs(tmp_path)
    listed = {s.path.name.split("-", 1)[1]: s for s in list_runs(runs)}
    assert set(listed) == {"good", "bad", "cutx"}
    good, bad, cut = listed["good"], listed["bad"], listed["cutx"]
    assert (good.status, good.units_done, good.units_planned, good.protocol) == ("finished", 6, 6, "qa")
    assert (bad.status, bad.units_failed, bad.units_done) == ("1 failed", 1, 6)
    assert (cut.status, cut.units_done, cut.units_planned) == ("interrupted", 2, 6)
    keys = [(s.created_at, s.path.name) for s in list_runs(runs)]
    assert keys == sorted(keys, reverse=True)  # newest first
    take_lock(cut.path / "writer.lock", None)
    try:
        assert {s.path.name: s.status for s in list_runs(runs)}[cut.path.name] == "running"
    finally:
        release_lock(cut.path / "writer.lock")
    assert {s.path.name: s.status for s in list_runs(runs)}[cut.path.name] == "interrupted"


def test_a_finished_run_being_judged_and_live_sittings_are_not_called_running_or_interrupted(tmp_path: Path) -> None:
    runs = _runs(tmp_path)
    good = next(runs.glob("*good*"))
    take_lock(good / "writer.lock", None, "judging")  # `judge --model` holds the writer lock
    try:
        assert {s.path.name: s.status for s in list_runs(runs)}[good.name] == "being judged"
    finally:
        release_lock(good / "writer.lock")
    cut = next(runs.glob("*cutx*"))
    for folder, per_judge in ((good, 3), (cut, 3)):  # a live sitting: each person judges 3 of the 6 units
        data = yaml.safe_load((folder / "experiment.yaml").read_text())
        data[RUN_META_KEY]["live_units_per_judge"] = per_judge
        (folder / "experiment.yaml").write_text(yaml.safe_dump(data))
    statuses = {s.path.name: s.status for s in list_runs(runs)}
    assert statuses[good.name] == "judged live"  # 6 of 6 planned is more than one person's 3
    assert statuses[cut.name] == "paused"  # 2 units and no metrics: the person stopped part way
    take_lock(cut / "writer.lock", None, "live judging")
    try:
        assert {s.path.name: s.status for s in list_runs(runs)}[cut.name] == "judged live"
    finally:
        release_lock(cut / "writer.lock")


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    runs = _runs(tmp_path)
    capsys.readouterr()
    assert main(["ls", str(runs)]) == 0
    out = capsys.readouterr().out
    assert "3 runs in" in out and "interrupted" in out and "1 failed" in out and "6/6" in out
    assert all(len(row) <= 80 for row in out.splitlines())
    assert main(["ls", str(tmp_path / "missing")]) == 2
    assert "RUNS_DIR" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["ls", str(tmp_path / "empty")]) == 0
    assert "no run folders" in capsys.readouterr().out

