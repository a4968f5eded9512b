"""`--dry-run`'s wall-time line: monotone in the work asked, honest about what it assumes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from oversight.cli.main import main
from oversight.models.spec import parse_spec
from oversight.runs.walltime import RoleLoad, estimate_wall
from tests.runs.test_runner import write_experiment

LOCAL, API, SCRIPTED = (parse_spec(s) for s in ("local:gemma-3-270m", "openai:gpt-4.1-mini", "scripted:math"))
tokens = st.integers(0, 10**7)


@given(st.integers(1, 500), tokens, tokens, st.integers(1, 10**5), st.integers(1, 64))
def test_more_work_never_takes_less_time(calls: int, prompt: int, out: int, more: int, conc: int) -> None:
    for spec in (LOCAL, API):
        base = estimate_wall({"r": RoleLoad(spec, calls, prompt, out)}, conc).seconds
        assert estimate_wall({"r": RoleLoad(spec, calls, prompt + more, out + more)}, conc).seconds >= base
        assert estimate_wall({"r": RoleLoad(spec, calls, prompt, out), "s": RoleLoad(spec, 1, more, more)},
                             conc).seconds >= base


@given(st.integers(1, 500), tokens, st.integers(1, 10**6), st.integers(1, 63))
def test_hosted_calls_in_parallel_take_no_longer(calls: int, prompt: int, out: int, conc: int) -> None:
    load = {"r": RoleLoad(API, calls, prompt, out)}
    assert estimate_wall(load, conc + 1).seconds <= estimate_wall(load, conc).seconds


def test_scripted_and_batched_roles() -> None:
    wall = estimate_wall({"a": RoleLoad(SCRIPTED, 10, 10**6, 10**6)}, 4)
    assert wall.seconds == 0 and "scripted" in wall.line()
    wall = estimate_wall({"a": RoleLoad(API, 10, 10**6, 10**6, batched=True)}, 4)
    assert "Batch API" in wall.line() and "a" in wall.batched_roles


def test_dry_run_names_models_whole_and_estimates_time(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    model = "openai:gpt-4.1-mini-2025-04-14"
    exp = write_experiment(tmp_path, models={"answerer": model})
    assert main(["run", str(exp), "--dry-run", "--runs-dir", str(tmp_path / "runs")]) == 0
    out = capsys.readouterr().out
    assert f"answerer: {model}" in out
    assert all(len(row) <= 80 for row in out.splitlines())
    out = " ".join(out.split())
    assert "wall time (rough): about" in out and "60 tokens a second" in out
