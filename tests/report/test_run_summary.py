"""What a person reads after a run: a run whose every unit failed says so, failed units come
with the command that retries them, and the usage table says what it counts."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.console import Console

from oversight.report.summary import USAGE_LEGEND, print_summary, status_lines


def _metrics(table: list[dict[str, Any]], finished: int, failed: int) -> dict[str, Any]:
    usage = {"input_tokens": 0, "output_tokens": 0, "cache_read_tokens": 0, "cache_write_tokens": 0,
             "cost_usd": None, "saved_usd": None}
    return {"protocol": "summarize", "table": table,
            "run": {"units_planned": finished, "units_finished": finished, "units_failed": failed,
                    "judgments_left_out": {}, "usage_by_role": {"summarizer": usage}}}


def _printed(metrics: dict[str, Any], run_dir: Path) -> str:
    buf = io.StringIO()
    print_summary(Console(file=buf, width=100, color_system=None), run_dir, metrics, "summarize")
    return " ".join(buf.getvalue().split())


def test_a_run_whose_every_unit_failed_says_there_is_nothing_to_score(tmp_path: Path) -> None:
    shown = _printed(_metrics([], finished=1, failed=1), tmp_path / "r1")
    assert "nothing to score" in shown
    assert "units: 0 finished, 1 failed (of 1)" in shown
    assert f"oversight run --resume {tmp_path / 'r1'} --retry-failed" in shown


def test_failed_units_beside_scored_ones_are_not_counted_twice_and_get_the_retry_command(tmp_path: Path) -> None:
    table = [{"strategy": "hierarchical", "n": 3, "rating": 0.5}]
    shown = _printed(_metrics(table, finished=4, failed=1), tmp_path / "r2")
    assert "nothing to score" not in shown and "hierarchical" in shown
    assert "units: 3 finished, 1 failed (of 4)" in shown
    assert "--retry-failed" in shown
    assert " ".join(USAGE_LEGEND.split()) in shown  # a resumed run's 0 tokens read as cache hits, not a fault


def test_a_run_with_no_failure_offers_no_retry() -> None:
    metrics = _metrics([{"strategy": "hierarchical", "n": 2}], finished=2, failed=0)
    assert status_lines(metrics) == ["units: 2 finished, 0 failed (of 2)"]
    assert "oversight run --resume" not in _printed(metrics, Path("runs/x"))


def test_report_on_a_run_whose_every_unit_failed_says_so_and_how_to_retry(tmp_path: Path) -> None:
    from oversight.report.build import report
    from tests.helpers.report_runs import debate_run

    run = debate_run(tmp_path, "20261204T000000Z-allfailed", verdicts={}, correct={"i0": 0},
                     failed=("i0:debate", "i0:blind"))
    buf = io.StringIO()
    report([run], Console(file=buf, width=100, color_system=None))
    shown = " ".join(buf.getvalue().split())
    assert "units: 0 finished, 2 failed" in shown  # debate's table still shows each condition's failures
    assert f"oversight run --resume {run} --retry-failed" in shown
