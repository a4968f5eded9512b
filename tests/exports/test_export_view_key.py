"""The Inspect export names each score by the view the protocol says its judgment answered
(`judgment_view_key`), whatever field the protocol keeps it in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oversight.exports import export
from oversight.models.providers import scripted
from tests.helpers.broken_protocol import BrokenProtocol, cli, error_line
from tests.helpers.broken_protocol import register, run  # noqa: F401 (fixtures)


def _judged(run: Path, capsys: Any) -> None:
    scripted.register("verdict", lambda messages: "right, it says 4")
    code, err = cli(capsys, "judge", str(run), "--model", "scripted:verdict", "--judge-id", "checker")
    assert code == 0, err


def _scores(run: Path, out: Path) -> dict[str, set[str]]:
    log_api = pytest.importorskip("inspect_ai.log", reason="the inspect extra is not installed")
    [path] = export(run, "inspect", out)
    return {s.id: set(s.scores) for s in log_api.read_eval_log(str(path)).samples}


def test_by_default_a_score_is_named_by_the_recorded_view_key(run: Path, tmp_path: Path, capsys: Any) -> None:
    _judged(run, capsys)
    assert _scores(run, tmp_path / "out") == {"q1:plain": {"exact-match", "checker/judge"},
                                              "q2:plain": {"exact-match", "checker/judge"}}


def test_a_protocol_keeping_its_view_elsewhere_names_it(run: Path, tmp_path: Path, capsys: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    original = BrokenProtocol.verdict
    monkeypatch.setattr(BrokenProtocol, "verdict", lambda self, v, t, r, p: {**original(self, v, t, r, p),
                                                                            "angle": "sceptical"})
    monkeypatch.setattr(BrokenProtocol, "judgment_view_key", lambda self, j: j.get("angle"))
    _judged(run, capsys)
    lines = [json.loads(x) for x in (run / "judgments.jsonl").read_text().splitlines()]
    assert {j.get("angle") for j in lines if j["judge"]["id"] == "checker"} == {"sceptical"}
    assert _scores(run, tmp_path / "out")["q1:plain"] == {"exact-match", "checker/sceptical"}


def test_a_view_key_of_the_wrong_type_is_one_line(run: Path, tmp_path: Path, capsys: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("inspect_ai.log", reason="the inspect extra is not installed")
    monkeypatch.setattr(BrokenProtocol, "judgment_view_key", lambda self, j: ("judge",))
    code, err = cli(capsys, "export", str(run), "--format", "inspect", "--out", str(tmp_path / "out"))
    assert code == 2
    assert error_line(err) == "error: protocol 'broken': its judgment_view_key hook returned a tuple, not a str or None"
