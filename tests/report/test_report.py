"""`oversight report` on hand-built run folders with known answers: formats, 80 columns, failures
and invalid verdicts, copied folders, several runs and a sweep side by side, plots."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from oversight.cli.main import main
from oversight.report.build import report
from oversight.stats.estimates import wilson
from oversight.report.tables import Section, fitted_tables, print_section
from tests.helpers.report_runs import critique_run, debate_run

CORRECT = {f"i{k}": k % 2 for k in range(6)}


def _debate(root: Path, name: str = "20261130T120000Z-debate", **kw: Any) -> Path:
    """6 items x 2 conditions. Debate: items 0-4 right in both orders, item 5 wrong; item 2's
    swapped verdict is invalid. Blind: every verdict picks A (right on even items only).
    Item 6's debate unit failed."""
    verdicts: dict[str, list[tuple[str, float | None]]] = {}
    for k in range(6):
        p_true = 0.9 if k < 5 else 0.2
        p_a = p_true if CORRECT[f"i{k}"] == 0 else 1 - p_true
        verdicts[f"i{k}:debate"] = [("original", p_a), ("swapped", None if k == 2 else p_a)]
        verdicts[f"i{k}:blind"] = [("original", 0.7), ("swapped", 0.7)]
    return debate_run(root, name, verdicts=verdicts, correct={**CORRECT, "i6": 0}, failed=("i6:debate",), **kw)


def _console(width: int = 80) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=width, color_system=None), buf


def test_debate_report_counts_failures_and_invalid_and_names_methods(tmp_path: Path) -> None:
    run = _debate(tmp_path)
    console, buf = _console()
    doc = report([run], console)
    m = doc["runs"][0]["metrics"]
    debate = m["conditions"]["debate"]["logprob:scripted:judge"]
    # order-averaged: items 0,1,3,4 right in both orders; item 2 right in the original order
    # (p 0.9) and invalid in the swapped one (p 0) -> 0.45 -> wrong; item 5 wrong: 4 of 6
    assert debate["accuracy"]["k"] == 4 and debate["accuracy"]["n"] == 6
    assert debate["accuracy"]["ci"] == [round(x, 4) for x in wilson(4, 6)]
    assert debate["invalid"] == 1 and debate["failed_transcripts"] == 1
    text = buf.getvalue()
    assert "1/12" in text and "W Wilson" in text and "[0.300,0.903]" in text
    assert "units: 12 finished, 1 failed" in text  # the failed one is not also "finished"
    assert json.loads((run / "metrics.json").read_text())["counts"]["failed"] == 1


@pytest.mark.parametrize("width", [80, 60])
def test_no_table_line_is_wider_than_the_console(tmp_path: Path, width: int) -> None:
    runs = [_debate(tmp_path, f"20261130T12000{i}Z-debate", sweep_point={"params.rounds": i,
                                                                          "models.judge": "openai:gpt-4.1-mini"})
            for i in (1, 2)]
    runs.append(critique_run(tmp_path, "20261130T120009Z-critique",
                             found={f"i{k}": ([0], [0, 1]) for k in range(4)}))
    for group in ([runs[0]], [runs[2]], runs[:2]):
        console, buf = _console(width)
        report(group, console, out=tmp_path / "out")
        lines = buf.getvalue().splitlines()
        table_lines = [line for line in lines if not line.startswith(("figures", "  oversight "))]  # paths
        assert table_lines and max(len(line) for line in table_lines) <= width


def test_a_table_too_wide_for_any_split_is_shown_vertically() -> None:
    rows = [{"condition": "a" * 30, "note": "b" * 30, "estimate": 0.5, "ci": [0.1, 0.9], "method": "wilson"}]
    [(sub, table)] = fitted_tables(rows, 50)
    console, buf = _console(50)
    console.print(table)
    assert sub == "" and max(len(x) for x in buf.getvalue().splitlines()) <= 50
    assert "[0.100,0.900]" in buf.getvalue() and "note" in buf.getvalue()
    console, buf = _console(80)
    print_section(console, Section("t", rows, ["legend line"]))
    assert buf.getvalue().splitlines()[0] == "t" and "legend line" in buf.getvalue()


def test_out_given_a_file_name_asks_for_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _debate(tmp_path)
    capsys.readouterr()
    assert main(["report", str(run), "--format", "csv", "--out", str(tmp_path / "r.csv")]) == 2
    assert "give a folder" in capsys.readouterr().err and not (tmp_path / "r.csv").exists()


