"""A protocol types its own record fields (`judgment_types`, `outcome_types`, `note_types`):
readers of its runs skip a line whose declared field has another type, and core types only the
contract's fields, so a field one protocol declares is free in another's run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oversight.cli.main import main
from oversight.log.runfolder import RunFolder
from oversight.protocol.shapes import open_folder
from oversight.tui.index import RunIndex
from tests.protocol.test_review_hooks import _toy_run


@pytest.fixture
def toy_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from _toy_run(tmp_path, monkeypatch, " Yes, it is.\n")


def _lines(run: Path, name: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (run / name).read_text().splitlines()]


def _append(run: Path, name: str, record: dict[str, Any]) -> int:
    with open(run / name, "a") as fh:
        fh.write(json.dumps(record) + "\n")
    return len((run / name).read_text().splitlines())


def _skipped(err: str, run: Path, name: str, line: int) -> str:
    """The warning's reason for skipping `line`, or "" when it was not skipped."""
    flat = " ".join(err.split())
    mark = f"{run / name}: skipping line {line}: "
    return flat.split(mark, 1)[1].split(" (", 1)[0] if mark in flat else ""


def test_a_toy_verdict_field_of_the_wrong_type_is_skipped_by_every_reader(toy_run: Path, capsys: Any) -> None:
    judgment = _lines(toy_run, "judgments.jsonl")[0]
    line = _append(toy_run, "judgments.jsonl", {**judgment, "answer": 7, "correct": True})
    for command in (["report"], ["export", "--format", "csv"], ["export", "--format", "inspect"]):
        capsys.readouterr()
        assert main([command[0], str(toy_run), *command[1:]]) == 0, command
        assert _skipped(capsys.readouterr().err, toy_run, "judgments.jsonl", line) == \
            "answer is an integer, not a string", command
    warnings: list[str] = []
    index = RunIndex.open(RunFolder.open(toy_run, warn=warnings.append))  # the review, opened as tests do
    assert sum(len(v) for v in index.judgments.values()) == 2
    assert any("answer is an integer, not a string" in w for w in warnings)


def test_a_toy_outcome_field_of_the_wrong_type_is_skipped(toy_run: Path, capsys: Any) -> None:
    transcript = _lines(toy_run, "transcripts.jsonl")[0]
    line = _append(toy_run, "transcripts.jsonl",
                   {**transcript, "id": "q9:plain", "outcome": {**transcript["outcome"], "reference": ["Yes", "yes"]}})
    capsys.readouterr()
    assert main(["report", str(toy_run), "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert _skipped(captured.err, toy_run, "transcripts.jsonl", line) == "outcome.reference is a list, not a string"
    assert json.loads(captured.out)["runs"][0]["metrics"]["run"]["units_finished"] == 2


def test_another_protocols_field_is_free_in_a_toy_run(toy_run: Path, capsys: Any) -> None:
    """`p_correct` as text would be skipped in a debate run (debate declares it a number); the
    toy declares no such field, so its line stands."""
    judgment = _lines(toy_run, "judgments.jsonl")[0]
    line = _append(toy_run, "judgments.jsonl", {**judgment, "p_correct": "high", "answer_index": "B"})
    capsys.readouterr()
    assert main(["report", str(toy_run)]) == 0
    assert _skipped(capsys.readouterr().err, toy_run, "judgments.jsonl", line) == ""
    kept, _ = open_folder(toy_run).judgments()
    assert [j["p_correct"] for j in kept if "p_correct" in j] == ["high"]


def test_a_run_whose_protocol_is_not_installed_is_read_with_the_contract_fields(toy_run: Path,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import oversight.protocol.registry as registry

    judgment = _lines(toy_run, "judgments.jsonl")[0]
    _append(toy_run, "judgments.jsonl", {**judgment, "answer": 7})
    _append(toy_run, "judgments.jsonl", {**judgment, "correct": "yes"})
    assert len(open_folder(toy_run).judgments()[0]) == 2
    monkeypatch.setattr(registry, "_entry_points", lambda: {})
    warnings: list[str] = []
    kept, _ = open_folder(toy_run, warn=warnings.append).judgments()
    assert len(kept) == 3 and [j["answer"] for j in kept][-1] == 7  # the toy's own field: not typed here
    assert len(warnings) == 1 and "correct is a string, not true/false or null" in warnings[0]
