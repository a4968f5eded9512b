"""`oversight validate` as a reference: a model bound to a role nothing calls is noted,
and `--params` lists every param of the protocol with this experiment's value, the default
where it differs, and the field's own docstring."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oversight.cli.main import main
from oversight.protocols.debate import DebateParams

ROOT = Path(__file__).resolve().parents[2]


def test_a_bound_role_nothing_calls_is_noted_and_params_are_listed(capsys: pytest.CaptureFixture[str],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    exp = str(ROOT / "protocols" / "debate.yaml")
    assert main(["validate", exp, "--set", "params.conditions=[debate, blind]", "--params"]) == 0
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    assert "note: models.consultant is bound but these conditions and params call no consultant" in flat
    assert "models.debater_a is bound" not in flat and "models.judge is bound" not in flat
    listed = re.findall(r"^    (\w+) = ", out, re.MULTILINE)
    assert listed == list(DebateParams.model_fields)  # every field, in the model's order
    assert "conditions = [debate, blind] (default [debate, consultancy, blind, expert])" in flat
    assert "turns = simultaneous Simultaneous: both debaters speak" in flat  # no default shown: it is the default
    assert "rounds = 2 (default 3) Speeches per debater (or consultant)." in flat
    assert "shipped prompts in" in flat and "a run reads those its conditions and params need" in flat


def test_no_note_when_every_bound_role_is_called(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(ROOT / "protocols" / "debate.yaml")]) == 0
    out = capsys.readouterr().out
    assert "note" not in out and "params of" not in out
