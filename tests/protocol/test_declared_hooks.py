"""A protocol whose declared hooks (class attributes) or metrics have the wrong type, or whose
prompt templates are missing, gives one line naming the protocol and the hook, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oversight.models.providers import scripted
from oversight.protocol.contract import JudgeView
from tests.helpers.broken_protocol import BrokenProtocol, cli, error_line
from tests.helpers.broken_protocol import register, run  # noqa: F401 (fixtures)


def _report_error(run: Path, capsys: Any) -> str:
    code, err = cli(capsys, "report", str(run))
    assert code == 2, err
    return error_line(err)


def test_a_metrics_table_that_is_a_string_is_one_line(run: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BrokenProtocol, "metrics", lambda self, t, j, p: {"accuracy": 0.5, "table": "acc 0.5"})
    assert _report_error(run, capsys) == ("error: protocol 'broken': its metrics hook gave a \"table\" that is a str, "
                                          "not a list of row dicts")


def test_a_metrics_table_row_that_is_not_a_dict_is_one_line(run: Path, capsys: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BrokenProtocol, "metrics", lambda self, t, j, p: {"table": [["all", 2, 0.5]]})
    assert "a list with a row that is not a dict" in _report_error(run, capsys)


@pytest.mark.parametrize("hook, value, wanted", [
    ("metrics_outcome_keys", "condition", "not None or a set of str"),
    ("metrics_outcome_keys", {"condition": True}, "not None or a set of str"),
    ("metrics_outcome_keys", ("condition", 3), "not None or a set of str"),
    ("Params", {"max_tokens": 16}, "not a pydantic model class"),
    ("Params", int, "not a pydantic model class"),
    ("judgment_fields_shown", "says_right", "not a set of str"),
    ("judgment_fields_shown", None, "not a set of str"),
    ("view_alternatives", [1, 2], "not a mapping of view key to the part it shows, or a collection of view keys"),
    ("view_alternatives", {"judge": 1}, "not a mapping of view key to the part it shows"),
    ("templates", ["answer"], "not a mapping of template name to the set of its variables"),
    ("prompt_package", None, "not a package name"),
    ("judgment_types", ["answer"], "not a mapping of field name to type"),
    ("outcome_types", None, "not a mapping of field name to type"),
])
def test_a_declared_hook_of_the_wrong_type_is_one_line(run: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch,
                                                       hook: str, value: Any, wanted: str) -> None:
    monkeypatch.setattr(BrokenProtocol, hook, value)
    line = _report_error(run, capsys)
    assert line.startswith(f"error: protocol 'broken': its {hook} hook is ") and wanted in line


@pytest.mark.parametrize("hook, value, wanted", [
    ("judgment_types", {"answer": "str"}, "judgment field 'answer': 'str' is not str, int, float, bool, list"),
    ("judgment_types", {"answer": set[str]}, "judgment field 'answer': set[str] is not str"),
    ("judgment_types", {"correct": int}, "judgment field 'correct' is the contract's own (its type is fixed)"),
    ("note_types", {"content": list}, "note field 'content' is the contract's own"),
    ("outcome_types", {3: str}, "outcome field 3 is not a string"),
])
def test_a_field_type_readers_cannot_test_is_one_line(run: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch,
                                                      hook: str, value: Any, wanted: str) -> None:
    monkeypatch.setattr(BrokenProtocol, hook, value, raising=False)
    line = _report_error(run, capsys)
    assert line.startswith(f"error: protocol 'broken': its {hook} hook: ") and wanted in line


def test_a_list_of_metrics_outcome_keys_is_taken(run: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BrokenProtocol, "metrics_outcome_keys", ["answer", "correct"])
    code, err = cli(capsys, "report", str(run))
    assert code == 0, err


def test_view_alternatives_as_a_list_of_keys_is_one_part_shown_several_ways(
        run: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def views(self: Any, transcript: dict[str, Any], params: Any, texts: Any) -> list[JudgeView]:
        return [JudgeView(key=key, template="answer", answer_kind="choice", choices=("right", "wrong"),
                          variables={"question": f"({key}) Is {transcript['outcome'].get('answer')!r} right?"})
                for key in ("plainly", "sceptically")]

    monkeypatch.setattr(BrokenProtocol, "judge_views", views)
    monkeypatch.setattr(BrokenProtocol, "view_alternatives", ["plainly", "sceptically"])
    scripted.register("verdict", lambda messages: "right")
    code, err = cli(capsys, "judge", str(run), "--model", "scripted:verdict", "--no-swap")
    assert code == 0, err
    records = [json.loads(x) for x in (run / "judgments.jsonl").read_text().splitlines()]
    assert sorted(r["view_key"] for r in records if "view_key" in r) == ["plainly", "plainly"]  # the first listed


def test_a_prompt_package_that_is_not_there_is_one_line(run: Path, tmp_path: Path, capsys: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BrokenProtocol, "prompt_package", "broken_protocol_prompts_not_installed")
    code, err = cli(capsys, "run", str(tmp_path / "broken.yaml"), "--runs-dir", str(tmp_path / "again"))
    assert code == 2
    assert error_line(err).startswith("error: protocol 'broken': its prompt package "
                                      "'broken_protocol_prompts_not_installed' cannot be found (ModuleNotFoundError: ")


def test_a_missing_template_file_is_one_line_naming_it_and_the_folder(run: Path, tmp_path: Path, capsys: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BrokenProtocol, "templates", {"answer": {"question"}, "check": {"question"}})
    code, err = cli(capsys, "run", str(tmp_path / "broken.yaml"), "--runs-dir", str(tmp_path / "again"))
    assert code == 2
    line = error_line(err)
    assert line.startswith("error: protocol 'broken': template 'check': no readable check.txt in its prompt "
                           "package 'tests.helpers.qa_prompts' (looked in ")
    assert "tests/helpers/qa_prompts" in line and line.endswith("; FileNotFoundError)")
