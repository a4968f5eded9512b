"""What `oversight report` prints beside the numbers: figures counted once in their real folder,
figures across runs beside the runs, several judges in one table, an undo counted once, column
legends that come from the protocols, and counts in good English."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from oversight.core.jsonl import append_line
from oversight.core.words import count, count_of, plural
from oversight.figures import n_note
from oversight.protocol.registry import get_protocol
from oversight.report.build import report
from oversight.report.summary import status_lines
from oversight.report.tables import NOTES, legend_for
from tests.helpers.report_runs import critique_run, debate_run

CORRECT = {f"i{k}": k % 2 for k in range(4)}
CONDITIONS = ("debate", "consultancy", "blind", "expert")


def _console(width: int = 80) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=width, color_system=None), buf


def _run(root: Path, name: str = "20261202T133136Z-debate-demo", **kw) -> Path:  # type: ignore[no-untyped-def]
    verdicts = {f"i{k}:{c}": [("original", 0.8 if CORRECT[f"i{k}"] == 0 else 0.3),
                              ("swapped", 0.8 if CORRECT[f"i{k}"] == 0 else 0.3)]
                for k in range(4) for c in CONDITIONS}
    return debate_run(root, name, verdicts=verdicts, correct=CORRECT, **kw)


def _human(run: Path, tid: str, rid: str, answer: int, judge: str = "me") -> None:
    item, condition = tid.split(":")
    append_line(run / "judgments.jsonl", {
        "schema": "oversight.judgment/1", "transcript_id": tid, "judge": {"kind": "human", "id": judge},
        "condition": condition, "order": "original", "shown_order": [0, 1], "answer_index": answer,
        "correct": answer == CORRECT[item], "p_correct": 0.7 if answer == CORRECT[item] else 0.3,
        "invalid": False, "raw": "A, about 70%... I think", "attempt": None, "id": rid})


def _undo(run: Path, record_id: str, tid: str, judge: str = "me") -> None:
    append_line(run / "judgments.jsonl", {
        "schema": "oversight.judgment/1", "transcript_id": tid, "judge": {"kind": "human", "id": judge},
        "attempt": None, "id": f"undo-{record_id}", "supersedes": record_id, "retracted": True})


def test_figures_are_counted_once_in_their_real_folder(tmp_path: Path) -> None:
    run = _run(tmp_path / "a" / ".." / "b")
    console, buf = _console(200)
    report([run], console)
    out = buf.getvalue()
    stems = sorted({p.stem for p in (run / "plots").iterdir()})
    assert len(list((run / "plots").iterdir())) == 2 * len(stems)  # PNG and SVG of each
    lines = out.splitlines()
    [at] = [k for k, x in enumerate(lines) if x.startswith("figures")]
    shown = lines[at]
    assert stems == ["debate_accuracy", "debate_position_bias"]
    assert shown == f"figures (PNG, SVG): 2 figures in {(run / 'plots').resolve()}"
    assert lines[at + 1] == "  debate_accuracy, debate_position_bias"
    assert "RUN_DIR" not in out and ".." not in shown


def test_figures_across_runs_go_beside_the_runs_or_under_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    runs = [_run(tmp_path / "runs", "20261202T133136Z-debate-a"), _run(tmp_path / "runs", "20261202T133137Z-debate-b")]
    console, buf = _console(200)
    report(runs, console)
    assert not (elsewhere / "reports").exists()
    [where] = [d for d in (tmp_path / "runs").iterdir() if d.name.startswith("compare-")]
    assert (where / "compare_estimates.png").stat().st_size > 1000
    assert f"figures across runs (PNG, SVG): 2 figures in {where.resolve()}" in buf.getvalue()
    report(runs[::-1], _console()[0])  # the same runs, in another order: the same folder
    third = _run(tmp_path / "runs", "20261202T133138Z-debate-c")
    report([runs[0], third], _console()[0])  # another set of runs does not overwrite the first's
    assert len([d for d in (tmp_path / "runs").iterdir() if d.name.startswith("compare-")]) == 2
    report(runs, _console()[0], out=tmp_path / "out")
    assert (tmp_path / "out" / "compare_differences.svg").exists()


def test_several_judges_sit_side_by_side_in_one_table(tmp_path: Path) -> None:
    run = _run(tmp_path)
    for k in range(4):
        for n, c in enumerate(("debate", "consultancy")):
            _human(run, f"i{k}:{c}", f"h{k}{n}", CORRECT[f"i{k}"])
    console, buf = _console(80)
    report([run], console)
    out = buf.getvalue()
    results = out.split("Results:")[1].split("Usage")[0]
    assert "judge human/me" not in results and "judge logprob:scripted:judge" not in results  # no table per judge
    assert "J1 logprob:scripted:judge" in results and "J2 human/me" in results
    headers = [x for x in results.splitlines() if x.startswith("condition")]
    assert len(headers) == 2  # results and comparisons, each one table for both judges
    rows = [x.split()[:2] for x in results.splitlines() if re.match(r"(debate|consultancy|blind|expert) ", x)]
    assert rows[:4] == [["debate", "J1"], ["debate", "J2"], ["consultancy", "J1"], ["consultancy", "J2"]]
    assert max(len(x) for x in out.splitlines() if not x.startswith("figures")) <= 80
    # the Markdown report was one table already, and stays so
    md, mbuf = _console(200)
    report([run], md, fmt="markdown")
    assert mbuf.getvalue().count("### Results") == 1


def test_one_undo_leaves_one_judgment_out(tmp_path: Path) -> None:
    run = _run(tmp_path)
    _human(run, "i0:debate", "h1", 0)
    _human(run, "i1:debate", "h2", 0)
    _undo(run, "h1", "i0:debate")
    console, buf = _console(200)
    report([run], console)
    left_out = json.loads((run / "metrics.json").read_text())["run"]["judgments_left_out"]
    assert left_out["retracted"] == 1
    assert "judgments left out: 1 withdrawn by their judge (undo)" in buf.getvalue()
    _human(run, "i2:debate", "h3", 0)
    _undo(run, "h2", "i1:debate")
    _undo(run, "h3", "i2:debate")
    report([run], _console()[0])
    assert json.loads((run / "metrics.json").read_text())["run"]["judgments_left_out"]["retracted"] == 3


def test_column_notes_come_from_the_protocols(tmp_path: Path) -> None:
    for key in ("acc", "orig", "swap", "1st", "unres", "sev", "grader", "rated", "compression"):
        assert key not in NOTES  # the generic legend names no protocol's column
    assert "acc" in get_protocol("debate").table_notes and "grader" in get_protocol("critique").table_notes
    summary_row = {"condition": "hierarchical", "stage": "level 0", "nodes": 5, "compression": 151.1,
                   "faithfulness": 0.36, "faithfulness rated": "1/5", "invalid": "4/5"}
    [legend] = legend_for([summary_row], ["summarize"])
    assert "compression: words read / words written per stage" in legend
    assert "faithfulness: mean 1-7 rating" in legend and "nodes: summaries written" in legend
    assert "rated: nodes with a valid rating" in legend
    assert "inv: rating verdicts with any scale invalid" in legend  # its own meaning of a generic column
    [mixed] = legend_for([summary_row], ["summarize", "debate"])
    assert "inv: invalid verdicts / all verdicts" in mixed  # two protocols' tables: the generic meaning
    # a debate run's legend says nothing of critique columns, and the same text as before for its own
    console, buf = _console(200)
    report([_run(tmp_path)], console)
    out = buf.getvalue()
    assert ("acc: accuracy: each rater's verdict on a transcript counts once (with both answer orders judged, "
            "its order-averaged verdict: p(correct) averaged, a tie at 0.5 counts half)") in out
    assert "grader:" not in out and "compression" not in out
    c, cbuf = _console(200)
    report([critique_run(tmp_path, "20261202T133140Z-crit", found={"i0": ([], [0])})], c)
    words = " ".join(cbuf.getvalue().split())  # the legend wraps at the console's width
    assert "grader: how reports were matched to gold flaws" in words
    assert "n: what the estimate is a share of: gold flaws" in words


def test_counts_read_as_english() -> None:
    assert [count(n, "unit") for n in (0, 1, 2)] == ["0 units", "1 unit", "2 units"]
    assert count(1, "analysis") == "1 analysis" and count(3, "analysis") == "3 analyses"
    assert plural("has", 2, "have") == "have" and plural("was", 1) == "was"
    assert count_of(1, "valid verdicts") == "1 valid verdict" and count_of(4, "gold flaws") == "4 gold flaws"
    assert n_note({"a": {"estimate": 1.0, "n": 1, "ci": [0.2, 1.0], "ci_method": "wilson"}}, "verdicts") \
        .startswith("n = 1 verdict.")
    assert n_note({"a": {"estimate": 0.5, "n": 2, "clusters": 1, "ci": [0.1, 0.9], "ci_method": "wilson"}},
                  "verdicts", "transcripts").startswith("n = 2 verdicts in 1 transcript.")
    lines = status_lines({"run": {"units_finished": 3, "units_failed": 0, "units_outside_plan": 1}})
    assert lines == ["units: 3 finished, 0 failed; 1 transcript outside the plan left out"]


def test_a_caption_with_two_interval_methods_says_where_each_was_used() -> None:
    def rec(n: int, clusters: int, method: str) -> dict[str, Any]:
        return {"estimate": 0.5, "n": n, "clusters": clusters, "ci": [0.1, 0.9], "ci_method": method}

    by_rule = n_note({"all": rec(19, 8, "wilson-cluster"), "1": rec(2, 2, "wilson"), "3": rec(8, 6, "wilson-cluster")},
                     "gold flaws", "items")
    assert by_rule.endswith("95% CI: Wilson, cluster-adjusted where n is counted in items; Wilson elsewhere.")
    listed = n_note({"all": rec(8, 8, "newcombe-paired-cluster"), "1": rec(2, 2, "newcombe-paired"),
                     "2": rec(5, 5, "newcombe-paired")}, "paired items")
    assert listed.endswith("95% CI: Newcombe paired, cluster-adjusted for all; Newcombe paired (1998b) elsewhere.")
    one = n_note({"a": rec(4, 4, "wilson"), "b": rec(5, 5, "wilson")}, "verdicts")
    assert one.endswith("95% CI: Wilson.")


def test_a_sweeps_runs_with_the_same_figures_share_one_line(tmp_path: Path) -> None:
    from oversight.report.outputs import figure_lines

    runs = [tmp_path / "runs" / f"20261202T13313{k}Z-sweep-rounds={k}" for k in range(5)]
    files = [r / "plots" / f"{stem}.{ext}" for r in runs for stem in ("a", "b") for ext in ("png", "svg")]
    assert figure_lines(files) == ["figures (PNG, SVG): 2 figures in each of 5 runs' plots folders,",
                                   f"  under {(tmp_path / 'runs').resolve()}:", "  a, b"]
    [header, *_] = figure_lines([tmp_path / f"r{j}" / "plots" / f"f{k}.png" for j in range(100) for k in range(12)],
                                   across=True)
    assert len(header) <= 80  # the path, which may be any length, has a line of its own
    assert len(figure_lines(files[:12])) == 6  # three runs: a line each, and its names
    many = [runs[0] / "plots" / f"f{k}.png" for k in range(7)]
    assert figure_lines(many) == [f"figures (PNG, SVG): 7 figures in {(runs[0] / 'plots').resolve()}"]
    assert figure_lines(many[:1]) == [f"figures (PNG, SVG): 1 figure in {(runs[0] / 'plots').resolve()}", "  f0"]


def test_figure_names_wrap_to_80_columns_under_their_folder(tmp_path: Path) -> None:
    from oversight.report.outputs import figure_lines

    stems = ["critique_uplift_by_severity", "critique_recall_by_condition", "debate_position_bias_by_round",
             "summarize_ratings_by_depth", "compare_estimates", "compare_differences"]
    shown = figure_lines([tmp_path / "plots" / f"{s}.png" for s in stems])
    assert shown[0].endswith(str((tmp_path / "plots").resolve()))
    assert len(shown) > 2 and all(len(x) <= 80 and x.startswith("  ") for x in shown[1:])
    assert ", ".join(x.strip() for x in shown[1:]).replace(",,", ",") == ", ".join(stems)


def test_figures_across_runs_in_different_folders_go_beside_the_first_never_loose_in_their_shared_parent(
        tmp_path: Path) -> None:
    from oversight.report.outputs import cross_run_folder

    a, b = tmp_path / "runs" / "20261201T000000Z-a", tmp_path / "imports" / "20261201T000000Z-b"
    assert cross_run_folder([a, b], None).parent == (tmp_path / "runs").resolve()
    assert cross_run_folder([b, a], None).parent == (tmp_path / "imports").resolve()
    assert cross_run_folder([a, tmp_path / "runs" / "x"], None).parent == (tmp_path / "runs").resolve()
    assert cross_run_folder([a, b], None).name == cross_run_folder([b, a], None).name != cross_run_folder(
        [a, tmp_path / "runs" / "x"], None).name
    assert cross_run_folder([a, b], tmp_path / "out") == tmp_path / "out"
