"""What `oversight run` says when it ends: the figures it drew (where, how many, which), and the
commands that look further, with the run's real path; a sweep adds its runs side by side."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from oversight.cli.main import main
from oversight.models.providers import scripted
from tests.helpers.tui_runs import ROOT, debater


def _run_args(runs_dir: str, *extra: str) -> list[str]:
    scripted.register("debater", debater)
    scripted.register("judge", lambda messages: "I lean to A.\n\nAnswer: A, 70%")
    args = ["run", str(ROOT / "protocols" / "debate.yaml"), "--runs-dir", runs_dir, "--limit", "1",
            "--set", "params.judge_kind=model", "--set", "params.rounds=1", "--set", "cache=false",
            "--model", "judge=scripted:judge", *extra]
    for role in ("debater_a", "debater_b", "consultant"):
        args += ["--model", f"{role}=scripted:debater"]
    return args


def _unwrapped(out: str) -> str:
    return " ".join(out.split())


def test_a_run_ends_with_its_figures_and_the_commands_to_look_further(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    os.symlink(tmp_path, tmp_path / "via-link")
    assert main(_run_args("via-link/runs")) == 0  # a relative runs folder, through a link
    out = capsys.readouterr().out
    [run] = list((tmp_path / "runs").iterdir())
    real = run.resolve()
    stems = sorted(p.stem for p in (run / "plots").iterdir())
    assert stems == sorted(["debate_accuracy", "debate_accuracy", "debate_position_bias", "debate_position_bias"])
    flat = _unwrapped(out)
    assert f"figures (PNG, SVG): 2 figures in {real / 'plots'} debate_accuracy, debate_position_bias" in flat
    for command in (f"oversight review {real}", f"oversight report {real}",
                    f"oversight judge {real} --human --judge-id NAME"):
        assert command in flat
    assert "via-link" not in flat.split("run folder:")[-1]  # every path after the tables is the real one
    assert "(4 units from 1 item)" in flat
    assert "RUN_DIR" not in out


def test_a_sweep_ends_with_the_side_by_side_figures_beside_its_runs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs_dir = tmp_path / "runs"
    exp = tmp_path / "sweep.yaml"
    exp.write_text((ROOT / "protocols" / "debate.yaml").read_text().replace(
        "../tasks/debate_stories.jsonl", str(ROOT / "tasks" / "debate_stories.jsonl"))
        + "sweep:\n  params.turns: [simultaneous, sequential]\n")
    args = _run_args(str(runs_dir), "--allow-path", str(ROOT / "tasks"))
    args[1] = str(exp)
    assert main(args) == 0
    flat = _unwrapped(capsys.readouterr().out)
    runs = sorted(p for p in runs_dir.iterdir() if p.is_dir() and not p.name.startswith("compare-"))
    [where] = [p for p in runs_dir.iterdir() if p.name.startswith("compare-")]
    assert len(runs) == 2
    assert "sweep: 2 runs done" in flat
    assert (f"figures across runs (PNG, SVG): 2 figures in {where.resolve()} compare_estimates, "
            f"compare_differences") in flat
    assert (where / "compare_estimates.png").stat().st_size > 1000
    [together] = re.findall(r"oversight report (\S+ \S+)", flat.split("sweep: 2 runs done")[1])
    assert sorted(together.split()) == sorted(str(r.resolve()) for r in runs)
    assert len(re.findall(r"oversight review ", flat)) == 2  # each run says how to open it
    assert not (tmp_path / "reports").exists()
