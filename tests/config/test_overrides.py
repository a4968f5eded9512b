"""`--set`, `--model` and `--sweep` against a file's sweep: what a researcher typed wins, and says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, strategies as st

from oversight.cli.main import main
from oversight.config.overrides import apply_overrides, expand_sweep, sweep_values
from oversight.core.errors import UserError
from tests.config.test_config_errors import GOOD, write_items

SWEPT = GOOD + "sweep:\n  params.conditions: [[plain], [plain, other]]\n  generation.default.temperature: [0.0, 0.5]\n"


def _points(data: dict[str, Any], sets: list[str] = [], sweeps: list[str] = [], models: list[str] = []) -> list[dict[str, Any]]:
    notes: list[str] = []
    expanded = expand_sweep(apply_overrides(data, sets, models, None, sweeps, notes.append), "exp.yaml")
    return [point for _, point in expanded]


BASE = {"name": "x", "params": {"rounds": 2}, "sweep": {"params.rounds": [1, 2, 3], "models.judge": ["a", "b"]}}


def test_a_set_on_a_swept_key_fixes_it_and_notes_it() -> None:
    notes: list[str] = []
    data = apply_overrides(BASE, ["params.rounds=5"], [], None, (), notes.append)
    configs = expand_sweep(data, "exp.yaml")
    assert [c["params"]["rounds"] for c, _ in configs] == [5, 5]
    assert [p for _, p in configs] == [{"models.judge": "a"}, {"models.judge": "b"}]
    assert len(notes) == 1 and "params.rounds" in notes[0] and "[1, 2, 3]" in notes[0]
    assert BASE["sweep"]["params.rounds"] == [1, 2, 3]  # the caller's dict is left alone


def test_a_set_on_a_parent_of_a_swept_key_also_wins() -> None:
    notes: list[str] = []
    data = apply_overrides(BASE, ["models={judge: c}"], [], None, (), notes.append)
    assert [c["models"] for c, _ in expand_sweep(data, "exp.yaml")] == [{"judge": "c"}] * 3
    assert "models.judge" in notes[0]


def test_model_flag_on_a_swept_role_wins() -> None:
    assert _points(BASE, models=["judge=z"]) == [{"params.rounds": v} for v in (1, 2, 3)]


def test_sweep_entries_are_set_by_their_dotted_key_and_dropped_by_null() -> None:
    assert _points(BASE, sets=["sweep.params.rounds=[7]"]) == [
        {"params.rounds": 7, "models.judge": j} for j in ("a", "b")]
    assert _points(BASE, sets=["sweep.models.judge=null"]) == [{"params.rounds": v} for v in (1, 2, 3)]
    assert _points(BASE, sets=["sweep=null"]) == [{}]
    assert _points(BASE, sets=["sweep={}"]) == [{}]


def test_sweep_flag_adds_a_key_to_the_grid() -> None:
    points = _points({"name": "x"}, sweeps=["params.rounds=1,2", "models.judge=[a, 'b,c']"])
    assert points == [{"params.rounds": r, "models.judge": j} for r in (1, 2) for j in ("a", "b,c")]


@pytest.mark.parametrize("raw", ["", "  ", "[]", "[1, 2"])
def test_sweep_flag_needs_values(raw: str) -> None:
    with pytest.raises(UserError, match="--sweep K"):
        sweep_values(raw, "--sweep K")


@given(st.lists(st.integers(-5, 5) | st.booleans() | st.text("abc", min_size=1, max_size=3), min_size=1, max_size=6))
def test_sweep_values_read_each_value_as_yaml(values: list[Any]) -> None:
    raw = ",".join(str(v).lower() if isinstance(v, bool) else str(v) for v in values)
    assert sweep_values(raw, "--sweep K") == values


@given(st.dictionaries(st.sampled_from(["params.a", "params.b", "models.judge", "limit"]),
                       st.lists(st.integers(0, 3), min_size=1, max_size=3, unique=True), min_size=1),
       st.sampled_from(["params.a", "params.b", "models.judge", "limit"]), st.integers(10, 20))
def test_a_set_key_never_varies_across_points(sweep: dict[str, list[int]], key: str, value: int) -> None:
    configs = expand_sweep(apply_overrides({"name": "x", "sweep": sweep}, [f"{key}={value}"], [], None), "e")
    section, _, leaf = key.rpartition(".")
    got = [(c[section] if section else c)[leaf] for c, _ in configs]
    assert got == [value] * len(configs)
    assert all(key not in point for _, point in configs)


def test_cli_note_and_sweep_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_items(tmp_path)
    (tmp_path / "exp.yaml").write_text(SWEPT)
    exp = str(tmp_path / "exp.yaml")
    assert main(["validate", exp, "--set", "params.conditions=[plain]"]) == 0
    out = capsys.readouterr()
    assert out.err.count("note: --set params.conditions overrides the sweep over params.conditions") == 1
    assert out.out.count("ok:") == 2
    assert main(["validate", exp, "--set", "sweep=null", "--sweep", "generation.default.temperature=0,0.2,0.4"]) == 0
    assert capsys.readouterr().out.count("ok:") == 3
    assert main(["validate", exp, "--sweep", "params.rounds"]) == 2
    assert "--sweep 'params.rounds': expected KEY=V1,V2" in capsys.readouterr().err
    assert main(["run", "--resume", str(tmp_path), "--sweep", "limit=1,2"]) == 2
    assert "drop --sweep" in capsys.readouterr().err