def test_formats_json_csv_markdown_carry_the_same_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _debate(tmp_path)
    assert main(["report", str(run), "--format", "json", "--out", str(tmp_path / "o")]) == 0
    printed = capsys.readouterr()
    doc = json.loads(printed.out)  # the file's path goes to stderr, so what is printed pipes clean
    assert printed.err.strip() == f"report written: {tmp_path / 'o' / 'report.json'}"
    acc = doc["runs"][0]["metrics"]["conditions"]["blind"]["logprob:scripted:judge"]["accuracy"]
    assert acc["k"] == 3 and acc["n"] == 6 and acc["ci_method"] == "wilson"
    assert json.loads((tmp_path / "o" / "report.json").read_text()) == doc
    assert main(["report", str(run), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    blind = next(r for r in rows if r.get("condition") == "blind")
    assert float(blind["acc"]) == 0.5 and float(blind["ci_low"]) == round(wilson(3, 6)[0], 4)
    assert blind["method"] == "wilson" and {r["table"] for r in rows} >= {"Usage"}
    assert main(["report", str(run), "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "| condition |" in md and "| blind |" in md and "### Usage" in md


def test_report_of_a_copied_folder_gives_the_same_numbers(tmp_path: Path) -> None:
    run = _debate(tmp_path)
    (run / "metrics.json").write_text("{}")  # stale: never read back
    first = report([run], _console()[0])["runs"][0]["metrics"]
    copy = shutil.copytree(run, tmp_path / "elsewhere" / run.name)
    shutil.rmtree(copy / "plots")
    again = report([copy], _console()[0])["runs"][0]["metrics"]
    assert first == again and (copy / "plots" / "debate_accuracy.png").stat().st_size > 0


def test_two_runs_and_a_sweep_side_by_side(tmp_path: Path) -> None:
    a = _debate(tmp_path, "20261130T120001Z-debate-params.rounds=1", sweep_point={"params.rounds": 1})
    b = debate_run(tmp_path, "20261130T120002Z-debate-params.rounds=2", sweep_point={"params.rounds": 2},
                   verdicts={f"i{k}:debate": [("original", 0.9 if CORRECT[f"i{k}"] == 0 else 0.1)] for k in range(6)},
                   correct=CORRECT)
    doc = report([a, b], _console()[0], out=tmp_path / "out")
    rows = [r for r in doc["side_by_side"] if r["metric"] == "accuracy debate"]
    assert [r["params.rounds"] for r in rows] == [1, 2]
    assert [r["estimate"] for r in rows] == [round(4 / 6, 4), 1.0]
    judges = [json.loads((run / "metrics.json").read_text())["judges"][0] for run in (a, b)]
    assert [r["judge"] for r in rows] == judges  # whose verdicts the numbers are
    assert all(r["published"].startswith("L.76") for r in rows)
    assert not any("published" in r for r in doc["side_by_side"] if r["metric"] == "accuracy expert")
    assert (tmp_path / "out" / "compare_estimates.png").stat().st_size > 0
    # two unrelated runs (no sweep): the run name is the column
    c = critique_run(tmp_path, "20261130T120003Z-crit", found={"i0": ([], [0]), "i1": ([0], [0])})
    doc = report([a, c], _console()[0], out=tmp_path / "out2")
    assert {r["run"] for r in doc["side_by_side"]} == {a.name, c.name}
    uplift = next(r for r in doc["side_by_side"] if r["metric"] == "uplift")
    assert uplift["estimate"] == 0.25 and uplift["ci_method"] == "newcombe-paired-cluster"
    assert doc["tournament"] is None


def test_each_protocol_writes_its_plots(tmp_path: Path) -> None:
    from oversight.report.plots import plot_run

    d = _debate(tmp_path)
    c = critique_run(tmp_path, "20261130T120003Z-crit", found={"i0": ([], [0]), "i1": ([0], [0, 1])})
    report([d], _console()[0])
    report([c], _console()[0])
    for run, stems in ((d, ["debate_accuracy", "debate_position_bias"]), (c, ["critique_recall", "critique_uplift"])):
        for stem in stems:
            for ext in ("png", "svg"):
                assert (run / "plots" / f"{stem}.{ext}").stat().st_size > 1000
    svg = (d / "plots" / "debate_accuracy.svg").read_text()
    assert d.name in svg and "n = 6 verdicts per estimate" in svg and "Wilson" in svg  # text stays text
    rating = {"ci_method": "bayesian-bootstrap over rated nodes", "n": 8}
    summary = {"protocol": "summarize", "strategies": {"hierarchical": {"judges": {"model:m": {"ratings": {
        "level 0": {"faithfulness": {"estimate": 5.5, "ci": [5.0, 6.0], **rating}},
        "root": {"faithfulness": {"estimate": 4.0, "ci": [3.2, 4.8], **rating}}}}}}}}
    paths = plot_run(tmp_path / "summ", summary)
    assert [p.name for p in paths] == ["summarize_ratings.png", "summarize_ratings.svg"]
    assert all(p.stat().st_size > 1000 for p in paths)
    unknown = {"protocol": "other", "score": {"estimate": 0.4, "ci": [0.2, 0.6], "ci_method": "wilson", "n": 10}}
    assert [p.name for p in plot_run(tmp_path / "other", unknown)] == ["headline.png", "headline.svg"]


def test_two_judges_on_the_same_transcripts_get_an_agreement_table(tmp_path: Path) -> None:
    run = _debate(tmp_path)
    again = [dict(j, judge={"kind": "model", "id": "second"}, attempt=None)
             for j in (json.loads(x) for x in (run / "judgments.jsonl").read_text().splitlines())]
    with open(run / "judgments.jsonl", "a") as fh:
        fh.writelines(json.dumps(j) + "\n" for j in again)
    console, buf = _console()
    report([run], console)
    text = buf.getvalue()
    assert "Agreement between judges" in text and "second" in text
    [row] = json.loads((run / "metrics.json").read_text())["agreement"]
    assert row["agreement"] == 1.0 and row["shared"] == len(again)


def test_bad_format_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "no such run folder" in capsys.readouterr().err


def _printed(section: Section, width: int = 80) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    print_section(console, section)
    return console.file.getvalue()  # type: ignore[attr-defined]


def _debate_rows() -> list[dict[str, Any]]:
    base = {"n": 4, "acc": 0.5, "95% CI": [0.15, 0.85], "method": "wilson", "orig": 0.5, "swap": 0.5, "1st": 1.0,
            "invalid": "0/8", "failed": "0/8", "units failed": 0}
    speeches = [{"condition": c, **base, "unres": "0 in 0/4"} for c in ("debate", "consultancy")]
    silent = [{"condition": c, **base} for c in ("blind", "expert")]
    compare = [{"condition": f"debate - {c}", "n": 4, "acc": -0.5, "95% CI": [-0.85, 0.1], "method": "newcombe-paired",
                "left out": 0} for c in ("consultancy", "blind")]
    return speeches + silent + compare


def test_a_column_said_above_one_table_is_said_above_its_siblings_too() -> None:
    """Rows split by their fields: when one table is too wide and says its constant columns
    above it, the next tables of the section do the same rather than show them as columns."""
    text = _printed(Section("Results", _debate_rows()), width=72)
    headers = [ln for ln in text.splitlines() if ln.startswith("condition")]
    assert len(headers) == 3
    assert not any(" inv " in h or " fail " in h or h.split()[4:5] == ["m"] for h in headers), headers
    assert all(len(ln) <= 72 for ln in text.splitlines())
    # a subtitle a later table shares with the one before is not printed again
    assert text.count("inv 0/8") == 1 and "m Np" in text


def test_rows_whose_fields_nest_share_one_table_when_it_fits() -> None:
    """Conditions with and without an optional column (debate's `unres`) are one table, the
    missing cells blank; comparisons, with fields of their own, are the next; the line above
    each says its values hold for every row."""
    text = _printed(Section("Results", _debate_rows()), width=80)
    lines = text.splitlines()
    headers = [i for i, ln in enumerate(lines) if ln.startswith("condition")]
    assert len(headers) == 2
    assert lines[headers[0]].split()[-1] == "unres"
    body = lines[headers[0] + 2:headers[0] + 6]
    assert [ln.split()[0] for ln in body] == ["debate", "consultancy", "blind", "expert"]
    assert body[0].endswith("0 in 0/4") and not body[2].rstrip().endswith("0/4")
    assert lines[headers[0] - 1] == "every row: m W, inv 0/8, fail 0/8"
    assert lines[headers[1] - 1] == "every row: m Np"


def test_a_table_that_fits_keeps_its_columns() -> None:
    rows = _debate_rows()[2:4]
    text = _printed(Section("Results", rows), width=120)
    assert "inv" in text.splitlines()[1] and "0/8" in text.splitlines()[3]


def test_a_difference_is_what_the_protocol_marks_not_what_it_is_called() -> None:
    from oversight.report.plots.compare import _is_difference
    from oversight.report.sidebyside import side_by_side

    assert _is_difference({"metric": "gain", "difference": True}, "gain")
    assert not _is_difference({"metric": "uplift-like"}, "uplift-like")
    assert _is_difference(None, "debate - blind")
    metrics = json.loads(json.dumps({"protocol": "critique", "judges": ["j"], "by_judge": {"j": {
        "uplift": {"estimate": 0.1, "ci": [-0.1, 0.3], "ci_method": "newcombe-paired", "n": 8}}}}))
    rows = side_by_side([("r", None, metrics)])
    assert [r["metric"] for r in rows] == ["uplift"] and all("difference" not in r for r in rows)


def _markdown_tables(md: str) -> list[tuple[list[str], list[str]]]:
    """Each table's header cells and the legend lines under it."""
    out: list[tuple[list[str], list[str]]] = []
    for block in md.split("### ")[1:]:
        lines = block.splitlines()
        header = next((x for x in lines if x.startswith("| ")), None)
        legend = [x.strip() for x in lines if x and not x.startswith("|") and x != lines[0]]
        out.append(([c.strip() for c in header.strip("|").split("|")] if header else [], legend))
    return out


@pytest.mark.parametrize("runs", [1, 2])
def test_markdown_legend_names_the_columns_as_written(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      runs: int) -> None:
    """The legend under a Markdown table names its columns as the table heads them (`ci_method`,
    `invalid`), not by the terminal's abbreviations (`m`, `inv`), and the methods as its cells
    write them (`wilson`)."""
    paths = [_debate(tmp_path, f"20261130T12000{n}Z-debate") for n in range(runs)]
    assert main(["report", *map(str, paths), "--format", "markdown"]) == 0
    tables = _markdown_tables(capsys.readouterr().out)
    checked = 0
    for header, legend in tables:
        method = next((c for c in header if c in ("method", "ci_method")), None)
        said = " ".join(legend)
        assert not said.startswith("m = ") and "; inv:" not in said and not said.startswith("inv:")
        if method is not None:
            checked += 1
            assert legend[0].startswith(f"{method}: CI method: ") and "wilson Wilson" in legend[0], legend
        for abbr, full in (("inv", "invalid"), ("fail", "failed"), ("u fail", "units failed")):
            if full in header:
                assert f"{full}: " in said and f"; {abbr}: " not in said, (full, legend)
    assert checked >= 1


def test_an_infinite_probability_is_skipped_never_a_numpy_warning(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Another tool wrote `Infinity` for a debate judge's p(correct) (oversight never writes
    one): every reader skips that line with a warning naming it, so no estimate is inf and numpy
    never warns on the terminal (the bootstrap met inf - inf before)."""
    correct = {f"i{k}": k % 2 for k in range(12)}
    verdicts = {f"i{k}:debate": [("original", 0.8 if correct[f"i{k}"] == 0 else 0.2), ("swapped", 0.7)]
                for k in range(12)}
    run = debate_run(tmp_path, "20261130T120000Z-debate", verdicts=verdicts, correct=correct)
    lines = (run / "judgments.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    lines[0] = json.dumps({**first, "p_correct": math.inf})
    assert "Infinity" in lines[0]
    (run / "judgments.jsonl").write_text("\n".join(lines) + "\n")
    for fmt in ("table", "json", "markdown"):
        assert main(["report", str(run), "--format", fmt]) == 0
        captured = capsys.readouterr()
        err = " ".join(captured.err.split())
        assert f"{run / 'judgments.jsonl'}: skipping line 1: p_correct is inf, not a finite number" in err
        assert "invalid value" not in err and "RuntimeWarning" not in err, err
    metrics = json.loads((run / "metrics.json").read_text())
    mean_p = metrics["conditions"]["debate"]["logprob:scripted:judge"]["mean_p_correct"]
    assert mean_p["estimate"] is not None and 0 <= mean_p["estimate"] <= 1 and mean_p["ci"] is not None
