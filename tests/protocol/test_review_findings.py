"""A third-party protocol's mistakes cost that protocol only, and never unblind a person: what
an outside review of the contract found, each checked as the user meets it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from oversight.cli.main import main
from oversight.log.listing import read_summary
from oversight.protocol.judge_view import JudgeView
from oversight.protocol.review import generic_form
from oversight.report.tables import table_notes
from tests.helpers.broken_protocol import BrokenProtocol, register, run  # noqa: F401 (fixtures)
from tests.helpers.tui_runs import screen_text  # noqa: F401


def _text(renderable: Any) -> str:
    import io

    from rich.console import Console

    console = Console(file=io.StringIO(), width=100, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


@pytest.mark.parametrize("titled", [True, False])
def test_a_hidden_variable_is_never_drawn_even_with_a_title(titled: bool) -> None:
    view = JudgeView(key="k", template="t", answer_kind="choice",
                     variables={"question": "Q?", "answer_a": "yes", "secret_tag": "SECRET-TAG-123"})
    titles = {"secret_tag": "Tag"} if titled else {}
    shown = _text(generic_form(view, titles, None, frozenset({"secret_tag", "answer_a"})))
    assert "SECRET-TAG-123" not in shown and "yes" not in shown and "Q?" in shown


@pytest.mark.parametrize("bad", [["--grader"], "x", {1: "judge"}, {"--grader": 5}])
def test_bad_rejudge_flags_of_one_protocol_do_not_break_judge_on_others(
        run: Path, register: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any, bad: Any) -> None:
    """On a run of another protocol (qa) the judge command works; on its own run, one line."""
    from tests.runs.test_runner import write_experiment
    from oversight.models.providers import scripted
    from tests.runs.test_runner import arithmetic

    scripted.register("math", arithmetic)
    other = run.parent / "qa"
    other.mkdir()
    assert main(["run", str(write_experiment(other)), "--runs-dir", str(other / "runs")]) == 0
    [qa_run] = (other / "runs").iterdir()
    monkeypatch.setattr(BrokenProtocol, "rejudge_flags", bad, raising=False)
    capsys.readouterr()
    main(["judge", str(qa_run), "--model", "scripted:math", "--dry-run"])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "its rejudge_flags hook" not in err  # the broken protocol is not this run's
    assert main(["judge", str(run), "--model", "scripted:four", "--dry-run"]) == 2
    assert "its rejudge_flags hook is not a mapping" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["x", ["acc"], None, 5])
def test_bad_table_notes_cost_only_that_protocols_legend(register: Any, monkeypatch: pytest.MonkeyPatch,
                                                         bad: Any) -> None:
    monkeypatch.setattr(BrokenProtocol, "table_notes", bad, raising=False)
    notes = table_notes()  # every installed protocol, the broken one among them
    assert "acc" in notes and "1st" in notes  # debate's notes are still there


def test_export_score_of_the_wrong_type_is_one_line(run: Path, register: Any, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: Any) -> None:
    monkeypatch.setattr(BrokenProtocol, "export_score", lambda self, j: 0.5, raising=False)
    assert main(["export", str(run), "--format", "inspect"]) == 2
    err = capsys.readouterr().err
    assert "its export_score hook returned a float, not a ExportScore" in err and "Traceback" not in err


def test_ls_counts_judges_from_the_judgment_lines(run: Path) -> None:
    summary = read_summary(run)
    assert summary is not None and len(summary.judges) >= 1


@pytest.mark.parametrize("field, value, declared, said", [
    ("failed", "no", {}, "failed is a string, not true/false or null"),
    ("matches", True, {"matches": list[dict] | None}, "matches is a boolean, not a list of objects or null"),
    ("matches", [{"gold": 1}, "found"], {"matches": list[dict] | None}, "matches[1] is a string, not an object"),
])
def test_a_judgment_field_of_the_wrong_type_stops_the_run_saying_which(tmp_path: Path, register: Any, capsys: Any,
                                                                        monkeypatch: pytest.MonkeyPatch, field: str,
                                                                        value: Any, declared: dict[str, Any],
                                                                        said: str) -> None:
    """Readers would drop the line as a hand edit; the Recorder refuses it where it is made, and
    the run stops at once with one line naming the field and the reserved names: a contract
    field, or one the protocol declares in `judgment_types`."""
    from oversight.protocol.recorder import Recorder
    from tests.helpers.broken_protocol import BrokenProtocol, make_run

    real = Recorder.judgment

    def with_bad_field(self: Recorder, judge_id: str, **verdict: Any) -> None:
        real(self, judge_id, **verdict, **{field: value})

    monkeypatch.setattr(Recorder, "judgment", with_bad_field)
    monkeypatch.setattr(BrokenProtocol, "judgment_types", declared, raising=False)
    with pytest.raises(AssertionError):  # the run exits 2
        make_run(tmp_path)
    err = " ".join(capsys.readouterr().err.split())
    assert f"judgment by 'exact-match': {said}" in err
    assert "fixed types" in err and "Traceback" not in err
    assert (f", {field};" in err) == bool(declared)  # a declared field is named among the typed ones


def test_an_undeclared_protocol_field_is_the_protocols_own_business(tmp_path: Path, register: Any,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Core types only the contract's fields: a field no protocol declared (here one that another
    protocol declares as a list) is written and read back as given."""
    from oversight.log.runfolder import RunFolder
    from oversight.protocol.recorder import Recorder
    from tests.helpers.broken_protocol import make_run

    real = Recorder.judgment
    monkeypatch.setattr(Recorder, "judgment", lambda self, judge_id, **v: real(self, judge_id, **v, matches=True))
    folder = RunFolder.open(make_run(tmp_path))
    judgments, _ = folder.judgments()
    assert judgments and all(j["matches"] is True for j in judgments)
