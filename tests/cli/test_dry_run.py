"""`run --dry-run` refuses what a run could never start with (a local model that does not
exist, on any sweep point) before printing an estimate, yet estimates API models with no key."""

from __future__ import annotations

from pathlib import Path

import pytest

from oversight.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
DEBATE = str(ROOT / "protocols" / "debate.yaml")


@pytest.mark.parametrize(("spec", "said"), [
    ("local:nope", "models.judge: unknown local model 'nope'"),
    ("local:/nope/x.gguf", "models.judge: local model file '/nope/x.gguf' not found"),
    ("scripted:never-registered", "models.judge: no script named 'never-registered'"),
])
def test_a_missing_local_model_is_refused_before_any_estimate(spec: str, said: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", DEBATE, "--dry-run", "--model", f"judge={spec}"]) == 2
    out, err = capsys.readouterr()
    assert said in err and "Dry run" not in out


def test_a_bad_sweep_point_is_refused_before_the_first_estimate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", DEBATE, "--dry-run", "--sweep", "models.judge=local:gemma-3-270m,local:nope"]) == 2
    out, err = capsys.readouterr()
    assert "unknown local model 'nope'" in err and "Dry run" not in out


def test_an_api_model_is_estimated_without_its_key(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main(["run", DEBATE, "--dry-run", "--model", "judge=anthropic:claude-sonnet-5-5",
                 "--set", "params.judge_kind=model"]) == 0
    assert "Dry run" in capsys.readouterr().out
